// The admin's flow editor (issue 7): instant validation by the wasm engine,
// save (re-validated by the server), the unsaved-changes warning, and the
// offline preview played with the network cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, loginAs, sameOrigin, DEMO } from './harness.mjs';

const DEMO_SERVER = { args: ['--demo'] };

const EXPIRED =
  "The contact hasn't responded to the opt-in request for more than 24 hours. You can try sending the request again.";

async function openEditor(app) {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/flows');
  await page.getByRole('heading', { name: 'Opt-in flows' }).waitFor();
  const accept = page.getByRole('textbox', { name: 'Accept keywords' });
  // The saved flow has arrived once the boxes hold its values.
  await page.waitForFunction(() => document.getElementById('flow-keywords-accept')?.value === 'YES');
  return { page, accept };
}

/** The text of the error element tied to a field through aria-describedby. */
async function fieldErrors(field) {
  return field.evaluate((el) =>
    (el.getAttribute('aria-describedby') || '').split(' ')
      .map((id) => document.getElementById(id))
      .filter((e) => e && e.classList.contains('field-errors'))
      .map((e) => e.textContent).join(' '));
}

test('editing a flow into an invalid state shows field errors; fixing it enables save', withApp(async (app) => {
  const { page, accept } = await openEditor(app);
  const save = page.getByRole('button', { name: 'Save flow' });
  const reject = page.getByRole('textbox', { name: 'Reject keywords' });
  const request = page.getByRole('textbox', { name: 'Opt-in request' });
  const interval = page.getByRole('textbox', { name: 'Resend interval (minutes)' });
  assert.ok(await save.isDisabled(), 'nothing to save before an edit');

  await accept.fill('YES, NO');
  await request.fill('Hi {contact}, reply YES to accept. {coupon}');
  await interval.fill('30');

  // The engine's words, beside each field, at once.
  // In the words of the form's labels (issue 17), not the engine's paths.
  assert.match(await fieldErrors(reject), /"NO" is in both Accept keywords \("NO"\) and Reject keywords/);
  assert.equal(await reject.getAttribute('aria-invalid'), 'true');
  const requestErrors = await fieldErrors(request);
  assert.match(requestErrors, /coupon/, 'unknown placeholder named');
  assert.match(requestErrors, /decline/i, 'request must say how to decline');
  assert.match(await fieldErrors(interval), /60/);
  assert.ok(await save.isDisabled(), 'save is disabled while invalid');
  await page.getByRole('status').getByText(/problems? to fix before saving/).waitFor();

  // Fix every field: errors go away, save comes back.
  await accept.fill('YES, SURE');
  await request.fill('Hi {contact}, {company} here. Reply YES to accept or NO to decline.');
  await interval.fill('120');
  assert.equal(await fieldErrors(reject), '');
  assert.equal(await fieldErrors(request), '');
  assert.equal(await reject.getAttribute('aria-invalid'), 'false');
  assert.ok(await save.isEnabled());
  await save.click();
  await page.getByRole('status').getByText('Saved.', { exact: false }).waitFor();

  // The server stored exactly what was typed.
  const me = await (await app.context.request.get('/api/v1/me')).json();
  const sales = me.lines_of_business.find((l) => l.name === 'Sales').id;
  const doc = await (await app.context.request.get(`/api/v1/admin/flows/${sales}/whatsapp`)).json();
  assert.deepEqual(doc.flow.keywords.accept, ['YES', 'SURE']);
  assert.equal(doc.flow.resend_interval_minutes, 120);
  assert.equal(doc.is_default, false);

  // The server re-validates: an invalid flow sent behind the editor's back is
  // refused with the field named.
  const bad = await app.context.request.put(`/api/v1/admin/flows/${sales}/whatsapp`, {
    headers: sameOrigin(app),
    data: { flow: { ...doc.flow, messages: { ...doc.flow.messages, accepted: '' } } },
  });
  assert.equal(bad.status(), 422);
  assert.equal((await bad.json()).error.field, 'flow.messages.accepted');
}, DEMO_SERVER));

