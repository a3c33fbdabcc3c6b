/// <reference lib="dom" />
import jsQR from 'jsqr';
import type { Browser, Locator, Page } from 'playwright-core';
import { receiptHolderHash } from '@huanxin/recycling';
import type { TestApp } from '../support/app';
import { checkPage, launchBrowser, newContext, TABLET, servePortal } from '../support/browser';
import { randomResidentId, uniq } from '../support/ids';
import { Scenario } from '../support/scenario';

/**
 * Reads the QR code an element shows, as a camera at the till would see it: a PNG screenshot of the element,
 * decoded to RGBA pixels in the page (createImageBitmap and a canvas: no data: URL needed), sent back as base64
 * (a 400 × 400 array of numbers takes seconds through DevTools; a string does not) and read by jsQR in Node.
 */
async function readQr(page: Page, qr: Locator): Promise<string | undefined> {
  const png = await qr.screenshot();
  const { width, height, rgba } = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let bin = '';
    for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return { width: bitmap.width, height: bitmap.height, rgba: btoa(bin) };
  }, png.toString('base64'));
  const pixels = new Uint8ClampedArray(Buffer.from(rgba, 'base64'));
  expect(pixels.length).toBe(width * height * 4);
  return jsQR(pixels, width, height)?.data;
}

/**
 * The recycler's pages in Chromium on a tablet, against the real API: sign-in with the API key (a wrong key refused
 * in Chinese; the key never stored), revocations listed a page at a time, a revocation confirmed before it is sent
 * and a second one answered calmly with the first, and the receipt slip: a pasted JWS decoded in the page, its
 * details, a QR code that decodes back to the whole JWS on screen and on paper, and the print layout.
 */
