// The admin's settings (issue 7): access for admins only, channel switches,
// contact ownership, the consent audit and its CSV export, accessibility.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'playwright-core';
import { withApp, loginAs, accessibilityViolations, sameOrigin, DEMO } from './harness.mjs';

const DEMO_SERVER = { args: ['--demo'] };

/** A second, independent API session (another person at another desk). */
async function apiAs(app, who) {
  // An API client writes as the app does: JSON, from the app's origin.
  const api = await request.newContext({ baseURL: app.server.url, extraHTTPHeaders: sameOrigin(app) });
  const r = await api.post('/api/v1/auth/login', { data: who });
  assert.ok(r.ok(), `login as ${who.email}`);
  return api;
}

test('an agent who types a settings address sees "Not allowed"', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/admin/flows');
  await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
  await page.getByText('Only administrators can change').waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Settings' }).count(), 0);
  // Once the app knows who is here, the main navigation offers no settings.
  await page.getByRole('banner').getByText('Ana Alvarez').waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).count(), 0);
  // The server agrees: the admin API refuses the agent.
  const r = await app.context.request.get('/api/v1/admin/users');
  assert.equal(r.status(), 403);
}, DEMO_SERVER));

test('users and numbers: list, add an agent, deactivate', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin');
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).waitFor();
  await page.getByRole('rowheader', { name: 'Ana Alvarez' }).waitFor();
  await page.getByRole('rowheader', { name: '+14155550101' }).waitFor();
  assert.equal(await page.getByRole('row', { name: /\+14155550101/ }).getByText('Simulator').count(), 1);

  // A server-side problem lands beside its field.
  await page.getByRole('textbox', { name: 'Name' }).fill('Dee Diaz');
  await page.getByRole('textbox', { name: 'E-mail' }).fill('dee@acme.example');
  await page.getByLabel('Password').fill('a-long-password-1');
  await page.getByRole('button', { name: 'Add user' }).click();
  const phone = page.getByRole('textbox', { name: 'Business number (agents)' });
  await page.locator('#new-phone-error').getByText(/business number/).waitFor();
  // The browser logs the expected 422 as a console error; only that one is forgiven.
  const expected = app.consoleErrors.findIndex((e) => e.includes('422'));
  assert.ok(expected >= 0);
  app.consoleErrors.splice(expected, 1);
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  await phone.fill('+14155550109');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.getByRole('status').getByText('Added Dee Diaz.').waitFor();
  await page.getByRole('rowheader', { name: 'Dee Diaz' }).waitFor();
  await page.getByRole('rowheader', { name: '+14155550109' }).waitFor();

  await page.getByRole('button', { name: 'Deactivate Dee Diaz' }).click();
  await page.getByRole('button', { name: 'Reactivate Dee Diaz' }).waitFor();
  const dee = await apiAs(app, { email: 'dee@acme.example', password: 'a-long-password-1' }).catch((e) => e);
  assert.ok(dee instanceof Error, 'a deactivated user cannot log in');
}, DEMO_SERVER));

test('switching WhatsApp off makes the contact get the auto-reply and the agent see it unavailable', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/users');
  const wa = page.getByRole('switch', { name: 'WhatsApp for +14155550101' });
  await wa.waitFor();
  assert.ok(await wa.isChecked());
  await wa.uncheck();
  await page.getByRole('status').getByText('+14155550101: SMS on, WhatsApp off.').waitFor();
  assert.equal(await page.getByRole('switch', { name: 'WhatsApp for +14155550101' }).isChecked(), false);

  // The contact (James, on WhatsApp with Ana) writes in and gets the auto-reply.
  const contact = '+12125550142';
  const sent = await app.context.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from: contact, to: '+14155550101', channel: 'whatsapp', body: 'Hello?' },
  });
  assert.ok(sent.ok(), await sent.text());
  const phone = await (await app.context.request.get(`/api/v1/sim/phones/${encodeURIComponent(contact)}/messages`)).json();
  const last = phone.messages.filter((m) => m.direction === 'outbound').at(-1);
  assert.match(last.body, /Acme Home Services\. We're not currently using this number to accept WhatsApp messages\./);

  // Ana's view of the conversation: the channel is unavailable.
  const ana = await apiAs(app, DEMO.ana);
  const list = await (await ana.get('/api/v1/conversations?channel=whatsapp')).json();
  const conv = list.items.find((c) => c.contact.phone === contact);
  const detail = await (await ana.get(`/api/v1/conversations/${conv.id}`)).json();
  assert.equal(detail.channel_enabled, false);
  await ana.dispose();
  // ...and in her browser the thread says so, in the engine's words.
  const anaBrowser = await app.browser.newContext({ baseURL: app.server.url });
  const login = await anaBrowser.request.post('/api/v1/auth/login', { data: DEMO.ana });
  assert.ok(login.ok());
  const anaPage = await anaBrowser.newPage();
  await anaPage.goto(`/conversations/${conv.id}`);
  await anaPage.getByText('WhatsApp is turned off for this number. Contact your administrator.').first().waitFor();
  await anaBrowser.close();

  // Switching it back on is audited with who did it.
  await page.getByRole('switch', { name: 'WhatsApp for +14155550101' }).check();
  await page.getByRole('status').getByText('+14155550101: SMS on, WhatsApp on.').waitFor();
}, DEMO_SERVER));

