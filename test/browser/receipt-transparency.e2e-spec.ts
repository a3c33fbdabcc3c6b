/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { DismantlingService } from '@huanxin/claims';
import type { TestApp } from '../support/app';
import type { SignedIn } from '../support/factories';
import { AxeViolation, checkPage, DESKTOP, launchBrowser, newContext, servePortal, TABLET } from '../support/browser';
import { randomCreditCode, randomResidentId, uniq } from '../support/ids';
import { Scenario } from '../support/scenario';

/**
 * Receipt transparency and dismantling in Chromium (issue 13), against the real API: the recycler makes a slip and
 * the receipt is registered on the way (the platform's time on the slip), sees its receipts with their states and
 * confirms one dismantled; the programme office certifies a recycler and a retailer with the date certification
 * began; the auditor sees a claim held for unconfirmed dismantling, releases it, and reads the recyclers' record on
 * the dashboard.
 */
describe('portal: receipt registration and dismantling in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal({ DISMANTLING_CHECK_INTERVAL_MS: '0' }));
    s = await Scenario.create(t, { cities: ['hangzhou'], rules: { dismantleWithinDays: 3 } });
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const expectClean = (problems: string[], violations: Record<string, AxeViolation[]>) => {
    expect(problems).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
  };

  async function signInRecycler(page: Page, next: string) {
    await page.goto(next);
    await page.getByRole('heading', { level: 1, name: '回收企业登录' }).waitFor();
    await page.getByLabel('API 密钥').fill(s.recycler.apiKey);
    await page.getByRole('button', { name: '登录' }).click();
  }

  async function signInStaff(page: Page, who: { email: string; password: string }, path: string) {
    await page.goto(path);
    await page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
    await page.getByLabel('手机号或邮箱').fill(who.email);
    await page.getByLabel('密码').fill(who.password);
    await page.getByRole('button', { name: '登录' }).last().click();
  }

  it('recycler: making a slip registers the receipt; the receipts page lists each state and confirms one dismantled, once', async () => {
    const revokedRid = `R-REV-${uniq()}`;
    const revoked = await s.receipt(randomResidentId(), { rid: revokedRid });
    await t.http().post('/v1/recycler/receipts').set(s.recycler.keyAuth).send({ receipt: revoked }).expect(201);
    await t.http().post(`/v1/recycler/receipts/${revokedRid}/revoke`).set(s.recycler.keyAuth).send({ reason: '开错了' }).expect(200);

    const { page, problems, context } = await newContext(browser, base, { device: TABLET });
    const violations: Record<string, AxeViolation[]> = {};
    await signInRecycler(page, '/recycler/slip');
    await page.getByRole('heading', { level: 1, name: '回收凭证单' }).waitFor();

    // the slip registers the receipt: the platform's time is on it
    const rid = `R-SLIP-${uniq()}`;
    const jws = await s.receipt(randomResidentId(), { rid });
    await page.getByLabel('回收凭证（JWS）').fill(jws);
    await page.getByRole('button', { name: '生成凭证单' }).click();
    const slip = page.getByTestId('slip');
    await slip.getByText('平台登记时间').waitFor();
    const registered = (await t.db.query(`SELECT registered_at FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]))[0];
    expect(registered).toBeDefined();
    expect(await slip.getByTestId('registered-at').locator('time').getAttribute('datetime')).toMatch(/\+08:00$/);
    violations.slip = await checkPage(page, 'recycler-slip-registered-tablet');

    // making it again answers the first registration: still one row, the same time
    await page.getByRole('button', { name: '生成凭证单' }).click();
    await slip.getByText('平台登记时间').waitFor();
    expect((await t.db.query(`SELECT count(*)::int AS n FROM receipt_registrations WHERE rid = $1`, [rid]))[0].n).toBe(1);

    // another receipt with the same rid: refused, in Chinese, and no slip
    await page.getByLabel('回收凭证（JWS）').fill(await s.receipt(randomResidentId(), { rid, issuedAt: new Date(Date.now() - 7200e3) }));
    await page.getByRole('button', { name: '生成凭证单' }).click();
    await page.getByRole('alert').getByText('已有另一张相同编号（rid）的凭证在平台登记').waitFor();
    expect(await page.getByTestId('slip').count()).toBe(0);
    violations.conflict = await checkPage(page, 'recycler-slip-conflict-tablet');

    // the receipts page: newest first, each with its state
    await page.getByRole('navigation').getByRole('link', { name: '已登记凭证' }).click();
    await page.getByRole('heading', { level: 1, name: '已登记的回收凭证' }).waitFor();
    const table = page.getByTestId('receipts');
    const row = (r: string) => table.locator(`tr[data-rid="${r}"]`);
    await row(rid).waitFor();
    expect(await row(rid).locator('[data-status]').getAttribute('data-status')).toBe('registered');
    await row(rid).getByText('已登记', { exact: true }).waitFor();
    await row(revokedRid).getByText('已撤销', { exact: true }).waitFor();
    await row(revokedRid).getByText('已撤销，无需确认').waitFor();
    violations.receipts = await checkPage(page, 'recycler-receipts-tablet');

    // confirm dismantled: a form under the row, then the row says so; no second confirmation is offered
    await row(rid).getByRole('button', { name: `确认拆解 ${rid}` }).click();
    const form = page.getByTestId('dismantle-form');
    await form.getByRole('heading', { name: `确认凭证 ${rid} 对应的旧电视已拆解` }).waitFor();
    expect(await form.getByLabel('拆解时间（北京时间）').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    await form.getByLabel('凭据（可选）').fill('sha256:photo-9f2c');
    violations.confirm = await checkPage(page, 'recycler-receipts-confirm-tablet');
    await form.getByRole('button', { name: '确认已拆解' }).click();
    await page.getByTestId('dismantled-outcome').getByText(`已确认凭证 ${rid} 于`).waitFor();
    await row(rid).getByText('已拆解', { exact: true }).waitFor();
    await row(rid).getByText('（凭据：sha256:photo-9f2c）').waitFor();
    expect(await row(rid).getByRole('button').count()).toBe(0);
    const [stored] = await t.db.query(`SELECT dismantled_at, dismantle_evidence FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
    expect(stored.dismantle_evidence).toBe('sha256:photo-9f2c');
    expect(stored.dismantled_at).not.toBeNull();

    // English, once
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Registered receipts' }).waitFor();
    await row(rid).getByText('Dismantled', { exact: true }).waitFor();
    await page.getByTestId('dismantled-outcome').getByText(`Receipt ${rid} confirmed dismantled on`).waitFor();
    violations.receiptsEn = await checkPage(page, 'recycler-receipts-tablet-en');
    expectClean(problems, violations);
    await context.close();
  }, 180_000);

  it('admin: certifies a recycler and a retailer with the date their certification began; a future date is refused', async () => {
    const admin = await t.make.staff('admin');
    const { page, problems, context } = await newContext(browser, base, { device: DESKTOP });
    const violations: Record<string, AxeViolation[]> = {};
    await signInStaff(page, admin, '/admin/organisations');
    await page.getByRole('heading', { level: 1, name: '企业认证' }).waitFor();

    const recyclers = page.getByRole('region', { name: '回收企业', exact: true });
    const name = `嘉兴测试回收 ${uniq()}`;
    await recyclers.getByLabel('回收企业名称').fill(name);
    await recyclers.getByLabel('回收企业统一社会信用代码').fill(randomCreditCode());
    const date = recyclers.getByLabel('认证开始日期');
    expect(await date.getAttribute('type')).toBe('date');
    // a date in the future: the API refuses it on the field, nothing is created
    await date.fill('2099-01-01');
    await recyclers.getByRole('button', { name: '认证回收企业' }).click();
    await recyclers.getByRole('alert').getByText('certifiedFrom').waitFor();
    expect((await t.db.query(`SELECT count(*)::int AS n FROM recyclers WHERE name = $1`, [name]))[0].n).toBe(0);
    violations.refused = await checkPage(page, 'admin-recycler-certified-from-refused');

    await date.fill('2026-10-01');
    await recyclers.getByRole('button', { name: '认证回收企业' }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const got = (await t.http().get(`/v1/admin/recyclers/${id}`).set(admin.auth).expect(200)).body;
    expect(got.certifications).toEqual([{ certifiedAt: '2026-10-01T00:00:00+08:00', decertifiedAt: null }]);

    await page.getByRole('link', { name: '← 返回企业认证' }).click();
    const retailers = page.getByRole('region', { name: '认证新商户' });
    const shop = `湖州测试电器 ${uniq()}`;
    await retailers.getByLabel('企业名称').fill(shop);
    await retailers.getByLabel('统一社会信用代码').fill(randomCreditCode());
    await retailers.getByLabel('认证开始日期').fill('2026-09-15');
    await retailers.getByLabel('门店 1 编号').fill(`HU-${uniq()}`);
    await retailers.getByLabel('门店 1 名称').fill('南浔店');
    violations.form = await checkPage(page, 'admin-retailer-certified-from');
    await retailers.getByRole('button', { name: '认证商户' }).click();
    await page.getByRole('heading', { level: 1, name: shop }).waitFor();
    const retailerId = new URL(page.url()).pathname.split('/').pop()!;
    expect((await t.http().get(`/v1/admin/retailers/${retailerId}`).set(admin.auth).expect(200)).body.certifiedFrom).toBe('2026-09-15T00:00:00+08:00');
    expectClean(problems, violations);
    await context.close();
  }, 180_000);

  it('admin: the policy editor sets receipt registration and the dismantling deadline, published into a new version', async () => {
    const admin = await t.make.staff('admin');
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const { page, problems, context } = await newContext(browser, base, { device: DESKTOP });
    const violations: Record<string, AxeViolation[]> = {};
    await signInStaff(page, admin, `/admin/programs/${p.programCode}`);
    const publish = page.getByRole('region', { name: '发布新政策版本' });
    const recycling = publish.getByTestId('policy-recycling');
    await recycling.getByText('回收凭证登记与拆解').waitFor();
    const grace = recycling.getByLabel('登记宽限（小时）');
    expect(await grace.isDisabled()).toBe(true);
    await recycling.getByLabel('要求回收凭证在平台登记').check();
    expect(await grace.isDisabled()).toBe(false);
    await grace.fill('6');
    await recycling.getByLabel('确认拆解期限（天）').fill('7天');
    await recycling.getByText('请输入整数').waitFor();
    await recycling.getByLabel('确认拆解期限（天）').fill('7');
    violations.editor = await checkPage(page, 'admin-policy-recycling');
    await publish.getByRole('button', { name: '预览补贴' }).click();
    // the JSON view carries the same rules
    await publish.getByRole('radio', { name: 'JSON' }).check();
    const json = JSON.parse(await publish.getByLabel('政策规则（JSON）').inputValue());
    expect(json).toMatchObject({ receiptRegistration: { required: true, graceHours: 6 }, dismantleWithinDays: 7 });
    await publish.getByRole('radio', { name: '表单' }).check();
    await publish.getByRole('button', { name: '发布政策版本' }).click();
    await publish.getByText(/^已发布第 2 版，/).waitFor();
    const versions = (await t.http().get(`/v1/admin/programs/${p.programCode}`).set(admin.auth).expect(200)).body.policyVersions;
    expect(versions[1].rules).toMatchObject({ receiptRegistration: { required: true, graceHours: 6 }, dismantleWithinDays: 7 });
    expect(versions[0].rules.receiptRegistration).toBeUndefined();
    expectClean(problems, violations);
    await context.close();
  }, 180_000);

  it('auditor: a claim held for unconfirmed dismantling is shown and released with a reason; the dashboard ranks recyclers', async () => {
    // an approved claim whose receipt was registered before the sale and never confirmed dismantled
    const h = await s.household();
    const v = await s.voucher(h);
    const body = await s.tradeInBody(h, v.code);
    t.clock.set(new Date(Date.now() - 2 * 3600e3));
    await t.http().post('/v1/recycler/receipts').set(s.recycler.keyAuth).send({ receipt: body.recyclingReceipt }).expect(201);
    t.clock.set(undefined);
    const claim = (await s.tradeIn(body).expect(201)).body;
    t.clock.set(new Date(Date.now() + 4 * 86400e3));
    await t.app.get(DismantlingService).check();
    t.clock.set(undefined);

    const auditor: SignedIn & { email: string; password: string } = await t.make.staff('auditor');
    const { page, problems, context } = await newContext(browser, base, { device: DESKTOP });
    const violations: Record<string, AxeViolation[]> = {};
    await signInStaff(page, auditor, `/auditor/claims/${claim.claimId}`);
    const hold = page.getByTestId('dismantling-hold');
    await hold.getByRole('heading', { name: '拆解未确认，暂停拨付' }).waitFor();
    await page.getByText('拆解未确认').first().waitFor();
    violations.held = await checkPage(page, 'auditor-claim-dismantling-held');
    await hold.getByRole('button', { name: '放行拨付' }).click();
    await hold.getByText('请填写理由').waitFor();
    await hold.getByLabel('放行理由').fill('现场核实已拆解');
    await hold.getByRole('button', { name: '放行拨付' }).click();
    await hold.getByText('已放行，本申请可进入下一次拨付。').waitFor();
    expect((await t.db.query(`SELECT dismantling FROM claims WHERE id = $1`, [claim.claimId]))[0].dismantling).toBe('released');

    await page.goto(`/auditor/dashboard?programCode=${s.programCode}`);
    const figure = page.getByTestId('figure-dismantling');
    await figure.getByRole('heading', { name: '回收企业拆解确认率' }).waitFor();
    await figure.getByText('数据表：回收企业拆解确认率').click();
    await figure.getByRole('row', { name: /测试回收/ }).first().waitFor();
    violations.dashboard = await checkPage(page, 'auditor-dashboard-dismantling');
    expectClean(problems, violations);
    await context.close();
  }, 180_000);
});