describe('portal: recycler pages in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, next = '/recycler') {
    await page.goto(next);
    await page.getByRole('heading', { level: 1, name: '回收企业登录' }).waitFor();
    await page.getByLabel('API 密钥').fill(s.recycler.apiKey);
    await page.getByRole('button', { name: '登录' }).click();
  }

  it('signs in with the API key, lists revocations page by page, revokes after confirming, and answers a second revocation calmly', async () => {
    // an hour ago, the oldest: beyond the list's first page when it is revoked again from the page
    const past = `R-PAST-${uniq()}`;
    t.clock.set(new Date(Date.now() - 3600e3));
    await t.http().post(`/v1/recycler/receipts/${past}/revoke`).set(s.recycler.keyAuth).send({ reason: '开错了' }).expect(200);
    t.clock.set(undefined);
    // 21 earlier revocations: the list's first page holds 20
    const earlier: string[] = [];
    for (let i = 0; i < 21; i++) {
      const rid = `R-OLD-${uniq()}-${String(i).padStart(2, '0')}`;
      earlier.push(rid);
      await t.http().post(`/v1/recycler/receipts/${rid}/revoke`).set(s.recycler.keyAuth).send({ reason: `批量测试 ${i}` }).expect(200);
    }
    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    const violations: Record<string, unknown[]> = {};

    // the recycler area sends to the key sign-in, and back afterwards
    await page.goto('/recycler');
    await page.getByRole('heading', { level: 1, name: '回收企业登录' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/recycler');
    await page.getByText('密钥只保存在当前浏览器标签页的内存中').waitFor();
    expect(await page.getByLabel('API 密钥').getAttribute('type')).toBe('password');
    violations.signIn = await checkPage(page, 'recycler-sign-in-tablet');

    await page.getByLabel('API 密钥').fill(`hx_${uniq()}${uniq()}wrongwrongwrong`);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('alert').getByText('API 密钥无效或已停用，请检查后重试').waitFor();
    violations.signInRefused = await checkPage(page, 'recycler-sign-in-refused-tablet');

    await page.getByLabel('API 密钥').fill(s.recycler.apiKey);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('heading', { level: 1, name: '回收凭证撤销' }).waitFor();
    const table = page.getByTestId('revocations');
    await table.getByText(earlier[20]).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(20);
    expect(await table.getByText(earlier[0]).count()).toBe(0);
    violations.revocations = await checkPage(page, 'recycler-revocations-tablet');
    await page.getByRole('button', { name: '加载更多' }).click();
    await table.getByText(earlier[0]).waitFor();
    await table.getByText(past).waitFor();
    expect(await table.locator('tbody tr').count()).toBe(22);
    await page.getByRole('button', { name: '加载更多' }).waitFor({ state: 'detached' });

    // the key is in this tab's memory only: no storage, no cookie holds it
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }) + document.cookie);
    expect(stored).not.toContain(s.recycler.apiKey);
    expect(JSON.stringify(await context.cookies())).not.toContain(s.recycler.apiKey);

    // cancelling at the confirmation sends nothing
    const rid = `R-${uniq()}`;
    await page.getByLabel('凭证编号（rid）').fill(rid);
    await page.getByLabel('撤销理由').fill('开给了错误的居民');
    await page.getByRole('button', { name: '下一步' }).click();
    const confirm = page.getByTestId('revoke-confirm');
    await confirm.getByRole('heading', { name: `确认撤销凭证 ${rid}？` }).waitFor();
    await confirm.getByText('撤销后无法恢复').waitFor();
    violations.confirm = await checkPage(page, 'recycler-revoke-confirm-tablet');
    await confirm.getByRole('button', { name: '取消' }).click();
    await page.getByLabel('凭证编号（rid）').waitFor();
    expect(await t.db.query(`SELECT count(*)::int AS n FROM receipt_revocations WHERE rid = $1`, [rid])).toEqual([{ n: 0 }]);

    // confirmed: revoked, shown, listed first
    await page.getByLabel('凭证编号（rid）').fill(rid);
    await page.getByLabel('撤销理由').fill('开给了错误的居民');
    await page.getByRole('button', { name: '下一步' }).click();
    await confirm.getByRole('button', { name: '确认撤销' }).click();
    const outcome = page.getByTestId('revoke-outcome');
    await outcome.getByText(new RegExp(`^凭证 ${rid} 已于 .+ 撤销。$`)).waitFor();
    await table.locator('tbody tr').first().getByText(rid).waitFor();
    await table.locator('tbody tr').first().getByText('开给了错误的居民').waitFor();
    expect(await t.db.query(`SELECT recycler_id, reason FROM receipt_revocations WHERE rid = $1`, [rid])).toEqual([{ recycler_id: s.recycler.id, reason: '开给了错误的居民' }]);
    violations.revoked = await checkPage(page, 'recycler-revoked-tablet');

    // again, with another reason: the API answers the first revocation, and the page says so without alarm
    await page.getByLabel('凭证编号（rid）').fill(rid);
    await page.getByLabel('撤销理由').fill('再撤销一次');
    await page.getByRole('button', { name: '下一步' }).click();
    await confirm.getByRole('button', { name: '确认撤销' }).click();
    await outcome.getByText(new RegExp(`^凭证 ${rid} 早已于 .+ 撤销，无需再次操作；以第一次撤销为准（理由：开给了错误的居民）。$`)).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await t.db.query(`SELECT reason FROM receipt_revocations WHERE rid = $1`, [rid])).toEqual([{ reason: '开给了错误的居民' }]);
    expect(await table.getByText(rid, { exact: true }).count()).toBe(1);
    violations.revokedAgain = await checkPage(page, 'recycler-revoked-again-tablet');

    // a reload forgets the key: signed in again by hand
    await page.reload();
    await page.getByRole('heading', { level: 1, name: '回收企业登录' }).waitFor();
    await page.getByLabel('API 密钥').fill(s.recycler.apiKey);
    await page.getByRole('button', { name: '登录' }).click();
    await table.getByText(rid).waitFor();
    expect(await table.getByText(past).count()).toBe(0);

    // revoked again with the same reason, not on the page: the answer's earlier time says it was the first revocation
    await page.getByLabel('凭证编号（rid）').fill(past);
    await page.getByLabel('撤销理由').fill('开错了');
    await page.getByRole('button', { name: '下一步' }).click();
    await confirm.getByRole('button', { name: '确认撤销' }).click();
    await outcome.getByText(new RegExp(`^凭证 ${past} 早已于 .+ 撤销，无需再次操作；以第一次撤销为准（理由：开错了）。$`)).waitFor();
    expect(await t.db.query(`SELECT count(*)::int AS n FROM receipt_revocations WHERE rid = $1`, [past])).toEqual([{ n: 1 }]);

    expect(problems).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
    await context.close();
  }, 180_000);

  it('makes the receipt slip from a pasted JWS: details as signed, a readable QR code of the whole JWS, print layout; zh and en', async () => {
    const idNumber = randomResidentId();
    // a typical receipt is about 500 characters; this one is at least that
    const jws = await s.receipt(idNumber, { rid: `R-2026-${uniq()}-0001234` });
    expect(jws.length).toBeGreaterThanOrEqual(500);
    const payload = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
    const hash = receiptHolderHash(idNumber);
    expect(payload.holderIdHash).toBe(hash);

    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    const violations: Record<string, unknown[]> = {};
    await signIn(page, '/recycler/slip');
    await page.getByRole('heading', { level: 1, name: '回收凭证单' }).waitFor();
    violations.empty = await checkPage(page, 'recycler-slip-empty-tablet');

    // malformed: said clearly, no slip
    const input = page.getByLabel('回收凭证（JWS）');
    await input.fill('这不是凭证');
    await page.getByRole('button', { name: '生成凭证单' }).click();
    await page.getByRole('alert').getByText('这不是一张可读的回收凭证：格式应为由两个点分成三段的 JWS').waitFor();
    await input.fill(`${jws.split('.')[0]}.bm90LWpzb24.${jws.split('.')[2]}`);
    await page.getByRole('button', { name: '生成凭证单' }).click();
    await page.getByRole('alert').getByText('这不是一张可读的回收凭证：第二段不是 base64url 编码的 JSON').waitFor();
    expect(await page.getByTestId('slip').count()).toBe(0);
    violations.bad = await checkPage(page, 'recycler-slip-malformed-tablet');

    // pasted as it may arrive, wrapped over lines
    await input.fill(`${jws.slice(0, 200)}\n${jws.slice(200)}\n`);
    await page.getByRole('button', { name: '生成凭证单' }).click();
    const slip = page.getByTestId('slip');
    await slip.getByRole('heading', { name: '以旧换新回收凭证' }).waitFor();
    await slip.getByText('以下内容按回收企业签发的原样显示').waitFor();
    await slip.getByText(payload.rid, { exact: true }).waitFor();
    await slip.getByText('Sony', { exact: true }).waitFor();
    await slip.getByText('KD-42', { exact: true }).waitFor();
    await slip.getByText(payload.device.serialNumber, { exact: true }).waitFor();
    await slip.getByText('42 英寸', { exact: true }).waitFor();
    await slip.getByText('电视机', { exact: true }).waitFor();
    expect(await slip.getByTestId('holder').textContent()).toBe(`${hash.slice(0, 8)}…${hash.slice(-4)}`);
    expect(await slip.textContent()).not.toContain(hash);
    expect(await slip.textContent()).not.toContain(idNumber);
    // the recycling time in Asia/Shanghai, whatever the browser's zone (the context runs in Europe/London)
    const issued = new Date(payload.iat * 1000);
    const sh = new Date(issued.getTime() + 8 * 3600e3);
    const when = slip.locator('time').first();
    expect(await when.getAttribute('datetime')).toBe(issued.toISOString());
    const hhmm = `${String(sh.getUTCHours()).padStart(2, '0')}:${String(sh.getUTCMinutes()).padStart(2, '0')}`;
    expect(await when.textContent()).toBe(`${sh.getUTCFullYear()}年${sh.getUTCMonth() + 1}月${sh.getUTCDate()}日 ${hhmm}`);

    const qr = slip.getByRole('img', { name: `回收凭证二维码，凭证编号 ${payload.rid}` });
    await qr.waitFor();
    const box = (await qr.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(360);
    expect(await readQr(page, qr)).toBe(jws);
    violations.slip = await checkPage(page, 'recycler-slip-tablet');

    // Print: window.print() (stubbed: no print dialog in a test), and the print layout keeps the slip only
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => { (window as unknown as { printed: number }).printed++; };
    });
    await slip.getByRole('button', { name: '打印' }).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.topbar').isHidden()).toBe(true);
    expect(await page.locator('nav.rolenav').isHidden()).toBe(true);
    expect(await input.isHidden()).toBe(true);
    expect(await slip.getByRole('button', { name: '打印' }).isHidden()).toBe(true);
    expect(await slip.isVisible()).toBe(true);
    expect(await readQr(page, qr)).toBe(jws);
    violations.print = await checkPage(page, 'recycler-slip-print');
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('header.topbar').isVisible()).toBe(true);

    // English, once
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Receipt slip' }).waitFor();
    await slip.getByRole('heading', { name: 'Old-for-new recycling receipt' }).waitFor();
    await slip.getByText('Shown as signed by the recycler').waitFor();
    await slip.getByText('42 inches', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Revocations' }).waitFor();
    violations.slipEn = await checkPage(page, 'recycler-slip-tablet-en');
    await page.getByRole('link', { name: 'Revocations' }).click();
    await page.getByRole('heading', { level: 1, name: 'Receipt revocations' }).waitFor();
    violations.revocationsEn = await checkPage(page, 'recycler-revocations-tablet-en');

    // signing out forgets the key
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Old-for-new TV subsidy' }).waitFor();
    await page.goto('/recycler/slip');
    await page.getByRole('heading', { level: 1, name: 'Recycler sign-in' }).waitFor();

    expect(problems).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
    await context.close();
  }, 180_000);
});
