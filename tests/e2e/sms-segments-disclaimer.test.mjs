// Issue 12, items 4 and 5: the composer's SMS segment counter (rule 17) and
// disclaimer mode (rule 15) — an admin switches a flow to a disclosure
// notice, an agent messages without asking, the contact's phone gets the
// notice first and the thread shows "Notified".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, logIn, accessibilityViolations, DEMO, resultsDir } from './harness.mjs';
import path from 'node:path';

const options = { args: ['--demo'] };

/** A US contact number (quiet hours do not restrict free-form messages). */
function contactNumber(suffix) {
  return `+1202555${suffix.padStart(4, '0')}`;
}

async function fieldErrors(field) {
  return field.evaluate((el) =>
    (el.getAttribute('aria-describedby') || '').split(' ')
      .map((id) => document.getElementById(id))
      .filter((e) => e && e.classList.contains('field-errors'))
      .map((e) => e.textContent).join(' '));
}

/** The admin opens Sales' SMS flow (Ana's line of business). */
async function openSmsFlow(app) {
  const page = await app.open('/login');
  await logIn(page, DEMO.admin);
  await page.goto('/admin/flows');
  await page.getByRole('heading', { name: 'Opt-in flows' }).waitFor();
  await page.waitForFunction(() => document.getElementById('flow-keywords-accept')?.value === 'YES');
  await page.getByLabel('Channel', { exact: true }).selectOption({ label: 'SMS' });
  await page.getByRole('textbox', { name: 'Most SMS segments per message' }).waitFor();
  return page;
}

async function startConversation(page, phone, name) {
  await page.getByText('New conversation').click();
  await page.getByLabel("Contact's phone number").fill(phone);
  await page.getByLabel('Name (optional)').fill(name);
  await page.getByLabel('Channel', { exact: true }).first().selectOption({ label: 'SMS' });
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await page.getByRole('heading', { name }).waitFor();
  return page.getByRole('region', { name: 'Consent' });
}

test('the flow editor counts SMS segments per text and names the field over the limit', withApp(async (app) => {
  const page = await openSmsFlow(app);
  const help = page.getByRole('textbox', { name: 'Help reply' });
  const count = page.locator('#flow-messages-help-count');
  await help.fill('{company}: reply STOP to opt out.');
  await count.getByText('1 SMS segment with names filled in (at most 2)').waitFor();
  await help.fill(`{company} ${'a'.repeat(140)}`);
  await count.getByText('2 SMS segments with names filled in (at most 2)').waitFor();
  await help.fill(`{company} 😀 ${'a'.repeat(110)}`);
  await count.getByText('3 SMS segments (Unicode) with names filled in (at most 2)').waitFor();
  assert.match(await fieldErrors(help), /takes 3 SMS segments \(Unicode\); this flow allows at most 2/);
  assert.equal(await help.getAttribute('aria-invalid'), 'true');
  // Raising the limit makes it valid, instantly.
  await page.getByRole('textbox', { name: 'Most SMS segments per message' }).fill('3');
  assert.equal(await fieldErrors(help), '');
  assert.ok(await page.getByRole('button', { name: 'Save flow' }).isEnabled());
}, options));

