// The agent's workspace (issue 17): no stale consent state when the contact
// answers at once, the two-pane layout and its keyboard, and what a
// first-time user tripped over (the way in, console noise, the "New
// conversation" form, the banner's sentences, stale status lines, the flow
// editor's field names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  withApp, logIn, loginAs, sameOrigin, accessibilityViolations, resultsDir, DEMO,
} from './harness.mjs';

const options = { args: ['--demo'] };
const ACCEPTED = 'The contact accepted messages.';

/** An IANA zone where it is about noon now (quiet hours never interfere). */
function noonZone() {
  let off = 12 - new Date().getUTCHours(); // local = utc + off
  if (off > 12) off -= 24;
  if (off < -11) off += 24;
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
  return off === 0 ? 'Etc/GMT' : off > 0 ? `Etc/GMT-${off}` : `Etc/GMT+${-off}`;
}

/** Starts a conversation through the API as the logged-in page's user. */
async function startConversation(app, page, phone, name) {
  const r = await page.request.post('/api/v1/conversations', {
    headers: sameOrigin(app),
    data: { phone, channel: 'sms', name, time_zone: noonZone() },
  });
  assert.equal(r.status(), 201, await r.text());
  return (await r.json()).id;
}

/** The simulated contact writes to Ana. */
function contactSays(app, page, from, body) {
  return page.request.post('/api/v1/sim/inbound', {
    headers: sameOrigin(app),
    data: { from, to: DEMO.ana.number, channel: 'sms', body },
  });
}

async function shot(page, name) {
  mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: path.join(resultsDir, name), fullPage: true });
}

const focusedIn = (page, id) => page.evaluate((id) => !!document.getElementById(id)?.contains(document.activeElement), id);

// ------------------------------------------------------------ 1. no stale state

test('the contact replies YES 0–200 ms after "Request opt-in", 50 times: never stale', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  const stale = [];
  for (let i = 0; i < 50; i++) {
    const phone = `+120255501${String(i).padStart(2, '0')}`;
    const id = await startConversation(app, page, phone, `Race ${i}`);
    await page.goto(`/conversations/${id}`);
    const banner = page.getByRole('region', { name: 'Consent' });
    const request = banner.getByRole('button', { name: 'Request opt-in' });
    await page.getByText('Live', { exact: true }).waitFor();
    await request.waitFor();
    // Spread the reply over 0–200 ms; on every other round the request's
    // answer is also held back until the reply went out (a slow network),
    // so the live events overtake it.
    const delay = (i * 41) % 201;
    const slowAnswer = i % 2 === 1;
    let replied;
    const yes = new Promise((resolve) => { replied = resolve; });
    await page.route(`**/api/v1/conversations/${id}/opt-in-request`, async (route) => {
      const response = await route.fetch();
      if (slowAnswer) await yes;
      await route.fulfill({ response });
    });
    const clicked = Date.now();
    await request.click();
    await new Promise((r) => setTimeout(r, Math.max(0, delay - (Date.now() - clicked))));
    // The request must have reached the server before the YES counts as an answer.
    for (let t = 0; t < 100; t++) {
      const inbox = await (await page.request.get(`/api/v1/sim/phones/${encodeURIComponent(phone)}/messages`)).json();
      if (inbox.messages.some((m) => m.direction === 'outbound')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const sent = await contactSays(app, page, phone, 'YES');
    assert.equal(sent.status(), 200);
    replied();
    try {
      await banner.getByText(ACCEPTED).waitFor({ timeout: 5000 });
      await page.getByRole('list', { name: 'Messages' }).getByText('YES', { exact: true }).waitFor();
      // Settled: nothing older comes back over it.
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(await banner.getByText(ACCEPTED).isVisible(), 'still accepted');
      assert.ok(await page.getByRole('textbox', { name: 'Message' }).isEnabled(), 'composer enabled');
      assert.equal(await page.getByRole('status').getByText('Opt-in request sent.', { exact: true }).count(), 0);
    } catch (e) {
      stale.push(`round ${i} (reply after ${delay} ms${slowAnswer ? ', slow answer' : ''}): ${e.message.split('\n')[0]}`);
    }
    await page.unroute(`**/api/v1/conversations/${id}/opt-in-request`);
  }
  assert.deepEqual(stale, [], `${stale.length} of 50 ended stale`);
}, { ...options, allowConsole: [] }));

// ------------------------------------------------------------ 2. two panes

