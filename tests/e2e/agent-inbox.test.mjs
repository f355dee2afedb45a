// The inbox and thread: keyboard use, safe rendering, accessibility, live status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, accessibilityViolations, logIn, sameOrigin, DEMO } from './harness.mjs';

const options = { args: ['--demo'], allowConsole: [/status of 40[19]/] };

test('keyboard only: log in, move through the inbox with j/k, open with Enter, send with Enter', withApp(async (app) => {
  const page = await app.open('/login');
  await page.getByLabel('E-mail').focus();
  await page.keyboard.type(DEMO.ana.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO.ana.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const list = page.getByRole('listbox', { name: 'Conversations' });
  await list.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  // Tab until the conversation list has focus.
  for (let i = 0; i < 25; i++) {
    if (await list.evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  assert.ok(await list.evaluate((el) => el === document.activeElement), 'Tab reaches the conversation list');
  const selected = () => list.getByRole('option', { selected: true }).innerText();
  assert.match(await selected(), /James Smith/); // newest first
  await page.keyboard.press('j');
  assert.match(await selected(), /Maria Garcia/);
  await page.keyboard.press('k');
  assert.match(await selected(), /James Smith/);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  const composer = page.getByRole('textbox', { name: 'Message' });
  for (let i = 0; i < 40; i++) {
    if (await composer.evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  assert.ok(await composer.evaluate((el) => el === document.activeElement), 'Tab reaches the composer');
  await page.keyboard.type('Sent from the keyboard');
  await page.keyboard.press('Enter');
  await page.getByRole('list', { name: 'Messages' }).getByText('Sent from the keyboard').waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}, options));

test('a message with HTML and script in it is shown as text and runs nothing', withApp(async (app) => {
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>bold</b>';
  const page = await app.open('/login');
  const sent = await page.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from: '+12125550141', to: DEMO.ana.number, channel: 'sms', body: evil },
  });
  assert.equal(sent.status(), 200);
  await logIn(page, DEMO.ana);
  await page.getByRole('option', { name: /Maria Garcia/ }).click();
  const messages = page.getByRole('list', { name: 'Messages' });
  await messages.getByText(evil, { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await messages.locator('img, script, b').count(), 0);
}, options));

test('a live contact message appears in the inbox and the thread without a reload', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByText('Live', { exact: true }).waitFor();
  await page.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from: '+12125550141', to: DEMO.ana.number, channel: 'sms', body: 'Running 10 minutes late' },
  });
  const first = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option').first();
  await first.getByText('Running 10 minutes late').waitFor();
  await first.getByText(/\d+ unread/).waitFor();
  await first.click();
  await page.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from: '+12125550141', to: DEMO.ana.number, channel: 'sms', body: 'Actually 15' },
  });
  await page.getByRole('list', { name: 'Messages' }).getByText('Actually 15').waitFor();
}, options));

test('inbox and thread have no accessibility violations (axe-core), and fit 360 px', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), [], 'inbox');
  await page.getByRole('option', { name: /Maria Garcia/ }).click();
  await page.getByRole('region', { name: 'Consent' }).getByText(/accepted/).waitFor();
  assert.deepEqual(await accessibilityViolations(page), [], 'thread');
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `thread is ${overflow}px wider than the screen`);
  const phone = await app.open('/phone');
  await phone.getByRole('heading', { name: 'Contact phone' }).waitFor();
  assert.deepEqual(await accessibilityViolations(phone), [], 'contact phone');
}, options));

test('an answer the app cannot read says so, naming what is missing, and Retry loads it', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  // The server's answer for a conversation, cut down to a shape the app's
  // wire types do not accept.
  let broken = true;
  await page.route((url) => /^\/api\/v1\/conversations\/\d+$/.test(url.pathname), async (route) => {
    if (broken && route.request().method() === 'GET') {
      await route.fulfill({ status: 200, contentType: 'application/json', body: '{"conversation": {"id": 1}}' });
    } else {
      await route.continue();
    }
  });
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option').first().click();
  const alert = page.getByRole('alert').filter({ hasText: "The server's answer could not be read" });
  await alert.waitFor();
  assert.match(await alert.innerText(), /\(missing field `[a-z_]+`\)\. Reload the page\./);
  broken = false;
  await alert.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  assert.equal(await alert.count(), 0, 'the error is gone once the answer reads');
}, options));
