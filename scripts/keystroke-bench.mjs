// Measures the inbox search at scale (issue 13): with 10,000 conversations,
// how long from a keystroke in the search box to the next frame the browser
// paints, over many keystrokes; prints p50/p95/max. It reports; it does not
// fail (tests/e2e/agent-scale.test.mjs holds the pass/fail bound).
//
//   trunk build --release && cargo build -p optline-server
//   node scripts/keystroke-bench.mjs [--samples 30] [--conversations 10000]
//
// Each keystroke is measured alone: the script waits until the server's
// answer to the previous one is painted (the count stops saying
// "updating…"), so a sample is the local repaint the user sees at once.
// Keystrokes land at spread-out moments of a frame, as typing does.
//   work      the app's own reaction: the input event and everything it
//             sets off before the browser may render;
//   to frame  until the next animation frame starts (what the browser test
//             measures; includes waiting for the display's next frame);
//   to paint  until a task queued from that frame runs, after its style,
//             layout and paint: the list the user sees.
// "to frame" and "to paint" include waiting for the display (up to one
// frame, 16.7 ms at 60 Hz, whatever the app does), so the last line counts
// the keystrokes whose list was painted on the very first frame after them.
import { parseArgs } from 'node:util';
import { startApp, logIn, DEMO } from '../tests/e2e/harness.mjs';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '30' },
    conversations: { type: 'string', default: '10000' },
  },
});
const SAMPLES = Number(values.samples);
const N = Number(values.conversations);

/** Typing and deleting, as a person searching would: digits, names, text. */
function keystrokes(count) {
  const words = ['1234', 'Hello', 'number 56', '99', 'xyz'];
  const out = [];
  for (let w = 0; out.length < count; w = (w + 1) % words.length) {
    const word = words[w];
    for (let i = 1; i <= word.length && out.length < count; i++) out.push(word.slice(0, i));
    for (let i = word.length - 1; i >= 0 && out.length < count; i--) out.push(word.slice(0, i));
  }
  return out;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(name, xs) {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1).padStart(6);
  return `${name.padEnd(10)} p50 ${f(percentile(s, 50))} ms  p95 ${f(percentile(s, 95))} ms  max ${f(s[s.length - 1])} ms`;
}

const app = await startApp({ args: ['--demo'] });
try {
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const r = await fetch(`${app.server.url}/api/v1/sim/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          from: `+1646555${String(i).padStart(4, '0')}`, to: DEMO.ana.number, channel: 'sms', body: `Hello number ${i}`,
        }),
      });
      if (r.status !== 200) throw new Error(`inbound ${i}: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  console.log(`seeded ${N} conversations in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const page = await app.open('/login');
  await logIn(page, DEMO.ana);
  await page.getByRole('listbox', { name: 'Conversations' }).getByRole('option').first().waitFor();
  await page.getByText(/^\d+ conversations$/).waitFor();

  const work = [];
  const late = [];
  const toFrame = [];
  const toPaint = [];
  for (const [i, q] of keystrokes(SAMPLES).entries()) {
    // Keys come at any moment of a frame: spread the keystrokes over it.
    const phase = ((i * 7) % 16) + 0.5;
    const sample = await page.evaluate(async ([value, phase]) => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      // rAF callbacks get the start time of their frame: two in a row give
      // the display's frame interval.
      const before = await frame();
      const start = await frame();
      const interval = start - before;
      await new Promise((r) => setTimeout(r, phase));
      const input = document.getElementById('inbox-search');
      const afterTasks = () => new Promise((r) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = r;
        ch.port2.postMessage(null);
      });
      const t = performance.now();
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const next = frame().then((ts) => [ts, performance.now() - t]);
      // A task queued now runs once the app's reactions (microtasks) are done.
      await afterTasks();
      const work = performance.now() - t;
      const [frameStart, toFrame] = await next;
      // A task queued from the frame runs after its style, layout and paint.
      await afterTasks();
      const toPaint = performance.now() - t;
      // Frames the list came later than the first one after the keystroke.
      const late = Math.round((frameStart - start) / interval) - Math.ceil((t - start) / interval);
      return { work, toFrame, toPaint, late: Math.max(0, late) };
    }, [q, phase]);
    work.push(sample.work);
    late.push(sample.late);
    toFrame.push(sample.toFrame);
    toPaint.push(sample.toPaint);
    // The server's answer to this search, painted, before the next keystroke.
    await page.waitForFunction(() => {
      const count = document.querySelector('.inbox-count')?.textContent ?? '';
      return !count.includes('updating') && !count.includes('Loading');
    });
  }
  console.log(`${SAMPLES} keystrokes, ${N + 2} conversations:`);
  console.log(summary('work', work));
  console.log(summary('to frame', toFrame));
  console.log(summary('to paint', toPaint));
  const onTime = late.filter((n) => n === 0).length;
  console.log(`painted on the first frame after the keystroke: ${onTime} of ${late.length}`);
  const errors = app.consoleErrors;
  if (errors.length) console.log(`console errors:\n${errors.join('\n')}`);
} finally {
  await app.stop();
}
