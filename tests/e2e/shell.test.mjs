// The app loads from the real server, the wasm mounts, and the shell is usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, accessibilityViolations, DEMO } from './harness.mjs';

test('the app mounts and renders its shell with no console errors', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('link', { name: 'Optline' }).waitFor();
  // The footer reports the server's health, fetched by the wasm app.
  await page.getByRole('status').getByText(/Server connected · version \d/).waitFor();
  assert.equal(await page.title(), 'Optline');
  // Loaded or failed, every image has finished (a smaller bundle can mount
  // before the logo has arrived).
  await page.waitForFunction(() => [...document.images].every((img) => img.complete));
  const broken = await page.evaluate(() =>
    [...document.images].filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src));
  assert.deepEqual(broken, [], 'every image loads');
}));

test('a deep link is served the app and shows the not-found page', withApp(async (app) => {
  const page = await app.open('/no/such/page');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
}));

test('the skip link moves keyboard focus to the main content', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  assert.ok(await skip.evaluate((el) => el === document.activeElement), 'first Tab reaches the skip link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
}));

test('the shell has no accessibility violations (axe-core)', withApp(async (app) => {
  const page = await app.open('/');
  await page.getByRole('status').getByText(/Server connected/).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
}));

test('the shell fits a 360 px wide phone screen without sideways scrolling', withApp(async (app) => {
  const page = await app.open('/');
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}));

test('the page is served with a Content Security Policy and the app runs under it', withApp(async (app) => {
  const violations = [];
  const page = await app.context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') app.consoleErrors.push(msg.text());
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  const response = await page.goto('/');
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');
  // The page reports every policy violation as an event, too.
  await page.evaluate(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // The wasm app mounted (its inline loader ran) and talks to the server.
  await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
  await page.getByRole('status').getByText(/Server connected/).waitFor();
  // The inbox (which positions its rows with styles) renders under the policy.
  await page.goto('/login');
  await page.evaluate(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.getByLabel('E-mail').fill(DEMO.ana.email);
  await page.getByLabel('Password').fill(DEMO.ana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option').first().waitFor();
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(violations, []);
}, { args: ['--demo'] }));

test('without --simulator (production) the contact phone page says the simulator is off', withApp(async (app) => {
  const page = await app.open('/phone');
  await page.getByRole('heading', { name: 'Contact phone' }).waitFor();
  await page.getByRole('alert').getByText(/The contact simulator is off on this server/).waitFor();
}, { args: ['--demo'], simulator: false, allowConsole: [/status of 404/] }));
