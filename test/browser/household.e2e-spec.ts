/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import type { TestApp } from '../support/app';
import { checkPage, launchBrowser, newContext, PHONE, servePortal, signIn } from '../support/browser';
import { randomPhone, randomResidentId } from '../support/ids';
import { Scenario } from '../support/scenario';

/**
 * The portal's public and household pages in Chromium on a 360 px phone, against the real API on real PostgreSQL:
 * registration with the ID check digit checked as typed, sign-in, today's availability, a voucher with its QR
 * code, the session surviving a reload through its httpOnly cookie only, the language switch, the serial check.
 */
describe('portal: household pages in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 50 });
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the portal at / and on deep links, with a strict CSP; the API keeps its problem+json', async () => {
    const home = await t.http().get('/').expect(200);
    expect(home.headers['content-type']).toMatch(/^text\/html/);
    expect(home.text).toContain('<div id="root"></div>');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(home.headers['cache-control']).toBe('no-cache');
    // revalidated by its tag (304, no body); the API's answers carry no ETag (Express's per-body hashing is off)
    expect(home.headers.etag).toMatch(/^"[\w-]{27}"$/);
    const again = await t.http().get('/').set('If-None-Match', home.headers.etag).expect(304);
    expect(again.text).toBe('');
    const deep = await t.http().get('/auditor/claims/3f1c9a52-0000-4000-8000-000000000000').expect(200);
    expect(deep.text).toBe(home.text);
    const api = await t.http().get('/v1/no-such-thing').expect(404);
    expect(api.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(api.headers.etag).toBeUndefined();
    expect((await t.http().get('/health/ready').expect(200)).headers.etag).toBeUndefined();
    await t.http().get('/assets/no-such-chunk.js').expect(404);
    const asset = home.text.match(/\/assets\/index-[\w-]+\.js/)![0];
    const js = await t.http().get(asset).expect(200);
    expect(js.headers['cache-control']).toContain('immutable');
  });

  it('a household registers, signs in and takes a voucher on a phone; the session survives a reload; zh and en', async () => {
    const { context, page, problems } = await newContext(browser, base, { device: PHONE });
    const violations: Record<string, unknown[]> = {};
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: '家电以旧换新补贴' }).waitFor();
    violations.home = await checkPage(page, 'public-home-phone');

    await page.getByRole('link', { name: '注册' }).first().click();
    await page.getByRole('heading', { name: '居民注册' }).waitFor();
    const id = randomResidentId();
    const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    const phone = randomPhone();
    await page.getByLabel('手机号').fill(phone);
    await page.getByLabel('姓名').fill('王小明');
    await page.getByLabel('身份证号').fill(wrong.slice(0, 10));
    await page.getByText('还需 8 位').waitFor();
    await page.getByLabel('身份证号').fill(wrong);
    await page.getByText('身份证号校验位不正确').waitFor();
    expect(await page.getByRole('button', { name: '注册' }).isDisabled()).toBe(true);
    await page.getByLabel('身份证号').fill(id);
    await page.getByText('校验通过').waitFor();
    await page.getByLabel('所在城市').selectOption('hangzhou');
    await page.getByLabel('密码（至少 8 位）').fill('correct horse battery');
    violations.register = await checkPage(page, 'public-register-phone');
    await page.getByRole('button', { name: '注册' }).click();

    await page.getByText('注册成功，请登录').waitFor();
    await page.getByLabel('手机号或邮箱').fill(phone);
    await page.getByLabel('密码').fill('wrong password');
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.getByRole('alert').getByText('请重新登录').waitFor();
    violations.signInRefused = await checkPage(page, 'public-sign-in-refused-phone');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '登录' }).last().click();

    await page.getByRole('heading', { level: 1, name: '我的补贴' }).waitFor();
    await page.getByText('今日还剩 50 张').waitFor();
    violations.householdOpen = await checkPage(page, 'household-home-open-phone');
    await page.getByRole('button', { name: '领取补贴券' }).dblclick();
    const voucher = page.getByTestId('voucher');
    await voucher.waitFor();
    const code = (await voucher.locator('.voucher-code strong').textContent())!;
    expect(code).toMatch(/^HX-/);
    await voucher.getByRole('img', { name: `补贴券二维码 ${code}` }).waitFor();
    violations.householdVoucher = await checkPage(page, 'household-home-voucher-phone');
    // the double tap took one voucher
    expect(await t.db.query(`SELECT count(*)::int AS n FROM vouchers v JOIN users u ON u.id = v.household_id WHERE u.id_number_last4 = $1`, [id.slice(-4)])).toEqual([{ n: 1 }]);

    // no token where a script could read it: the refresh token is an httpOnly cookie scoped to the session path
    const storage = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }));
    expect(storage).not.toMatch(/eyJ|accessToken|refresh/i);
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'hx_session', httpOnly: true, sameSite: 'Strict', path: '/v1/auth/session' })]);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.reload();
    await page.getByTestId('voucher').waitFor();
    expect(await page.locator('.voucher-code strong').textContent()).toBe(code);

    // English, and back
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'My subsidy' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.getByText(/^Valid until/).waitFor();
    violations.householdEn = await checkPage(page, 'household-home-voucher-phone-en');
    await page.getByRole('link', { name: 'My claims' }).click();
    await page.getByRole('heading', { level: 1, name: 'My subsidy claims' }).waitFor();
    await page.getByText('Nothing here yet').waitFor();
    violations.claimsEmpty = await checkPage(page, 'household-claims-empty-phone-en');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: '我的补贴申请' }).waitFor();

    // signing out ends the session on the server too
    const logout = page.waitForResponse((r) => r.url().endsWith('/v1/auth/session/logout'));
    await page.getByRole('button', { name: '退出' }).click();
    expect((await logout).status()).toBe(204);
    await page.getByRole('heading', { level: 1, name: '家电以旧换新补贴' }).waitFor();
    await page.goto('/household');
    await page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/household');

    expect(problems).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
    await context.close();
  }, 120_000);

  it('a household gives up its voucher on a phone: asked twice, then the voucher is gone, once', async () => {
    const h = await s.household('hangzhou');
    const { code } = await s.voucher(h);
    const { context, page, problems } = await newContext(browser, base, { device: PHONE });
    await page.goto('/sign-in');
    await signIn(page, h.phone, h.password, '我的补贴');
    const voucher = page.getByTestId('voucher');
    await voucher.waitFor();
    expect(await voucher.locator('.voucher-code strong').textContent()).toBe(code);
    // first tap only asks; "keep it" keeps it
    await voucher.getByRole('button', { name: '放弃此券' }).click();
    await voucher.getByText('放弃后此券立即失效').waitFor();
    const asked = await checkPage(page, 'household-give-up-asked-phone');
    await voucher.getByRole('button', { name: '保留此券' }).click();
    expect(await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [code])).toEqual([{ status: 'open' }]);
    // asked again and confirmed (a double tap gives it up once)
    await voucher.getByRole('button', { name: '放弃此券' }).click();
    const answered = page.waitForResponse((r) => r.url().endsWith(`/v1/household/vouchers/${code}/give-up`));
    await voucher.getByRole('button', { name: '确定放弃' }).dblclick();
    expect((await answered).status()).toBe(200);
    await page.getByRole('button', { name: '领取补贴券' }).waitFor();
    expect(await page.getByTestId('voucher').count()).toBe(0);
    await page.locator('.list-row', { hasText: code }).waitFor();
    expect(await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [code])).toEqual([{ status: 'expired' }]);
    expect(await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'voucher.given_up' AND subject_id = $1`, [code])).toEqual([{ n: 1 }]);
    expect(problems).toEqual([]);
    expect(asked).toEqual([]);
    await context.close();
  }, 120_000);

  it('the public serial check answers yes or no and nothing else', async () => {
    const h = await s.household();
    const { code } = await s.voucher(h);
    const body = await s.tradeInBody(h, code);
    await s.tradeIn(body).expect(201);
    const { context, page, problems } = await newContext(browser, base, { device: PHONE });
    await page.goto('/check');
    await page.getByLabel('电视序列号').fill(String(body.serialNumber));
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByText(`序列号 ${body.serialNumber} 已享受过以旧换新补贴。`).waitFor();
    await page.getByLabel('电视序列号').fill('NEVER-SOLD-1');
    await page.getByRole('button', { name: '查询' }).click();
    await page.getByText('序列号 NEVER-SOLD-1 没有补贴记录。').waitFor();
    const v = await checkPage(page, 'public-serial-check-phone');
    expect(v).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});