test('a refusal from the server on save is shown beside the field it names', withApp(async (app) => {
  const { page } = await openEditor(app);
  // The editor only saves flows the engine accepts, and the server runs the
  // same engine, so a real disagreement cannot be typed: stand in for one.
  await page.route('**/api/v1/admin/flows/*/whatsapp', (route) => route.request().method() === 'PUT'
    ? route.fulfill({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: {
      code: 'invalid_flow', field: 'flow.messages.help', message: 'The flow is invalid and was not saved. Say how to get help.' } }) })
    : route.continue());
  const help = page.getByRole('textbox', { name: 'Help reply' });
  await help.fill('Reply HELP for help.');
  await page.getByRole('button', { name: 'Save flow' }).click();
  await page.locator('#flow-messages-help-error').getByText('Server: The flow is invalid and was not saved. Say how to get help.').waitFor();
  assert.equal(await help.getAttribute('aria-invalid'), 'true');
  const i = app.consoleErrors.findIndex((e) => e.includes('422'));
  assert.ok(i >= 0);
  app.consoleErrors.splice(i, 1);
  // Editing the field again clears the server's old verdict.
  await help.fill('Reply HELP for help, STOP to stop.');
  assert.equal(await page.locator('#flow-messages-help-error').textContent(), '');
}, DEMO_SERVER));

test('leaving the editor with unsaved changes asks first', withApp(async (app) => {
  const { page, accept } = await openEditor(app);
  await accept.fill('YES, OK');
  const dialogs = [];
  page.once('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Consent audit' }).click();
  await page.waitForTimeout(200);
  assert.match(dialogs[0] ?? '', /unsaved changes/);
  assert.equal(new URL(page.url()).pathname, '/admin/flows', 'stayed on the editor');
  page.once('dialog', (d) => d.accept());
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Consent audit' }).click();
  await page.getByRole('heading', { name: 'Consent audit' }).waitFor();
}, DEMO_SERVER));

test('the preview plays accept, reject, re-prompt, 24 h resend and opt-out with the network blocked', withApp(async (app) => {
  const { page } = await openEditor(app);
  const preview = page.getByRole('complementary', { name: 'Preview' });
  await preview.getByRole('button', { name: 'Request opt-in' }).waitFor();

  // Cut the network: nothing below may reach the server.
  const attempted = [];
  await page.route('**/*', (route) => { attempted.push(route.request().url()); return route.abort(); });
  await app.context.setOffline(true);

  const transcript = preview.getByRole('list', { name: 'Transcript' });
  const state = preview.getByTestId('preview-state');
  const banner = preview.getByTestId('preview-banner');
  const reply = async (text) => {
    await preview.getByRole('textbox', { name: 'Contact replies' }).fill(text);
    await preview.getByRole('button', { name: 'Send reply' }).click();
  };
  const request = () => preview.getByRole('button', { name: 'Request opt-in' }).click();
  const reset = () => preview.getByRole('button', { name: 'Reset preview' }).click();
  const hasLine = (re) => transcript.getByRole('listitem').filter({ hasText: re }).last().waitFor();

  // Accept.
  await request();
  await hasLine(/Opt-in request \(WhatsApp template\): Hi Sam, this is Avery Admin from Acme Home Services/);
  assert.equal(await state.textContent(), 'Pending (1 request sent)');
  await reply('  yes!! ');
  await hasLine(/Opt-in confirmation: Thanks! You're now opted in/);
  assert.equal(await state.textContent(), 'Accepted');

  // Opt-out from accepted.
  await reply('STOP');
  await hasLine(/Opt-out confirmation: .*To opt in again, reply START or YES/);
  assert.equal(await state.textContent(), 'Opted out');

  // Re-prompt on any other reply, then reject.
  await reset();
  assert.equal(await transcript.getByRole('listitem').count(), 0);
  await request();
  await reply('who is this?');
  await hasLine(/the opt-in request was sent again automatically/);
  assert.equal(await state.textContent(), 'Pending (2 requests sent)', 'the request went out again');
  await reply('No');
  await hasLine(/Decline confirmation: Understood/);
  await hasLine(/The contact rejected the opt-in request/);
  assert.equal(await state.textContent(), 'Rejected');
  await request();
  await hasLine(/Refused: /);

  // 24 h resend.
  await reset();
  await request();
  await preview.getByRole('button', { name: '+1 h' }).click();
  await request();
  await hasLine(/Refused: An opt-in request is already waiting for the contact's reply\. You can send it again in 23 h/);
  await preview.getByRole('button', { name: '+24 h' }).click();
  assert.equal(await banner.textContent(), EXPIRED);
  await request();
  assert.equal(await state.textContent(), 'Pending (2 requests sent)');

  assert.deepEqual(attempted, [], 'the preview made no network request');
  await app.context.setOffline(false);
}, DEMO_SERVER));
