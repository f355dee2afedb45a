// The browser test harness: a real server binary on a free port with a fresh
// SQLite file, and Debian's headless Chromium driven by playwright-core.
//
//   const app = await startApp();            // server + browser
//   const page = await app.open('/');        // fails the test on console errors
//   await page.getByRole('heading', { name: 'Welcome to Optline' }).waitFor();
//   await app.stop();
//
// Failing tests leave a screenshot in test-results/<test name>.png.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = path.join(root, 'test-results');

function serverBinary() {
  const fromEnv = process.env.OPTLINE_SERVER_BIN;
  if (fromEnv) return fromEnv;
  for (const profile of ['debug', 'release']) {
    const candidate = path.join(root, 'target', profile, 'optline-server');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('optline-server is not built: run `cargo build -p optline-server` first');
}

/**
 * Starts the real server binary; resolves once it prints its address.
 * OPTLINE_E2E_DIST serves another build than dist/ (e.g. `trunk build --dist elsewhere`).
 */
export async function startServer({
  args = [], simulator = true, // contacts are played by the simulator (`--simulator`)
  staticDir = process.env.OPTLINE_E2E_DIST ?? path.join(root, 'dist'),
  port = 0, dataDir: reuse, // to restart a server where it was: same URL, same database
} = {}) {
  const dataDir = reuse ?? mkdtempSync(path.join(tmpdir(), 'optline-e2e-'));
  const child = spawn(
    serverBinary(),
    ['--port', String(port), '--db', path.join(dataDir, 'optline.sqlite'), '--static-dir', staticDir,
      ...(simulator ? ['--simulator'] : []), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /Optline listening on (http:\/\/\S+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)); });
  });
  return {
    url,
    dataDir,
    output: () => output,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Server + browser. `open(path)` returns a page whose console errors fail `stop()`. */
export async function startApp(options = {}) {
  const server = await startServer(options);
  const browser = await launchBrowser();
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
  const consoleErrors = [];
  const pages = [];
  return {
    server,
    browser,
    context,
    consoleErrors,
    async open(urlPath = '/') {
      const page = await context.newPage();
      page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
      page.on('pageerror', (err) => consoleErrors.push(String(err)));
      pages.push(page);
      await page.goto(urlPath);
      return page;
    },
    /** Saves a screenshot of every open page, e.g. when a test failed. */
    async screenshot(name) {
      mkdirSync(resultsDir, { recursive: true });
      const safe = name.replace(/[^a-z0-9-]+/gi, '_');
      await Promise.all(pages.map((p, i) =>
        p.isClosed() ? null : p.screenshot({ path: path.join(resultsDir, `${safe}${i ? `-${i}` : ''}.png`), fullPage: true })));
    },
    async stop() {
      await browser.close();
      await server.stop();
    },
  };
}

/**
 * Wraps a test body: starts the app, runs the body, screenshots on failure,
 * asserts no console errors, always cleans up.
 */
export function withApp(body, options) {
  return async (t) => {
    const app = await startApp(options);
    try {
      await body(app, t);
      // `allowConsole`: patterns of console errors a test expects, e.g. the
      // browser's own "Failed to load resource: ... 401" while logged out.
      const unexpected = app.consoleErrors.filter((e) => !(options?.allowConsole ?? []).some((re) => re.test(e)));
      if (unexpected.length) {
        throw new Error(`console errors:\n${unexpected.join('\n')}`);
      }
    } catch (error) {
      await app.screenshot(t.name).catch(() => {});
      throw error;
    } finally {
      await app.stop();
    }
  };
}

/**
 * Runs axe-core on the page and returns its violations, each as
 * "rule: help (selector, …)", so an assertion failure reads well.
 */
export async function accessibilityViolations(page) {
  // Evaluated through the DevTools protocol, not added as an inline
  // <script>: the app's Content Security Policy (rightly) blocks the latter.
  await page.evaluate(readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  return violations;
}

/**
 * Headers of a write as the app's own fetch sends it: the server refuses a
 * logged-in write that is not JSON from its own origin, and Playwright's
 * request API (unlike the browser) sets no Origin by itself.
 */
export function sameOrigin(app) {
  return { origin: app.server.url, 'content-type': 'application/json' };
}

/** Logins printed by `optline-server --demo` (crates/server/src/seed.rs). */
export const DEMO = {
  admin: { email: 'admin@acme.example', password: 'optline-admin' },
  ana: { email: 'ana@acme.example', password: 'optline-agent', number: '+14155550101' },
  ben: { email: 'ben@acme.example', password: 'optline-agent', number: '+14155550102' },
  cleo: { email: 'cleo@acme.example', password: 'optline-agent', number: '+14155550103' },
};

/** Fills the login page as a person would and waits for the inbox. */
export async function logIn(page, { email, password }) {
  if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/**
 * Logs the app's browser context in through the API (its cookie then holds
 * for every page of `app`), for tests whose subject is not the login page.
 */
export async function loginAs(app, { email, password }) {
  const response = await app.context.request.post('/api/v1/auth/login', { data: { email, password } });
  if (!response.ok()) throw new Error(`login as ${email} failed: ${response.status()} ${await response.text()}`);
  return response.json();
}