test('disclaimer mode: notice validated in the editor, first message carries it, banner and badge say Notified; the composer counts segments', withApp(async (app) => {
  const admin = await openSmsFlow(app);
  await admin.getByRole('radio', { name: /Disclosure notice: the first message goes out with a notice/ }).check();
  const notice = admin.getByRole('textbox', { name: 'Disclosure notice' });
  await notice.waitFor();
  // Validated instantly by the wasm engine: it must say how to opt out.
  await notice.fill('{company} will text you about your visits.');
  assert.match(await fieldErrors(notice), /The notice must say how to opt out/);
  assert.ok(await admin.getByRole('button', { name: 'Save flow' }).isDisabled());
  const noticeText = '{company} texts you here about your visits. Reply STOP to opt out.';
  await notice.fill(noticeText);
  assert.equal(await fieldErrors(notice), '');

  // The offline preview plays it: the agent writes, the notice goes first.
  const preview = admin.getByRole('complementary', { name: 'Preview' });
  await preview.getByRole('textbox', { name: 'Agent writes' }).fill('Your crown is ready.');
  await preview.getByRole('button', { name: 'Send as agent' }).click();
  const transcript = preview.getByRole('list', { name: 'Transcript' });
  await transcript.getByText('Disclosure notice: Acme Home Services texts you here about your visits. Reply STOP to opt out.').waitFor();
  await preview.getByTestId('preview-state').getByText('Notified (disclosure notice sent)').waitFor();

  assert.deepEqual(await accessibilityViolations(admin), [], 'flow editor in disclaimer mode');
  await admin.getByRole('button', { name: 'Save flow' }).click();
  await admin.getByRole('status').getByText('Saved.', { exact: false }).waitFor();
  await admin.screenshot({ path: path.join(resultsDir, 'flow-editor-disclaimer.png'), fullPage: true });

  // The agent, in another browser context.
  const agentContext = await app.browser.newContext({ baseURL: app.server.url });
  const page = await agentContext.newPage();
  await page.goto('/login');
  await logIn(page, DEMO.ana);
  const phoneNumber = contactNumber('0191');
  const banner = await startConversation(page, phoneNumber, 'Dana Diaz');
  await banner.getByText('No opt-in needed: this flow sends a disclosure notice with your first message. You can message this contact.').waitFor();
  assert.equal(await banner.getByRole('button', { name: 'Request opt-in' }).count(), 0, 'no request needed');

  // The composer counts segments as the agent types (the wasm engine).
  const composer = page.getByRole('textbox', { name: 'Message' });
  assert.ok(await composer.isEnabled());
  const counter = page.getByRole('status').filter({ hasText: /SMS segment/ });
  await composer.fill('Hello Dana');
  await counter.getByText('1 SMS segment', { exact: true }).waitFor();
  assert.equal(await counter.getAttribute('aria-live'), 'polite');
  await composer.fill('a'.repeat(161));
  await counter.getByText('2 SMS segments', { exact: true }).waitFor();
  await composer.fill('See you soon 😀');
  await counter.getByText('1 SMS segment (Unicode)', { exact: true }).waitFor();
  await composer.fill(`${'a'.repeat(70)}😀`);
  await counter.getByText('2 SMS segments (Unicode)', { exact: true }).waitFor();
  await page.screenshot({ path: path.join(resultsDir, 'composer-segments.png'), fullPage: true });
  assert.deepEqual(await accessibilityViolations(page), [], 'thread with the segment counter');

  await composer.fill('Your crown is ready.');
  await composer.press('Enter');
  await page.getByRole('list', { name: 'Messages' }).getByText('Your crown is ready.').waitFor();
  await banner.getByText(/^The contact received the disclosure notice with your first message\. You can message them; they can opt out any time by replying STOP\./).waitFor();
  // The thread's badge (the inbox beside it lists "Notified" as a filter too).
  await page.getByRole('region', { name: 'Dana Diaz' }).getByText('Notified', { exact: true }).first().waitFor();
  await page.screenshot({ path: path.join(resultsDir, 'thread-notified.png'), fullPage: true });

  // The contact's phone got the notice, then the message.
  const phone = await app.open(`/phone?from=${encodeURIComponent(phoneNumber)}&to=${encodeURIComponent(DEMO.ana.number)}&channel=sms`);
  await phone.getByRole('heading', { name: 'Contact phone' }).waitFor();
  const received = phone.getByRole('list', { name: 'Messages on this phone' });
  await received.getByText('Acme Home Services texts you here about your visits. Reply STOP to opt out.').waitFor();
  await received.getByText('Your crown is ready.').waitFor();
  const texts = await received.getByRole('listitem').allTextContents();
  const iNotice = texts.findIndex((t) => t.includes('Reply STOP to opt out.'));
  const iMessage = texts.findIndex((t) => t.includes('Your crown is ready.'));
  assert.ok(iNotice >= 0 && iNotice < iMessage, `notice first: ${JSON.stringify(texts)}`);

  // The audit holds the exact notice.
  const audit = await (await app.context.request.get('/api/v1/admin/audit?contact=' + encodeURIComponent(phoneNumber))).json();
  assert.equal(audit.items[0].to_state, 'notified');
  assert.equal(audit.items[0].evidence, 'Acme Home Services texts you here about your visits. Reply STOP to opt out.');
  await agentContext.close();
}, options));
