// Live updates survive a server restart: the header says "Reconnecting…"
// while the server is away, and the inbox catches up without a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, launchBrowser, logIn, DEMO, resultsDir } from './harness.mjs';

test('the live connection reconnects after the server restarts, and says so meanwhile', async (t) => {
  let server = await startServer({ args: ['--demo'] });
  const port = Number(new URL(server.url).port);
  const dataDir = server.dataDir;
  const browser = await launchBrowser();
  const errors = [];
  try {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('/login');
    await logIn(page, DEMO.ana);
    const status = page.getByRole('status').filter({ hasText: /Live|Reconnecting|Connecting/ });
    await status.getByText('Live', { exact: true }).waitFor();

    // The marker drawn before the words comes from the style sheet, which
    // selects on the state's name (a release bundle without Debug
    // formatting once left that name empty).
    const marker = () => status.evaluate((el) => getComputedStyle(el, '::before').content);
    assert.equal(await marker(), '"● "');

    await server.stop({ keepData: true });
    await status.getByText('Reconnecting…').waitFor();
    assert.equal(await marker(), '"▲ "');

    server = await startServer({ port, dataDir });
    await status.getByText('Live', { exact: true }).waitFor({ timeout: 20_000 });
    // A message that arrives now reaches the open inbox, with no reload.
    const sent = await page.request.post('/api/v1/sim/inbound', {
      headers: { origin: server.url },
      data: { from: '+12125550141', to: DEMO.ana.number, channel: 'sms', body: 'Back online?' },
    });
    assert.equal(sent.status(), 200);
    await page.getByRole('listbox', { name: 'Conversations' }).getByText('Back online?').waitFor();
    assert.deepEqual(errors, []);
  } catch (error) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    await pages[0]?.screenshot({ path: `${resultsDir}/${t.name.replace(/[^a-z0-9-]+/gi, '_')}.png` }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
