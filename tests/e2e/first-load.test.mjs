// The app's first load (issue 13): an agent's inbox and thread fetch no
// on-demand chunk (settings, dialogs, contact phone); an admin opening
// Settings fetches the settings chunk; the forms and dialogs come with their
// first use, the contact phone with its page; a chunk that fails to load
// shows an error with a Retry that works, and the app stays alive.
//
// Needs the release build (`trunk build --release`): only it is split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, loginAs, DEMO } from './harness.mjs';

const DEMO_SERVER = { args: ['--demo'] };
/** A chunk as scripts/build-wasm.sh names it: split_<name>-<hash>.wasm. */
const isChunk = (name) => (url) => new RegExp(`/split_${name}-[0-9a-f]{16}\\.wasm$`).test(new URL(url).pathname);
/** The settings chunk. */
const isAdminChunk = isChunk('admin');
/** The forms and dialogs: new conversation, record opt-in/opt-out, time zone. */
const isDialogsChunk = isChunk('dialogs');
const isPhoneChunk = isChunk('phone');
const isWasm = (url) => new URL(url).pathname.endsWith('.wasm');

/** Every URL the page requests, from now on. */
function recordRequests(page) {
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));
  return urls;
}

test('an agent\'s inbox and thread load without any on-demand chunk', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.context.newPage();
  const urls = recordRequests(page);
  await page.goto('/inbox');
  const list = page.getByRole('listbox', { name: 'Conversations' });
  await list.getByRole('option', { name: /Maria Garcia/ }).waitFor();
  // Open a conversation too: the thread is part of the agent's first load.
  await list.getByRole('option', { name: /Maria Garcia/ }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  // The thread's "Record opt-out…" button is there; its dialog is not fetched yet.
  await page.getByRole('button', { name: 'Record opt-out…' }).waitFor();
  assert.equal(urls.filter(isAdminChunk).length, 0, `requested:\n${urls.join('\n')}`);
  assert.equal(urls.filter(isWasm).length, 1, `one wasm file, the main module; requested:\n${urls.join('\n')}`);
}, DEMO_SERVER));

test('opening Settings fetches the settings chunk once, and the screens work', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/inbox');
  const urls = recordRequests(page);
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(urls.filter(isAdminChunk).length, 0);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
  await page.getByRole('rowheader', { name: 'Ana Alvarez' }).waitFor();
  assert.equal(urls.filter(isAdminChunk).length, 1, 'the chunk is fetched on opening Settings');

  // The other screens come from the same chunk, already loaded.
  const settings = page.getByRole('navigation', { name: 'Settings' });
  await settings.getByRole('link', { name: 'Consent audit' }).click();
  await page.getByRole('heading', { name: 'Consent audit' }).waitFor();
  await settings.getByRole('link', { name: 'Opt-in flows' }).click();
  await page.getByRole('heading', { name: 'Opt-in flows' }).waitFor();
  // Interactive code from the chunk (event handlers) runs: switch a channel.
  await settings.getByRole('link', { name: 'Users and numbers' }).click();
  const wa = page.getByRole('switch', { name: 'WhatsApp for +14155550101' });
  await wa.uncheck();
  await page.getByRole('status').getByText('+14155550101: SMS on, WhatsApp off.').waitFor();
  assert.equal(urls.filter(isAdminChunk).length, 1, 'fetched once');
}, DEMO_SERVER));

test('a settings chunk that fails to load shows an error, and Retry loads it', withApp(async (app) => {
  await loginAs(app, DEMO.admin);
  const page = await app.open('/inbox');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  let aborted = 0;
  await page.route(isAdminChunk, async (route) => {
    if (aborted === 0) {
      aborted += 1;
      await route.abort('internetdisconnected');
    } else {
      await route.continue();
    }
  });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('alert').getByText('The settings could not be loaded.').waitFor();
  assert.equal(aborted, 1);
  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('heading', { name: 'Users and numbers' }).waitFor();
  await page.getByRole('rowheader', { name: 'Ana Alvarez' }).waitFor();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'could not be loaded' }).count(), 0);
  // The app lived through the failure: the rest of it still works.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option', { name: /Maria Garcia/ }).waitFor();
}, { ...DEMO_SERVER, allowConsole: [/ERR_INTERNET_DISCONNECTED|Failed to fetch|split_admin/] }));

