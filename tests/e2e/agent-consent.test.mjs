// The consent rules as the agent and the contact see them, in two tabs:
// the agent's thread and the contact-phone page (the simulator).
//
// New contacts get a number in a zone where it is daytime now, so opt-in
// requests fall outside quiet hours (21:00–08:00 in the contact's zone)
// whenever the tests run. The demo's own contacts live in New York.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, logIn, sameOrigin, DEMO } from './harness.mjs';

const options = { args: ['--demo', '--test-clock'], allowConsole: [/status of 40[19]/] };

const REQUEST_EXPIRED = "The contact hasn't responded to the opt-in request for more than 24 hours. You can try sending the request again.";
const CONFLICT = 'Looks like this contact is already messaging with another user in your line of business. Contact your administrator.';
const NOT_REQUESTED = "This contact hasn't opted in yet. Send an opt-in request to start messaging.";

/** A contact number whose local time is daytime now (quiet hours are 21–08). */
function daytimeNumber(suffix) {
  const utc = new Date().getUTCHours();
  const zones = [
    ['+8190123456', 9], // Tokyo, UTC+9
    ['+4420794600', 0], // London, UTC+0 (winter)
    ['+12125550', -5], // New York, UTC-5 (winter)
  ];
  for (const [prefix, offset] of zones) {
    const local = (utc + offset + 24) % 24;
    if (local >= 9 && local <= 19) return `${prefix}${(prefix === '+12125550' ? '17' : '0') + suffix}`;
  }
  return `+6129374${suffix.padStart(4, '0')}`; // Sydney, UTC+11 (summer)
}

async function agentStarts(page, agent, phone, name, channel = 'SMS') {
  await logIn(page, agent);
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByLabel("Contact's phone number").fill(phone);
  await page.getByLabel('Name (optional)').fill(name);
  await page.getByLabel('Channel', { exact: true }).first().selectOption({ label: channel });
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await page.getByRole('heading', { name }).waitFor();
  return page.getByRole('region', { name: 'Consent' });
}

async function contactPhone(app, from, to, channel = 'sms') {
  const phone = await app.open(`/phone?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&channel=${channel}`);
  await phone.getByRole('heading', { name: 'Contact phone' }).waitFor();
  return {
    page: phone,
    async reply(text) {
      await phone.getByLabel('Reply').fill(text);
      await phone.getByRole('button', { name: 'Send reply' }).click();
      await phone.getByRole('list', { name: 'Messages on this phone' }).getByText(text, { exact: true }).last().waitFor();
    },
    requests: () => phone.getByRole('list', { name: 'Messages on this phone' }).getByText(/Reply YES to accept or NO to decline/),
  };
}

