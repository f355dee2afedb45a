// 10,000 conversations: the inbox renders only the rows in view, opens fast,
// and a search keystroke repaints at once (rows already loaded are filtered
// locally while the server searches). Prints the figures it measures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withApp, logIn, DEMO } from './harness.mjs';

const N = 10_000;

test('the inbox stays small and quick with 10,000 conversations', withApp(async (app) => {
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const r = await fetch(`${app.server.url}/api/v1/sim/inbound`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: `+1646555${String(i).padStart(4, '0')}`, to: DEMO.ana.number, channel: 'sms', body: `Hello number ${i}` }),
      });
      assert.equal(r.status, 200);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  const rows = page.getByRole('listbox', { name: 'Conversations' }).getByRole('option');
  await rows.first().waitFor();
  const t0 = Date.now();
  await page.goto('/inbox');
  await rows.first().waitFor();
  const open = Date.now() - t0;
  await page.getByText(`${N + 2} conversations`).waitFor();
  const inDom = await rows.count();
  assert.ok(inDom < 40, `${inDom} rows in the DOM`);
  const keystroke = await page.evaluate(async () => {
    const input = document.getElementById('inbox-search');
    const out = [];
    for (const q of ['1', '12', '123']) {
      const t = performance.now();
      input.value = q;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(r));
      out.push(Math.round((performance.now() - t) * 10) / 10);
    }
    return out;
  });
  console.log(`# inbox with ${N + 2} conversations: page load to first row ${open} ms; ${inDom} rows in the DOM; search keystroke to next frame ${keystroke.join(', ')} ms`);
  assert.ok(open < 3000, `inbox took ${open} ms`);
  assert.ok(Math.max(...keystroke) < 100, `keystroke took ${keystroke} ms`);
}, { args: ['--demo'] }));
