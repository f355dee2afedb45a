// Moving around the app: in-app links change the page without reloading it,
// Back and Forward follow, the current page is marked in the navigation,
// and a link opened in a new tab is left to the browser. The app routes
// itself (src/address.rs, src/navigation.rs), so these are its behaviours,
// not a library's. Also: the two checks every page depends on (the server's
// health, the settings' access check) recover with Retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, loginAs, DEMO } from './harness.mjs';

const DEMO_SERVER = { args: ['--demo'] };

const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });
const path = (page) => new URL(page.url()).pathname;

test('in-app links change the page without a reload; Back and Forward follow; the current page is marked', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  // Survives only if the document is never reloaded.
  await page.evaluate(() => { window.__sameDocument = true; });
  const home = mainNav(page).getByRole('link', { name: 'Home' });
  const phone = mainNav(page).getByRole('link', { name: 'Contact phone' });
  assert.equal(await home.getAttribute('aria-current'), 'page');
  assert.equal(await phone.getAttribute('aria-current'), null);

  await phone.click();
  await page.getByRole('heading', { name: 'Contact phone' }).waitFor();
  assert.equal(path(page), '/phone');
  assert.equal(await phone.getAttribute('aria-current'), 'page');
  assert.equal(await home.getAttribute('aria-current'), null);

  await page.goBack();
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  assert.equal(path(page), '/');
  assert.equal(await home.getAttribute('aria-current'), 'page');
  await page.goForward();
  await page.getByRole('heading', { name: 'Contact phone' }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
}, DEMO_SERVER));

test('a link opened with Ctrl is left to the browser (a new tab); this page stays', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  const opened = app.context.waitForEvent('page');
  await mainNav(page).getByRole('link', { name: 'Contact phone' }).click({ modifiers: ['Control'] });
  const tab = await opened;
  await tab.waitForLoadState();
  assert.equal(new URL(tab.url()).pathname, '/phone');
  assert.equal(path(page), '/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
}, DEMO_SERVER));

test('the settings address leads to the first screen, and Back skips it', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/');
  await mainNav(page).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
  assert.equal(path(page), '/admin/users');
  const settingsNav = page.getByRole('navigation', { name: 'Settings' });
  assert.equal(await settingsNav.getByRole('link', { name: 'Users and numbers' }).getAttribute('aria-current'), 'page');
  assert.equal(await mainNav(page).getByRole('link', { name: 'Settings' }).getAttribute('aria-current'), 'page');
  // Another screen: the settings frame stays, its link is marked.
  await settingsNav.getByRole('link', { name: 'Consent audit' }).click();
  await page.getByRole('heading', { name: 'Consent audit' }).waitFor();
  assert.equal(await settingsNav.getByRole('link', { name: 'Consent audit' }).getAttribute('aria-current'), 'page');
  await page.goBack();
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  assert.equal(path(page), '/');
}, DEMO_SERVER));

test('after logging in, Back skips the login form', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  await page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
  await page.getByLabel('E-mail').fill(DEMO.ana.email);
  await page.getByLabel('Password').fill(DEMO.ana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  assert.equal(path(page), '/');
}, DEMO_SERVER));

test('addresses the app does not know show "Page not found"', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  for (const address of ['/conversations/abc', '/admin/nothing', '/inbox/extra']) {
    const page = await app.open(address);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.close();
  }
}, DEMO_SERVER));

/** The first request to `url` (on `target`: a page or a context) fails as offline. */
async function failFirst(target, url) {
  let failNext = true;
  await target.route(url, (route) => {
    if (failNext) {
      failNext = false;
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
}

test('the server status line: an unreachable server is said, and Retry checks again', withApp(async (app) => {
  await failFirst(app.context, '**/api/health');
  const page = await app.open('/');
  const status = page.getByRole('status').filter({ hasText: /Server/ });
  await status.getByText(/Server unreachable/).waitFor();
  await status.getByRole('button', { name: 'Retry' }).click();
  await status.getByText(/Server connected · version \d/).waitFor();
  assert.equal(await status.getByRole('button', { name: 'Retry' }).count(), 0);
}, { ...DEMO_SERVER, allowConsole: [/ERR_INTERNET_DISCONNECTED|Failed to fetch/] }));

test('the settings access check: a failure is said, and Retry checks again', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/');
  const settings = mainNav(page).getByRole('link', { name: 'Settings' });
  await settings.waitFor();
  // The app's own session probe is done; the settings ask again, and fail once.
  await failFirst(page, '**/api/v1/session');
  await settings.click();
  await page.getByRole('heading', { name: 'Settings unavailable' }).waitFor();
  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
}, { ...DEMO_SERVER, allowConsole: [/ERR_INTERNET_DISCONNECTED|Failed to fetch/] }));

/**
 * Holds the first request `matches` accepts until `release()` is called;
 * `held` resolves once it is being held.
 */
async function holdFirst(context, matches) {
  let release;
  const released = new Promise((r) => { release = r; });
  let holding;
  const held = new Promise((r) => { holding = r; });
  let first = true;
  await context.route((url) => matches(url), async (route) => {
    if (first) {
      first = false;
      holding();
      await released;
    }
    await route.continue();
  });
  return { held, release };
}

// A page's answer that arrives after the page was left must be dropped, not
// read into the page's disposed state (which aborts the whole wasm app).
for (const [name, address, heading, isItsData] of [
  ['the inbox', '/inbox', 'Inbox', (url) => url.pathname === '/api/v1/conversations'],
  ['the contact phone', '/phone', 'Contact phone', (url) => /^\/api\/v1\/sim\/phones\/.+\/messages$/.test(url.pathname)],
]) {
  test(`leaving ${name} while its data is on the way keeps the app working`, withApp(async (app) => {
    await loginAs(app, DEMO.ana);
    const answer = await holdFirst(app.context, isItsData);
    const page = await app.open(address);
    await page.getByRole('heading', { name: heading }).waitFor();
    await answer.held;
    await mainNav(page).getByRole('link', { name: 'Home' }).click();
    await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
    const arrived = page.waitForResponse((r) => isItsData(new URL(r.url())));
    answer.release();
    await arrived;
    // The app still runs: another page opens, and nothing was logged.
    await mainNav(page).getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option').first().waitFor();
    assert.deepEqual(app.consoleErrors, []);
  }, DEMO_SERVER));
}
