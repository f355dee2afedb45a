// A contact's time zone (issue 11, item 8): only an admin changes it, from
// the conversation's heading, and the change lands in the consent audit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withApp, loginAs, DEMO, resultsDir } from './harness.mjs';

const OPTIONS = { args: ['--demo'], allowConsole: [/status of 422/] };

test('an admin changes a contact\'s time zone from the conversation, and the audit records it', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const list = await (await app.context.request.get('/api/v1/conversations?limit=1')).json();
  const conv = list.items[0];
  const page = await app.open(`/conversations/${conv.id}`);
  await page.getByRole('button', { name: 'Change time zone…' }).click();
  const form = page.getByRole('group', { name: "Change the contact's time zone" });
  await form.waitFor();

  // A zone that does not exist: the server's words, on the field.
  const zone = form.getByLabel('Time zone (IANA name)');
  // Focus moves into the form, on the field the admin came for.
  assert.equal(await zone.evaluate((el) => el === document.activeElement), true);
  await zone.fill('Mars/Olympus');
  await form.getByRole('button', { name: 'Save time zone' }).click();
  await form.getByText('must be an IANA time zone').waitFor();
  assert.equal(await zone.getAttribute('aria-invalid'), 'true');
  await page.screenshot({ path: path.join(resultsDir, 'contact-time-zone-form.png') });

  // Escape closes the form without saving; it opens again where it was.
  await page.keyboard.press('Escape');
  await form.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Change time zone…');
  await page.getByRole('button', { name: 'Change time zone…' }).click();
  await form.waitFor();
  await zone.fill('Europe/Paris');
  await form.getByLabel('Reason (kept in the audit)').fill('moved to Lyon, said on the phone');
  await form.getByRole('button', { name: 'Save time zone' }).click();
  await form.waitFor({ state: 'detached' });
  await page.getByText('(Europe/Paris)').waitFor();
  await page.screenshot({ path: path.join(resultsDir, 'contact-time-zone.png') });

  const audit = await (await app.context.request.get(
    `/api/v1/admin/audit?contact=${encodeURIComponent(conv.contact.phone)}&action=time_zone_changed`)).json();
  assert.equal(audit.items.length >= 1, true, JSON.stringify(audit));
  assert.match(audit.items[0].evidence, /to Europe\/Paris: moved to Lyon, said on the phone$/);
}, OPTIONS));

test('an agent has no way to change a contact\'s time zone', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const list = await (await app.context.request.get('/api/v1/conversations?limit=1')).json();
  const page = await app.open(`/conversations/${list.items[0].id}`);
  await page.getByText('Their time:').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Change time zone…' }).count(), 0);
}, OPTIONS));