test('two panes at 1280 px: j/k and Enter open beside the list, Escape returns, the URL follows', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  const list = page.getByRole('listbox', { name: 'Conversations' });
  await list.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  await page.getByText(/Choose a conversation from the list/).waitFor();

  await list.focus();
  await page.keyboard.press('j');
  assert.match(await list.getByRole('option', { selected: true }).innerText(), /Maria Garcia/);
  await page.keyboard.press('k');
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/conversations\/\d+$/);
  const maria = new URL(page.url()).pathname;
  assert.ok(await list.isVisible(), 'the list stays beside the conversation');
  assert.ok(await focusedIn(page, 'conversation-pane'), 'focus moved into the conversation');
  assert.ok(await list.getByRole('option', { name: /Maria Garcia.*\(open\)/ }).isVisible(), 'the open row is marked');

  await page.keyboard.press('Escape');
  assert.ok(await list.evaluate((el) => el === document.activeElement), 'Escape returns focus to the list');
  await page.keyboard.press('k');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'James Smith' }).waitFor();
  const james = new URL(page.url()).pathname;
  assert.notEqual(james, maria);

  // Back and forward move between the conversations opened.
  await page.goBack();
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  assert.equal(new URL(page.url()).pathname, maria);
  await page.goForward();
  await page.getByRole('heading', { name: 'James Smith' }).waitFor();

  // A deep link opens both panes, the conversation marked in the list.
  const deep = await app.open(maria);
  await deep.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  await deep.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: /Maria Garcia.*\(open\)/ }).waitFor();
  await deep.getByRole('region', { name: 'Consent' }).getByText(/accepted/).waitFor();
  assert.deepEqual(await accessibilityViolations(deep), [], 'two panes');
  // Focus is visible on the list.
  await deep.getByRole('listbox', { name: 'Conversations' }).focus();
  await deep.keyboard.press('j');
  const outline = await deep.getByRole('listbox', { name: 'Conversations' }).evaluate((el) => getComputedStyle(el).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused list shows a focus ring');
  await shot(deep, 'workspace-1280.png');
}, options));

test('the search follows the address: the Inbox link clears it, Back brings it back', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  const list = page.getByRole('listbox', { name: 'Conversations' });
  const search = page.getByLabel('Search');
  const james = list.getByRole('option', { name: /James Smith/ });
  await james.waitFor();
  await search.fill('maria');
  await page.waitForURL((url) => url.search === '?q=maria');
  await james.waitFor({ state: 'detached' });
  await list.getByRole('option', { name: /Maria Garcia/ }).click();
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  const maria = new URL(page.url());
  assert.equal(maria.search, '?q=maria', 'the open conversation keeps the search');

  // The navigation's Inbox link (current: the inbox is on screen): the
  // whole inbox, and the form says so.
  const inboxLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox', exact: true });
  assert.equal(await inboxLink.getAttribute('aria-current'), 'page');
  await inboxLink.click();
  await page.waitForURL((url) => url.pathname === '/inbox' && url.search === '');
  await james.waitFor();
  assert.equal(await search.inputValue(), '', 'the search box is empty, as the address');

  // Back: the search that address names, in the box and in the list.
  await page.goBack();
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  assert.equal(new URL(page.url()).search, '?q=maria');
  assert.equal(await search.inputValue(), 'maria');
  await james.waitFor({ state: 'detached' });
}, options));

