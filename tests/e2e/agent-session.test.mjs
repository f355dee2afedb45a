// Login, logout, deep links through login, session expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, accessibilityViolations, logIn, DEMO } from './harness.mjs';

const demo = { args: ['--demo'], allowConsole: [/status of 401/] };

test('a deep link survives login; a wrong password is explained; logout ends the session', withApp(async (app) => {
  const page = await app.open('/inbox?channel=sms');
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('next'), '/inbox?channel=sms');
  await page.getByLabel('E-mail').fill(DEMO.ana.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').getByText('The e-mail or password is wrong. Check both and try again.').waitFor();
  await page.getByLabel('Password').fill(DEMO.ana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.pathname, '/inbox');
  assert.equal(url.searchParams.get('channel'), 'sms');
  await page.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
  await page.goto('/inbox');
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
}, demo));

test('an expired session sends the user to log in with a message, then back', withApp(async (app) => {
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  await app.context.clearCookies();
  await page.getByLabel('Search').fill('Maria');
  await page.getByRole('alert').getByText('Your session has expired. Please log in again.').waitFor();
  await logIn(page, DEMO.ana);
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('q'), 'Maria');
}, demo));

test('the login page has no accessibility violations (axe-core)', withApp(async (app) => {
  const page = await app.open('/login');
  await page.getByRole('heading', { name: 'Log in to Optline' }).waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
}, demo));
