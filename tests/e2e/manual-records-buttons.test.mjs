// Issue 12, items 2 and 3 in the browser: the "Record opt-out…" dialog of
// an agent and the "Record opt-in…" dialog of an admin (rule 13), each
// offered by the wasm engine for the user's role; and the flow editor's
// WhatsApp template settings with quick-reply buttons tapped in the offline
// preview (rule 14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, logIn, loginAs, sameOrigin, DEMO, resultsDir, accessibilityViolations } from './harness.mjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const options = { args: ['--demo'] };

const OPTED_OUT_BANNER =
  "The contact opted out, so you can't message them or send opt-in requests. They can opt in again by replying START or YES.";
const NOTE_REQUIRED = 'Write a note saying how the contact opted out, e.g. "Asked on a phone call to stop texting".';

async function shot(page, name) {
  mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: true });
}

/** The id of the element that has focus. */
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

test("an agent records an opt-out: the dialog checks the note, confirms, and the banner says opted out", withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByText('New conversation').click();
  await page.getByLabel("Contact's phone number").fill('+442079460171');
  await page.getByLabel('Name (optional)').fill('Priya Shah');
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await page.getByRole('heading', { name: 'Priya Shah' }).waitFor();
  const banner = page.getByRole('region', { name: 'Consent' });

  // The engine offers agents "Record opt-out…" and never "Record opt-in…".
  const opener = page.getByRole('button', { name: 'Record opt-out…' });
  await opener.waitFor();
  assert.equal(await page.getByRole('button', { name: 'Record opt-in…' }).count(), 0);

  // Opens as a labelled dialog with focus inside; Escape closes it and
  // focus goes back to the button.
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Record opt-out' });
  await dialog.waitFor();
  assert.equal(await focusedId(page), 'record-opt-out-note');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Record opt-out…');

  // Continue without a note: the engine's words beside the field.
  await opener.click();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const note = dialog.getByRole('textbox', { name: 'Note (required)' });
  await dialog.getByText(NOTE_REQUIRED).waitFor();
  assert.equal(await note.getAttribute('aria-invalid'), 'true');
  assert.equal(await focusedId(page), 'record-opt-out-note');
  assert.deepEqual(await accessibilityViolations(page), [], 'the open dialog passes axe');
  // It fits a 360 px phone screen.
  await page.setViewportSize({ width: 360, height: 740 });
  const box = await dialog.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 360, `dialog fits 360 px: ${JSON.stringify(box)}`);
  await shot(page, 'record-opt-out-360');
  await page.setViewportSize({ width: 1280, height: 800 });

  // A note, then the confirmation step says what the contact will get.
  await note.fill('Phone call today: asked us to stop texting');
  assert.equal(await note.getAttribute('aria-invalid'), 'false');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const confirm = dialog.getByRole('group', { name: 'Confirm' });
  await confirm.getByText('Record that the contact opted out?').waitFor();
  await confirm.getByText(/The contact will be sent: “You've been unsubscribed/).waitFor();
  await shot(page, 'record-opt-out-confirm');
  await dialog.getByRole('button', { name: 'Record opt-out', exact: true }).click();

  // Recorded: the dialog closes and the banner says so.
  await dialog.waitFor({ state: 'hidden' });
  await banner.getByText(OPTED_OUT_BANNER).waitFor();
  await page.getByText('Opt-out recorded. You can\'t message this contact or send opt-in requests.').waitFor();
  // The opt-out confirmation went out, shown in the thread.
  await page.getByRole('list', { name: 'Messages' }).getByText(/You've been unsubscribed/).waitFor();
  // Nothing left to record; the agent still has no opt-in action.
  assert.equal(await page.getByRole('button', { name: 'Record opt-out…' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Record opt-in…' }).count(), 0);
}, options));

test('an admin records an opt-in with its evidence; each missing field is named', withApp(async (app) => {
  // Ana starts the conversation; the admin opens it.
  await loginAs(app, DEMO.ana);
  const started = await app.context.request.post('/api/v1/conversations', {
    headers: sameOrigin(app),
    data: { phone: '+442079460172', channel: 'sms', name: 'Tom Okafor' },
  });
  assert.equal(started.status(), 201, await started.text());
  const { id } = await started.json();
  // Logged in already: this login is a write from the app's own origin.
  const admin = await app.context.request.post('/api/v1/auth/login', {
    headers: sameOrigin(app), data: { email: DEMO.admin.email, password: DEMO.admin.password },
  });
  assert.equal(admin.status(), 200, await admin.text());
  const page = await app.open(`/conversations/${id}`);
  await page.getByRole('heading', { name: 'Tom Okafor' }).waitFor();
  const banner = page.getByRole('region', { name: 'Consent' });

  const opener = page.getByRole('button', { name: 'Record opt-in…' });
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Record opt-in' });
  await dialog.waitFor();
  assert.equal(await focusedId(page), 'record-opt-in-reference');

  const reference = dialog.getByRole('textbox', { name: 'Evidence reference (required)' });
  const agreed = dialog.getByRole('textbox', { name: 'Exact text the contact agreed to (required)' });
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.getByText(/Enter the reference of the evidence/).waitFor();
  assert.equal(await reference.getAttribute('aria-invalid'), 'true');
  await reference.fill('FORM-2211');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.getByText('Enter the exact text the contact agreed to.').waitFor();
  assert.equal(await agreed.getAttribute('aria-invalid'), 'true');
  assert.equal(await focusedId(page), 'record-opt-in-text');
  await agreed.fill('I agree to receive text messages from Acme Dental. Reply STOP to opt out.');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await dialog.getByRole('group', { name: 'Confirm' }).getByText('Record that the contact opted in?').waitFor();
  await shot(page, 'record-opt-in-confirm');
  await dialog.getByRole('button', { name: 'Record opt-in', exact: true }).click();

  await dialog.waitFor({ state: 'hidden' });
  await banner.getByText('The contact accepted messages.').waitFor();
  await page.getByText('Opt-in recorded. The contact can be messaged now.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Record opt-in…' }).count(), 0);
  // Focus is not lost when the button it came from is gone.
  assert.equal(await focusedId(page), 'thread-title');

  // The audit keeps the evidence, as manual.
  const audit = await (await app.context.request.get('/api/v1/admin/audit?contact=%2B442079460172')).json();
  const last = audit.items.at(-1);
  assert.equal(last.action, 'accepted:manual');
  assert.equal(last.provider_message_id, 'FORM-2211');
  assert.equal(last.source, 'manual');
}, options));

