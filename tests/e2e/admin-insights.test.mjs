// Consent insights (issue 16) over seeded data (`optline-server seed-audit`):
// every funnel bar's number equals the audit list's count for the same
// filters, the table view shows the same numbers, and a click on a bar
// opens the audit filtered to those records. Screenshots at 1280 and 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startApp, loginAs, resultsDir, accessibilityViolations, DEMO } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function serverBinary() {
  if (process.env.OPTLINE_SERVER_BIN) return process.env.OPTLINE_SERVER_BIN;
  for (const profile of ['debug', 'release']) {
    const candidate = path.join(root, 'target', profile, 'optline-server');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('optline-server is not built');
}

/** A demo organization with `rows` seeded audit records, served. */
async function seededApp(rows) {
  const first = await startServer({ args: ['--demo'] });
  await first.stop({ keepData: true });
  execFileSync(serverBinary(), ['seed-audit', '--rows', String(rows), '--days', '20', '--db',
    path.join(first.dataDir, 'optline.sqlite')], { stdio: 'ignore' });
  return startApp({ args: ['--demo'], dataDir: first.dataDir });
}

/** How many records the audit list returns for the query of `href` (all pages). */
async function auditCount(app, href) {
  const query = new URL(href, app.server.url).searchParams;
  query.set('limit', '1000');
  let n = 0;
  for (;;) {
    const r = await app.context.request.get(`/api/v1/admin/audit?${query}`);
    assert.equal(r.status(), 200, await r.text());
    const page = await r.json();
    n += page.items.length;
    if (!page.next_cursor) return n;
    query.set('cursor', page.next_cursor);
  }
}

test('insights charts count what the audit lists, and a bar opens those records', async (t) => {
  const app = await seededApp(240);
  try {
    await loginAs(app, DEMO.admin);
    const page = await app.open('/admin');
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Insights' }).click();
    await page.getByRole('heading', { name: 'Consent insights' }).waitFor();
    const funnel = page.getByRole('list', { name: 'Opt-in funnel' });
    await funnel.waitFor();
    // The charts are drawn as designed (the style sheet reached them): a
    // list without bullets, the bar track light grey, not SVG's default black.
    const look = await funnel.evaluate((list) => ({
      bullets: getComputedStyle(list).listStyleType,
      track: getComputedStyle(list.querySelector('.bar-track')).fill,
    }));
    assert.deepEqual(look, { bullets: 'none', track: 'rgb(238, 241, 244)' });

    // Every linked bar: its number equals the audit list's count for its filters.
    const links = funnel.getByRole('link');
    const bars = [];
    for (let i = 0; i < await links.count(); i += 1) {
      const link = links.nth(i);
      const label = await link.locator('.bar-label').textContent();
      const count = Number(await link.locator('.bar-count').textContent());
      bars.push({ label, count, href: await link.getAttribute('href') });
    }
    const labels = bars.map((b) => b.label);
    for (const l of ['Requests by agents', 'Automatic re-prompts', 'Accepted', 'Rejected', 'Opted out']) {
      assert.ok(labels.includes(l), `${l} in ${labels}`);
    }
    for (const bar of bars) {
      assert.equal(await auditCount(app, bar.href), bar.count, `${bar.label} (${bar.href})`);
    }
    const accepted = bars.find((b) => b.label === 'Accepted');
    assert.ok(accepted.count > 0 && accepted.count < 100, `a seeded period with acceptances: ${accepted.count}`);

    // The table view shows the same numbers.
    await page.getByText('Opt-in funnel as a table').click();
    const table = page.getByRole('table', { name: 'Opt-in funnel' });
    for (const bar of bars) {
      const row = table.getByRole('row', { name: new RegExp(`^(— )?${bar.label.replace(/[()]/g, '\\$&')} ${bar.count}$`) });
      assert.equal(await row.count(), 1, `table row for ${bar.label}`);
    }
    // The daily series adds up to the funnel (its table lists each day).
    await page.getByText('Daily series as a table').click();
    const daily = page.getByRole('table', { name: 'Per day (UTC)' });
    const dayAccepts = await daily.getByRole('link', { name: / acceptances$/ }).allTextContents();
    assert.equal(dayAccepts.reduce((a, b) => a + Number(b), 0), accepted.count);
    // Each day's link opens exactly that UTC day's records.
    for (const link of await daily.getByRole('link', { name: / acceptances$/ }).all()) {
      const href = await link.getAttribute('href');
      assert.equal(await auditCount(app, href), Number(await link.textContent()), href);
    }

    assert.deepEqual(await accessibilityViolations(page), []);

    // Screenshots, looked at: wide and phone-sized.
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'insights-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    await page.screenshot({ path: path.join(resultsDir, 'insights-360.png'), fullPage: true });
    for (const [i, y] of [0, 1200].entries()) {
      await page.screenshot({ path: path.join(resultsDir, `insights-360-part${i + 1}.png`), fullPage: true,
        clip: { x: 0, y, width: 360, height: 1200 } });
    }
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `no sideways scrolling at 360 px (${wide})`);
    await page.setViewportSize({ width: 1280, height: 800 });

    // A click on a bar opens the audit filtered to its records.
    await funnel.getByRole('link', { name: /^Accepted/ }).click();
    await page.getByRole('heading', { name: 'Consent audit' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('stage'), 'accepted');
    await page.getByText('Showing the records of an insights chart').waitFor();
    await page.getByRole('status').getByText(`${accepted.count} records shown.`).waitFor();
    const actions = await page.locator('tbody tr td:nth-child(6)').allTextContents();
    assert.equal(actions.length, accepted.count);
    await page.screenshot({ path: path.join(resultsDir, 'insights-audit.png'), fullPage: true });
    // …and back to every record.
    await page.getByRole('link', { name: 'Show every record' }).click();
    await page.getByText('Showing the records of an insights chart').waitFor({ state: 'detached' });
    assert.deepEqual(app.consoleErrors, []);
  } catch (error) {
    await app.screenshot(t.name).catch(() => {});
    throw error;
  } finally {
    await app.stop();
  }
});

test('insights: empty state, and agents are kept out', async (t) => {
  const app = await startApp({ args: ['--demo'] });
  try {
    await loginAs(app, DEMO.admin);
    const page = await app.open('/admin/insights');
    await page.getByRole('heading', { name: 'Consent insights' }).waitFor();
    // A month long before the demo's history.
    await page.getByLabel('Period').selectOption({ label: 'Custom dates' });
    await page.getByLabel('From (date)').fill('2020-01-01');
    await page.getByLabel('To (date, inclusive)').fill('2020-01-31');
    await page.getByLabel('Line of business').selectOption({ label: 'Support' });
    await page.getByRole('button', { name: 'Show insights' }).click();
    await page.getByText('No consent activity in this period').waitFor();
    const r = await app.context.request.get('/api/v1/admin/insights?channel=fax');
    assert.equal(r.status(), 422);
    assert.equal((await r.json()).error.field, 'channel');

    await app.context.clearCookies();
    await loginAs(app, DEMO.ana);
    const agent = await app.open('/admin/insights');
    await agent.getByRole('heading', { name: 'Not allowed' }).waitFor();
    assert.equal((await app.context.request.get('/api/v1/admin/insights')).status(), 403);
  } catch (error) {
    await app.screenshot(t.name).catch(() => {});
    throw error;
  } finally {
    await app.stop();
  }
});