test('reassigning a contact lifts the conflict for the new holder', withApp(async (app) => {
  const contact = '+12125550142'; // James: Ana holds him on WhatsApp in Sales.
  const ben = await apiAs(app, DEMO.ben);
  const started = await ben.post('/api/v1/conversations', { data: { phone: contact, channel: 'whatsapp' } });
  assert.ok(started.ok(), await started.text());
  const conv = (await started.json()).id ?? (await started.json()).conversation?.id;
  const before = await ben.post(`/api/v1/conversations/${conv}/opt-in-request`);
  assert.equal(before.status(), 409, await before.text());
  assert.equal((await before.json()).error.code, 'owned_by_other_user');

  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/ownership');
  await page.getByRole('heading', { name: 'Contact ownership' }).waitFor();
  const row = page.getByRole('row', { name: new RegExp(contact.replace('+', '\\+')) });
  await row.getByText('Ana Alvarez').waitFor();
  await page.getByRole('combobox', { name: `New holder of ${contact}` }).selectOption({ label: 'Ben Brooks' });
  await page.getByRole('button', { name: `Reassign ${contact}` }).click();
  await page.getByRole('status').getByText(`${contact} is now held by Ben Brooks.`).waitFor();
  await row.getByText('Ben Brooks').first().waitFor();

  // The conflict is gone for Ben. (His request may still wait for the
  // contact's quiet hours — James lives in New York — which is another rule.)
  const after = await ben.post(`/api/v1/conversations/${conv}/opt-in-request`);
  if (!after.ok()) {
    const code = (await after.json()).error.code;
    assert.equal(code, 'quiet_hours', `Ben may now ask, or is only held back by quiet hours (got ${code})`);
  }
  await ben.dispose();

  // Releasing frees the contact: nobody holds it any more.
  await page.getByRole('button', { name: `Release ${contact}` }).click();
  await page.getByRole('status').getByText(`${contact} is released`).waitFor();
  await page.getByRole('rowheader', { name: contact }).waitFor({ state: 'detached' });
  await page.getByRole('rowheader', { name: '+12125550145' }).waitFor();
}, DEMO_SERVER));

test('the audit filters, and its CSV export holds exactly the filtered rows', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/audit');
  await page.getByRole('heading', { name: 'Consent audit' }).waitFor();
  await page.getByRole('status').getByText(/[1-9]\d* records? shown/).waitFor();

  await page.getByRole('textbox', { name: 'Contact phone' }).fill('+12125550141');
  await page.getByRole('combobox', { name: 'Channel' }).selectOption('sms');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() =>
    [...document.querySelectorAll('tbody tr')].every((tr) => tr.textContent.includes('+12125550141')));
  const shown = await page.locator('tbody tr').count();
  assert.ok(shown >= 2, `Maria's request and acceptance are audited (${shown})`);

  const link = page.getByRole('link', { name: 'Export CSV' });
  const href = await link.getAttribute('href');
  assert.match(href, /contact=%2B12125550141/);
  assert.match(href, /channel=sms/);
  // The link's own address, fetched as a browser download would be (gzip).
  const response = await app.context.request.get(href, { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-disposition'], /attachment/);
  const csv = (await response.text()).trim().split('\n');
  assert.equal(csv[0], 'id,at,business_number,contact_phone,channel,actor,action,from_state,to_state,evidence,request_text,provider_message_id,source,signature_verified,template_name,template_language');
  // The demo's history came through the simulator: each row says so.
  await page.getByRole('columnheader', { name: 'Source' }).waitFor();
  assert.ok(await page.locator('tbody td.source').filter({ hasText: 'simulator' }).count() >= 2, 'the source is shown');
  const rows = csv.slice(1);
  assert.equal(rows.length, shown, 'one CSV row per record shown');
  for (const r of rows) assert.match(r, /^\d+,[^,]+,\+14155550101,\+12125550141,sms,/);
  assert.ok(rows.some((r) => r.includes(',accepted,') || r.includes('accepted')), 'the acceptance is in the export');
}, DEMO_SERVER));

test('the browser downloads the audit CSV from the Export link', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/audit');
  const link = page.getByRole('link', { name: 'Export CSV' });
  await page.getByRole('status').getByText(/[1-9]\d* records? shown/).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(download.suggestedFilename(), 'consent-audit.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.match(csv[0], /^id,at,business_number,/);
  assert.ok(csv.length > 1, 'the demo history is exported');
}, DEMO_SERVER));

test('every admin page has no accessibility violations (axe-core)', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/users');
  const pages = [
    ['Users and numbers', '/admin/users', 'Ana Alvarez'],
    ['Opt-in flows', '/admin/flows', 'Preview'],
    ['Contact ownership', '/admin/ownership', 'Held by'],
    ['Consent audit', '/admin/audit', 'Evidence'],
  ];
  for (const [title, url, ready] of pages) {
    await page.goto(url);
    await page.getByRole('heading', { name: title }).waitFor();
    await page.getByText(ready, { exact: true }).first().waitFor();
    assert.deepEqual(await accessibilityViolations(page), [], `${url} is accessible`);
  }
}, DEMO_SERVER));