test('under 1024 px one page at a time: the list, then the conversation; Escape goes back', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/inbox');
  await page.setViewportSize({ width: 375, height: 740 });
  const list = page.getByRole('listbox', { name: 'Conversations' });
  await list.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  assert.equal(await page.getByText(/Choose a conversation from the list/).isVisible(), false);
  assert.deepEqual(await accessibilityViolations(page), [], 'inbox at 375 px');
  await shot(page, 'workspace-375-inbox.png');

  await list.getByRole('option', { name: /Maria Garcia/ }).click();
  await page.getByRole('heading', { name: 'Maria Garcia' }).waitFor();
  assert.equal(await list.isVisible(), false, 'the list gives way to the conversation');
  assert.ok(await page.getByRole('link', { name: '← Inbox' }).isVisible());
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow}px wider than the screen`);
  assert.deepEqual(await accessibilityViolations(page), [], 'conversation at 375 px');
  await shot(page, 'workspace-375-thread.png');
  await page.getByRole('textbox', { name: 'Message' }).focus();
  await page.keyboard.press('Escape');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/inbox');
  await list.waitFor();
}, options));

// ------------------------------------------------------------ 3. first-hour fixes

test('logged out: the home page offers "Log in", and no page load logs an error', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
  // Guarded and public pages, loaded afresh: the session probe is quiet.
  for (const p of ['/', '/inbox', '/phone', '/admin/users', '/conversations/1']) {
    const other = await app.open(p);
    await other.waitForLoadState('networkidle');
  }
  await page.goto('/');
  await page.getByRole('main').getByRole('link', { name: 'Log in' }).waitFor();
  // Logged in, the home page leads to the inbox instead.
  await logIn(page, DEMO.ana);
  await page.goto('/');
  await page.getByRole('link', { name: 'Open your inbox' }).waitFor();
  assert.equal(await page.getByRole('main').getByRole('link', { name: 'Log in' }).count(), 0);
  // withApp fails the test on any console error (no allowConsole here).
}, options));

test('"New conversation" is a button opening an honest form', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/inbox');
  const button = page.getByRole('button', { name: 'New conversation' });
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  await button.click();
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  const form = page.getByRole('form', { name: 'New conversation' });
  const phone = form.getByRole('textbox', { name: "Contact's phone number" });
  assert.ok(await phone.evaluate((el) => el === document.activeElement), 'focus is in the form');
  // Nothing typed: nothing judged, and no "Looks good." anywhere.
  assert.equal(await page.getByText('Looks good.').count(), 0);
  assert.equal(await phone.getAttribute('aria-invalid'), 'false');

  const errorOf = (el) => el.evaluate((e) => e.getAttribute('aria-describedby').split(' ')
    .map((id) => document.getElementById(id)).filter((x) => x && !x.hidden && x.classList.contains('field-error'))
    .map((x) => x.textContent).join(' '));
  await form.getByRole('button', { name: 'Start conversation' }).click();
  assert.equal(await errorOf(phone), 'Enter a phone number.');
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  await phone.fill('4155550199');
  await form.getByRole('textbox', { name: 'Name (optional)' }).focus();
  assert.match(await errorOf(phone), /^The phone number must start with \+/);
  await phone.fill('+14155550199');
  assert.equal(await errorOf(phone), '');
  assert.equal(await phone.getAttribute('aria-invalid'), 'false');
  await form.getByRole('textbox', { name: 'Name (optional)' }).fill('Noor Haddad');
  assert.deepEqual(await accessibilityViolations(page), [], 'form open');
  await form.getByRole('button', { name: 'Start conversation' }).click();
  await page.getByRole('heading', { name: 'Noor Haddad' }).waitFor();
  assert.equal(await form.count(), 0, 'the form closed');

  // Cancel closes it and gives focus back to the button.
  await button.click();
  await form.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await form.count(), 0);
  assert.ok(await button.evaluate((el) => el === document.activeElement));
}, options));

test('the banner says each fact once; "Opt-in request sent." goes once the contact answers', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  for (const [phone, reply, after] of [
    ['+12025550160', 'YES', ACCEPTED],
    ['+12025550161', 'NO', /rejected/],
  ]) {
    const id = await startConversation(app, page, phone, `Answer ${reply}`);
    await page.goto(`/conversations/${id}`);
    const banner = page.getByRole('region', { name: 'Consent' });
    await page.getByText('Live', { exact: true }).waitFor();
    await banner.getByRole('button', { name: 'Request opt-in' }).click();
    const sentLine = page.getByRole('status').getByText('Opt-in request sent.', { exact: true });
    await sentLine.waitFor();
    await banner.getByText(/You can resend it in 2[34] h\./).waitFor();
    const text = await banner.innerText();
    assert.equal((text.match(/24 h|23 h/g) ?? []).length, 1, `the resend time once: ${text}`);
    assert.doesNotMatch(text, /send it again/);
    assert.equal(await contactSays(app, page, phone, reply).then((r) => r.status()), 200);
    await banner.getByText(after).first().waitFor();
    await sentLine.waitFor({ state: 'detached' });
  }
}, options));

test('flow editor: errors in the labels\' words, every field involved marked', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/admin/flows');
  await page.getByRole('heading', { name: 'Opt-in flows' }).waitFor();
  await page.waitForFunction(() => document.getElementById('flow-keywords-accept')?.value === 'YES');
  const accept = page.getByRole('textbox', { name: 'Accept keywords' });
  const reject = page.getByRole('textbox', { name: 'Reject keywords' });
  const stop = page.getByRole('textbox', { name: 'Stop keywords' });
  const errorsOf = (el) => el.evaluate((e) => (e.getAttribute('aria-describedby') || '').split(' ')
    .map((id) => document.getElementById(id)).filter((x) => x && x.classList.contains('field-errors'))
    .map((x) => x.textContent).join(' '));

  await accept.fill('YES, NO');
  for (const field of [accept, reject]) {
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    const errors = await errorsOf(field);
    assert.match(errors, /"NO" is in both Accept keywords .* and Reject keywords/);
    assert.doesNotMatch(errors, /keywords\.(accept|reject)/);
  }
  assert.equal(await stop.getAttribute('aria-invalid'), 'false', 'an uninvolved field stays clean');

  await accept.fill('YES, END');
  for (const field of [accept, stop]) {
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.doesNotMatch(await errorsOf(field), /keywords\./);
  }
  assert.match(await errorsOf(accept), /"END" is in both Accept keywords .* and Stop keywords/);
  assert.equal(await page.locator('body').getByText(/keywords\.(accept|reject|stop)/).count(), 0);
}, options));
