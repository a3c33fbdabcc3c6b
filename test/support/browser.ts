/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from './app';

/**
 * Browser tests: Debian's Chromium (`apt-get install chromium`, which .ci/run does) driven by playwright-core —
 * never a downloaded browser. The pages are the built portal (dist/portal) served by a real test app.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../..');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the portal if its build is missing or older than its sources (CI has built it already). */
export function ensurePortalBuilt(): void {
  const index = join(ROOT, 'dist/portal/index.html');
  const sources = Math.max(newestMtime(join(ROOT, 'apps/portal/src')), statSync(join(ROOT, 'apps/portal/index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync('npm', ['run', 'build:portal'], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const TABLET = { viewport: { width: 1024, height: 768 } };
export const DESKTOP = { viewport: { width: 1366, height: 900 } };

/**
 * A browser context whose pages fail the test on any console error or CSP violation (`problems`), with
 * the language chosen up front (`zh` is the portal's default).
 */
export async function newContext(browser: Browser, baseURL: string, opts: { device?: object; lang?: 'zh' | 'en' } = {}): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ baseURL, locale: 'zh-CN', timezoneId: 'Europe/London', ...(opts.device ?? DESKTOP) });
  if (opts.lang) await context.addInitScript((l) => window.localStorage.setItem('huanxin.lang', l), opts.lang);
  const problems: string[] = [];
  const page = await context.newPage();
  watch(page, problems);
  context.on('page', (p) => watch(p, problems));
  return { context, page, problems };
}

function watch(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    // a refused request (4xx answers the pages expect and show) is logged by Chromium as a console error: not a page fault
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: string[] }

/**
 * axe-core on the page as it is now: the serious and critical violations (WCAG 2 A/AA rules). Evaluated through
 * the DevTools protocol, so the page's CSP (no inline script) stays in force for the page itself.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // the source as an expression through DevTools (not eval in the page, which the CSP forbids)
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
}

/** Saves a full-page screenshot under test-results/screenshots (git-ignored) for a reviewer to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Every page visited gets both: no serious or critical axe violation, and a screenshot. */
export async function checkPage(page: Page, name: string): Promise<AxeViolation[]> {
  await page.waitForLoadState('networkidle');
  await screenshot(page, name);
  return axeViolations(page);
}

/** A QR code of `text` as an image file (GIF, from qrcode-generator), as a phone photo of a slip would be read. */
export function qrImageFile(text: string, name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const qrcode = require('qrcode-generator') as (type: number, level: 'L' | 'M' | 'Q' | 'H') => { addData(s: string, mode?: string): void; make(): void; createDataURL(cell?: number, margin?: number): string };
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const dataUrl = qr.createDataURL(6, 24);
  const dir = join(ROOT, 'test-results', 'qr');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.gif`);
  writeFileSync(path, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
  return path;
}

/** The pages' test rig: the portal built, a test app (real API, own database) serving it on a free local port. */
export async function servePortal(env: Record<string, string> = {}): Promise<{ t: TestApp; base: string }> {
  ensurePortalBuilt();
  const t = await startTestApp(env);
  await t.app.listen(0, '127.0.0.1');
  return { t, base: await t.app.getUrl() };
}

/** Signs in through the portal's sign-in form (Chinese labels) and waits for the landing page's heading. */
export async function signIn(page: Page, username: string, password: string, landing: string): Promise<void> {
  await page.getByLabel('手机号或邮箱').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).last().click();
  await page.getByRole('heading', { level: 1, name: landing }).waitFor();
}
