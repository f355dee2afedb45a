// Integrations (issue 15): webhook endpoints with a secret shown once and a
// copy button, "send test event", the delivery log with resend, and the
// printable proof of consent. A small HTTP server in this process plays the
// customer's endpoint; signatures are checked here with node's own HMAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'playwright-core';
import { withApp, loginAs, accessibilityViolations, sameOrigin, DEMO, resultsDir } from './harness.mjs';

const SERVER = { args: ['--demo', '--allow-private-webhooks', '--webhook-retry-base-ms', '200'] };

/** The customer's endpoint: records requests, answers `answer.status`. */
async function receiver() {
  const got = [];
  const answer = { status: 200, body: 'ok' };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ headers: req.headers, body, answered: answer.status });
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/optline-events`;
  return { got, answer, url, close: () => new Promise((r) => server.close(r)) };
}

/** Standard Webhooks verification, written out: HMAC-SHA256 of id.timestamp.body. */
function verifies(secret, { headers, body }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = createHmac('sha256', key).update(signed).digest();
  return headers['webhook-signature'].split(' ').some((s) => {
    const sig = Buffer.from(s.split(',')[1] ?? '', 'base64');
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  });
}

/** An IANA zone where it is about noon now (quiet hours never interfere). */
function noonZone() {
  let off = 12 - new Date().getUTCHours();
  if (off > 12) off -= 24;
  if (off < -11) off += 24;
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return off === 0 ? 'Etc/GMT' : off > 0 ? `Etc/GMT-${off}` : `Etc/GMT+${-off}`;
}

async function until(what, check, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('integrations: an endpoint, its secret once, a signed test event, the delivery log and resend', withApp(async (app) => {
  const rx = await receiver();
  try {
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.server.url });
    await loginAs(app, DEMO.admin);
    const page = await app.open('/admin');
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Integrations' }).click();
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    await page.getByText('No endpoint yet').waitFor();

    // A refused URL is explained beside its box.
    await page.getByRole('textbox', { name: 'Endpoint URL' }).fill('ftp://crm.example.com/x');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#hook-url-error').getByText('absolute URL').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Endpoint URL' }).getAttribute('aria-invalid'), 'true');
    const expected = app.consoleErrors.findIndex((e) => e.includes('422'));
    assert.ok(expected >= 0);
    app.consoleErrors.splice(expected, 1);

    await page.getByRole('textbox', { name: 'Endpoint URL' }).fill(rx.url);
    await page.getByRole('textbox', { name: 'Description (optional)' }).fill('Our CRM');
    assert.ok(await page.getByRole('checkbox', { name: 'consent.changed' }).isChecked());
    await page.getByRole('checkbox', { name: 'message.received' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();

    // The secret, once, with a copy button.
    await page.getByRole('heading', { name: `Signing secret for ${rx.url}` }).waitFor();
    const secret = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('status').getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    const row = page.getByRole('row', { name: new RegExp(rx.url) });
    await row.getByText('consent.changed, message.received').waitFor();
    await row.getByText('Enabled').waitFor();
    await page.screenshot({ path: `${resultsDir}/integrations-secret.png`, fullPage: true });
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.reload();
    await page.getByRole('row', { name: new RegExp(rx.url) }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'never shown again');

    // "Send test event": delivered, signed with that secret.
    await page.getByRole('button', { name: `Send test event to ${rx.url}` }).click();
    await page.getByRole('status').getByText(`Test event queued for ${rx.url}.`).waitFor();
    await until('the test event', () => rx.got.length === 1);
    assert.equal(JSON.parse(rx.got[0].body).type, 'webhook.test');
    assert.ok(verifies(secret, rx.got[0]), 'signature verifies with the copied secret');

    // The delivery log, refreshed until it shows the delivery.
    await page.getByRole('button', { name: `Delivery log of ${rx.url}` }).click();
    await page.getByRole('heading', { name: `Delivery log of ${rx.url}` }).waitFor();
    const log = page.getByRole('region', { name: `Delivery log of ${rx.url}` });
    await until('delivered in the log', async () => {
      await log.getByRole('button', { name: 'Refresh the log' }).click();
      return (await log.getByRole('cell', { name: 'delivered', exact: true }).count()) === 1;
    });
    assert.equal(await log.getByRole('cell', { name: '200', exact: true }).count(), 1);

    // The endpoint now fails: resend shows the status code and its answer.
    rx.answer.status = 500;
    rx.answer.body = 'receiver says no';
    await log.getByRole('button', { name: /^Resend webhook\.test of / }).click();
    await log.getByRole('status').getByText('webhook.test queued again.').waitFor();
    await until('the resent event', () => rx.got.length >= 2);
    assert.equal(rx.got[1].headers['webhook-id'], rx.got[0].headers['webhook-id'], 'same event id on resend');
    await until('the failure in the log', async () => {
      await log.getByRole('button', { name: 'Refresh the log' }).click();
      return (await log.getByRole('cell', { name: 'receiver says no' }).count()) === 1;
    });
    await log.getByRole('cell', { name: '500', exact: true }).waitFor();
    await log.getByRole('cell', { name: 'pending', exact: true }).waitFor();
    rx.answer.status = 200;

    // Disable / enable.
    await page.getByRole('button', { name: `Disable ${rx.url}` }).click();
    await page.getByRole('status').getByText(`${rx.url} disabled.`).waitFor();
    await page.getByRole('row', { name: new RegExp(rx.url) }).getByText('Disabled').waitFor();
    await page.getByRole('button', { name: `Enable ${rx.url}` }).click();
    await page.getByRole('row', { name: new RegExp(rx.url) }).getByText('Enabled').waitFor();

    // Rotation: a new secret shown once; both sign for a day.
    await page.getByRole('button', { name: `Rotate secret of ${rx.url}` }).click();
    await page.getByText('The previous secret keeps signing too until').waitFor();
    const rotated = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    assert.notEqual(rotated, secret);
    const before = rx.got.length;
    await page.getByRole('button', { name: `Send test event to ${rx.url}` }).click();
    const last = await until('the event after rotation', () => rx.got.length > before && rx.got.at(-1).answered === 200 && JSON.parse(rx.got.at(-1).body).type === 'webhook.test' && rx.got.at(-1));
    assert.ok(verifies(rotated, last) && verifies(secret, last), 'both secrets sign during the grace');

    const violations = await accessibilityViolations(page);
    assert.deepEqual(violations, []);
    await page.screenshot({ path: `${resultsDir}/integrations-log.png`, fullPage: true });
  } finally {
    await rx.close();
  }
}, SERVER));

test('proof of consent: a contact\'s history with the exact texts, printable', withApp(async (app) => {
  // Ana asks a new contact, who answers YES (as the API and simulator would).
  const ana = await request.newContext({ baseURL: app.server.url, extraHTTPHeaders: sameOrigin(app) });
  assert.ok((await ana.post('/api/v1/auth/login', { data: DEMO.ana })).ok());
  const contact = '+12025550161';
  const started = await ana.post('/api/v1/conversations', { data: { phone: contact, channel: 'sms', time_zone: noonZone() } });
  assert.equal(started.status(), 201, await started.text());
  const conv = (await started.json()).id;
  const asked = await ana.post(`/api/v1/conversations/${conv}/opt-in-request`);
  assert.equal(asked.status(), 200, await asked.text());
  const requestText = (await asked.json()).messages[0].body;
  const yes = await app.context.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app), data: { from: contact, to: DEMO.ana.number, channel: 'sms', body: 'YES' },
  });
  assert.ok(yes.ok(), await yes.text());

  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/proof');
  await page.getByRole('heading', { name: 'Proof of consent', level: 1 }).waitFor();
  // An unknown number is explained beside the box.
  await page.getByRole('textbox', { name: 'Contact phone' }).fill('+12025550100');
  await page.getByRole('button', { name: 'Show proof' }).click();
  await page.locator('#proof-phone-error').getByText('No contact').waitFor();
  const expected = app.consoleErrors.findIndex((e) => e.includes('404'));
  assert.ok(expected >= 0);
  app.consoleErrors.splice(expected, 1);

  await page.getByRole('textbox', { name: 'Contact phone' }).fill(contact);
  await page.getByRole('button', { name: 'Show proof' }).click();
  await page.getByRole('heading', { name: `Consent record of ${contact}` }).waitFor();
  await page.getByRole('heading', { name: `SMS on ${DEMO.ana.number} — now accepted` }).waitFor();
  const accepted = page.getByRole('row', { name: /pending → accepted/ });
  await accepted.getByRole('cell', { name: /^YES/ }).waitFor();
  await accepted.getByRole('cell', { name: requestText }).waitFor();
  await accepted.getByRole('cell', { name: /^simulator, message id / }).waitFor();
  await page.getByRole('row', { name: /not requested → pending/ }).getByRole('cell', { name: requestText }).first().waitFor();
  await page.getByRole('button', { name: 'Print' }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: `${resultsDir}/proof-screen.png`, fullPage: true });

  // Printed: only the document (no navigation, form or buttons).
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('navigation', { name: 'Settings' }).isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Print' }).isVisible(), false);
  assert.equal(await page.getByRole('textbox', { name: 'Contact phone' }).isVisible(), false);
  assert.ok(await page.getByRole('heading', { name: `Consent record of ${contact}` }).isVisible());
  await page.screenshot({ path: `${resultsDir}/proof-print.png`, fullPage: true });
  await page.emulateMedia({ media: 'screen' });

  // A direct link opens it for the number.
  const direct = await app.open(`/admin/proof?phone=${encodeURIComponent(contact)}`);
  await direct.getByRole('heading', { name: `Consent record of ${contact}` }).waitFor();
  await ana.dispose();
}, { args: ['--demo'] }));