test('the flow editor sets the WhatsApp template and its buttons; the preview taps them', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/flows');
  await page.getByRole('heading', { name: 'Opt-in flows' }).waitFor();
  await page.waitForFunction(() => document.getElementById('flow-keywords-accept')?.value === 'YES');
  const template = page.getByRole('group', { name: 'WhatsApp template' });
  await template.getByRole('textbox', { name: 'Template name' }).fill('optin_buttons');
  await template.getByRole('textbox', { name: 'Template language' }).fill('en_US');
  await template.getByRole('combobox', { name: 'Parameter {{1}}' }).selectOption('contact');
  await template.getByRole('combobox', { name: 'Parameter {{2}}' }).selectOption('contact');
  await template.getByText(/\{contact\} fills \{\{2\}\} and an earlier parameter/).waitFor();
  await template.getByRole('combobox', { name: 'Parameter {{2}}' }).selectOption('company');

  // One payload without the other: the engine names the missing one.
  const accept = template.getByRole('textbox', { name: 'Accept button payload' });
  const decline = template.getByRole('textbox', { name: 'Decline button payload' });
  await accept.fill('OPTIN_YES');
  await template.getByText("Set the decline button's payload too").waitFor();
  assert.equal(await decline.getAttribute('aria-invalid'), 'true');
  await decline.fill('OPTIN_YES');
  await template.getByText('The accept and decline buttons have the same payload').waitFor();
  await decline.fill('OPTIN_NO');
  assert.equal(await decline.getAttribute('aria-invalid'), 'false');

  // The preview: the request shows its buttons; a tap plays the payload.
  const preview = page.getByRole('complementary', { name: 'Preview' });
  await preview.getByRole('button', { name: 'Request opt-in' }).click();
  const buttons = preview.getByRole('group', { name: 'Quick-reply buttons' });
  await buttons.getByRole('button', { name: 'YES' }).waitFor();
  await shot(page, 'flow-preview-buttons');
  await buttons.getByRole('button', { name: 'YES' }).click();
  await preview.getByText('Tapped “YES” (payload OPTIN_YES)').waitFor();
  assert.equal(await preview.getByTestId('preview-state').textContent(), 'Accepted');

  await preview.getByRole('button', { name: 'Reset preview' }).click();
  await preview.getByRole('button', { name: 'Request opt-in' }).click();
  await preview.getByRole('group', { name: 'Quick-reply buttons' }).getByRole('button', { name: 'NO' }).click();
  assert.equal(await preview.getByTestId('preview-state').textContent(), 'Rejected');

  // Saved by the server as typed.
  await page.getByRole('button', { name: 'Save flow' }).click();
  await page.getByRole('status').getByText(/^Saved\./).waitFor();
  const lob = (await (await app.context.request.get('/api/v1/me')).json()).lines_of_business[0].id;
  const saved = await (await app.context.request.get(`/api/v1/admin/flows/${lob}/whatsapp`)).json();
  assert.deepEqual(saved.flow.whatsapp_template, {
    name: 'optin_buttons', language: 'en_US', body_parameters: ['contact', 'company'],
    accept_payload: 'OPTIN_YES', decline_payload: 'OPTIN_NO',
  });
}, options));