test('"New conversation" fetches its form on first use; a failed fetch shows an error, and Retry loads it', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/inbox');
  const urls = recordRequests(page);
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  // Offline until Retry: the fetch ahead of the click (pointer on the
  // button) and the click's own both fail.
  let offline = true;
  let aborted = 0;
  await page.route(isDialogsChunk, async (route) => {
    if (offline) {
      aborted += 1;
      await route.abort('internetdisconnected');
    } else {
      await route.continue();
    }
  });

  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByRole('alert').getByText('The form could not be loaded.').waitFor();
  assert.ok(aborted >= 1);
  offline = false;
  await page.getByRole('button', { name: 'Retry' }).click();
  const form = page.getByRole('form', { name: 'New conversation' });
  const phone = form.getByLabel("Contact's phone number");
  await phone.waitFor();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'could not be loaded' }).count(), 0);
  // Focus lands in the form once it is there, and the form works.
  await page.waitForFunction(() => document.activeElement?.id === 'new-phone');
  await phone.fill('+442079460199');
  await form.getByRole('button', { name: 'Start conversation' }).click();
  await page.getByRole('heading', { name: '+442079460199' }).waitFor();
  const fetched = urls.filter(isDialogsChunk).length;
  assert.equal(fetched, aborted + 1, 'the failed fetches, then one that worked');

  // The record dialogs come from the same chunk, already here.
  await page.getByRole('button', { name: 'Record opt-out…' }).click();
  await page.getByRole('dialog', { name: 'Record opt-out' }).waitFor();
  assert.equal(urls.filter(isDialogsChunk).length, fetched, 'fetched once it worked');
}, { ...DEMO_SERVER, allowConsole: [/ERR_INTERNET_DISCONNECTED|Failed to fetch|split_dialogs/] }));

test('the forms are fetched when the pointer or focus reaches their button, ahead of the click', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/inbox');
  const urls = recordRequests(page);
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(urls.filter(isDialogsChunk).length, 0, 'not with the inbox');
  const newConversation = page.getByRole('button', { name: 'New conversation' });
  const fetched = page.waitForResponse((r) => isDialogsChunk(r.url()));
  await newConversation.hover();
  await fetched;
  // The click finds the form here: no wait, and no second fetch.
  await newConversation.click();
  await page.getByRole('form', { name: 'New conversation' }).getByLabel("Contact's phone number").waitFor();
  assert.equal(urls.filter(isDialogsChunk).length, 1);
}, DEMO_SERVER));

test('keyboard focus on a form\'s button fetches the form ahead too', withApp(async (app) => {
  await loginAs(app, DEMO.ana);
  const page = await app.open('/inbox');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const fetched = page.waitForResponse((r) => isDialogsChunk(r.url()));
  await page.getByRole('button', { name: 'New conversation' }).focus();
  await fetched;
}, DEMO_SERVER));

test('the contact phone is fetched with its page; a failed fetch shows an error, and Retry loads it', withApp(async (app) => {
  let aborted = 0;
  await app.context.route(isPhoneChunk, async (route) => {
    if (aborted === 0) {
      aborted += 1;
      await route.abort('internetdisconnected');
    } else {
      await route.continue();
    }
  });
  const page = await app.open('/phone');
  await page.getByRole('alert').getByText('The contact phone could not be loaded.').waitFor();
  await page.getByRole('heading', { name: 'Contact phone unavailable' }).waitFor();
  await page.getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('heading', { name: 'Contact phone', exact: true }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Contact phone unavailable' }).count(), 0);
  assert.equal(aborted, 1);
}, { ...DEMO_SERVER, allowConsole: [/ERR_INTERNET_DISCONNECTED|Failed to fetch|split_phone/] }));