test('request → contact replies YES → agent sends; STOP → re-opt-in instructions', withApp(async (app) => {
  const number = daytimeNumber('1');
  const page = await app.open('/login');
  const banner = await agentStarts(page, DEMO.ana, number, 'Yuki Tanaka');
  await banner.getByText(NOT_REQUESTED).waitFor();
  const composer = page.getByRole('textbox', { name: 'Message' });
  assert.ok(await composer.isDisabled(), 'composer is disabled before consent');
  await page.getByText("This contact hasn't opted in yet. Send an opt-in request before messaging them.").waitFor();

  await page.getByRole('button', { name: 'Request opt-in' }).click();
  await banner.getByText(/^Opt-in request sent\. Waiting for the contact to reply\. You can resend it in 2[34] h/).waitFor();
  await page.getByRole('status').getByText('Opt-in request sent.', { exact: true }).waitFor();
  await page.getByText('Automatic message').first().waitFor();

  const phone = await contactPhone(app, number, DEMO.ana.number);
  await phone.requests().first().waitFor();
  await phone.reply('  Yes! ');
  // Live: the agent's view changes without a reload.
  await banner.getByText('The contact accepted messages.').waitFor();
  assert.ok(await composer.isEnabled());
  await composer.fill('Your visit is booked for Tuesday.');
  await composer.press('Enter');
  const messages = page.getByRole('list', { name: 'Messages' });
  await messages.getByText('Your visit is booked for Tuesday.').waitFor();
  await messages.getByText(/✓ Sent|✓✓ Delivered|✓✓ Read/).last().waitFor();
  // Cleared once the server accepted (its live event may come first).
  await page.waitForFunction(() => document.getElementById('composer-text').value === '');
  await phone.page.getByText('Your visit is booked for Tuesday.').waitFor();

  await phone.reply('STOP');
  await phone.page.getByText(/To opt in again, reply START or YES\./).waitFor();
  await banner.getByText(/^The contact opted out, so you can't message them or send opt-in requests\. They can opt in again by replying/).waitFor();
  assert.ok(await composer.isDisabled(), 'no messages after opt-out');
  assert.ok(await page.getByRole('button', { name: 'Request opt-in' }).isDisabled(), 'no requests after opt-out');
}, options));

test('another reply → a new request arrives; NO → the rejection is shown and requests are refused', withApp(async (app) => {
  const number = daytimeNumber('2');
  const page = await app.open('/login');
  const banner = await agentStarts(page, DEMO.ana, number, 'Kenji Sato');
  await page.getByRole('button', { name: 'Request opt-in' }).click();
  await page.getByRole('status').getByText('Opt-in request sent.', { exact: true }).waitFor();
  const phone = await contactPhone(app, number, DEMO.ana.number);
  await phone.requests().first().waitFor();
  await phone.reply('Who is this?');
  await phone.requests().nth(1).waitFor();
  assert.equal(await phone.requests().count(), 2, 'a second request arrived automatically');
  await page.getByRole('list', { name: 'Messages' }).getByText('Who is this?').waitFor();

  await phone.reply('NO');
  await banner.getByText("The contact rejected the opt-in request, so you can't send more requests. They can still opt in by replying YES.").waitFor();
  const request = page.getByRole('button', { name: 'Request opt-in' });
  assert.ok(await request.isDisabled(), 'the engine refuses a new request');
  // The server refuses too.
  const id = new URL(page.url()).pathname.split('/').pop();
  const answer = await page.request.post(`/api/v1/conversations/${id}/opt-in-request`, { headers: sameOrigin(app) });
  assert.equal(answer.status(), 409);
  assert.equal((await answer.json()).error.code, 'rejected');
}, options));

test('24 hours without an answer → the exact text and a working resend', withApp(async (app) => {
  const number = daytimeNumber('3');
  const page = await app.open('/login');
  const banner = await agentStarts(page, DEMO.ana, number, 'Aiko Mori');
  await page.getByRole('button', { name: 'Request opt-in' }).click();
  await banner.getByText(/You can resend it in 2[34] h/).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Request opt-in' }).isDisabled());
  // One sentence per fact: the banner names the resend time, nothing repeats it.
  assert.equal(await page.getByText(/You can send it again in/).count(), 0);

  const clock = await page.request.post('/api/v1/test/clock', { headers: sameOrigin(app), data: { advance_seconds: 24 * 3600 + 60 } });
  assert.equal(clock.status(), 200);
  await page.reload();
  await banner.getByText(REQUEST_EXPIRED, { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Request opt-in' }).click();
  await page.getByRole('status').getByText('Opt-in request sent.', { exact: true }).waitFor();
  await banner.getByText(/You can resend it in 2[34] h/).waitFor();
  const phone = await contactPhone(app, number, DEMO.ana.number);
  await phone.requests().nth(1).waitFor();
}, options));

test('a second agent of the same line of business sees the exact conflict text (WhatsApp)', withApp(async (app) => {
  // Ana holds James Smith on WhatsApp (demo seed); Ben is also in Sales.
  const page = await app.open('/login');
  const banner = await agentStarts(page, DEMO.ben, '+12125550142', 'James Smith', 'WhatsApp');
  await banner.getByText(CONFLICT, { exact: true }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Request opt-in' }).isDisabled());
  assert.ok(await page.getByRole('textbox', { name: 'Message' }).isDisabled());
  const id = new URL(page.url()).pathname.split('/').pop();
  const answer = await page.request.post(`/api/v1/conversations/${id}/opt-in-request`, { headers: sameOrigin(app) });
  assert.equal(answer.status(), 409);
  assert.equal((await answer.json()).error.message, CONFLICT);
}, options));

test('WhatsApp switched off by the admin: the agent sees it, the contact gets the auto-reply', withApp(async (app) => {
  const admin = await app.browser.newContext({ baseURL: app.server.url });
  try {
    const login = await admin.request.post('/api/v1/auth/login', { data: DEMO.admin });
    assert.equal(login.status(), 200);
    const numbers = await (await admin.request.get('/api/v1/admin/numbers')).json();
    const ana = numbers.numbers.find((n) => n.phone === DEMO.ana.number);
    const off = await admin.request.patch(`/api/v1/admin/numbers/${ana.id}`, { headers: sameOrigin(app), data: { whatsapp_enabled: false } });
    assert.equal(off.status(), 200);
  } finally {
    await admin.close();
  }
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByRole('option', { name: /James Smith/ }).click();
  const banner = page.getByRole('region', { name: 'Consent' });
  await banner.getByText('WhatsApp is turned off for this number. Contact your administrator.').waitFor();
  assert.ok(await page.getByRole('textbox', { name: 'Message' }).isDisabled());
  const phone = await contactPhone(app, '+12125550142', DEMO.ana.number, 'whatsapp');
  await phone.reply('Hello?');
  await phone.page.getByText("Thanks for contacting Acme Home Services. We're not currently using this number to accept WhatsApp messages.").waitFor();
}, options));

test('the server corrects the engine: a send the browser allowed is refused, and the view says so', withApp(async (app) => {
  const number = daytimeNumber('4');
  const page = await app.open('/login');
  const banner = await agentStarts(page, DEMO.ana, number, 'Hana Ito', 'WhatsApp');
  await page.getByRole('button', { name: 'Request opt-in' }).click();
  await page.getByRole('status').getByText('Opt-in request sent.', { exact: true }).waitFor();
  const yes = await page.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from: number, to: DEMO.ana.number, channel: 'whatsapp', body: 'YES' },
  });
  assert.equal(yes.status(), 200);
  await banner.getByText(/^The contact accepted messages\. The WhatsApp 24-hour window closes in 2[34] h/).waitFor();
  // The admin switches WhatsApp off behind the agent's back: the browser
  // still believes sending is allowed.
  const admin = await app.browser.newContext({ baseURL: app.server.url });
  try {
    await admin.request.post('/api/v1/auth/login', { data: DEMO.admin });
    const numbers = await (await admin.request.get('/api/v1/admin/numbers')).json();
    const ana = numbers.numbers.find((n) => n.phone === DEMO.ana.number);
    await admin.request.patch(`/api/v1/admin/numbers/${ana.id}`, { headers: sameOrigin(app), data: { whatsapp_enabled: false } });
  } finally {
    await admin.close();
  }
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill('Are you free on Friday?');
  await composer.press('Enter');
  await page.getByRole('alert').getByText('The server refused this: WhatsApp is turned off for this number. Contact your administrator.').waitFor();
  assert.equal(await composer.inputValue(), 'Are you free on Friday?', 'nothing typed is lost');
  await banner.getByText('WhatsApp is turned off for this number. Contact your administrator.').waitFor();
}, options));
