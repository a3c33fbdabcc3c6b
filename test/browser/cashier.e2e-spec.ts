/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { SETTLEMENT_ACTOR, BankImportService } from '@huanxin/settlement';
import type { TestApp } from '../support/app';
import { checkPage, launchBrowser, newContext, qrImageFile, TABLET, servePortal } from '../support/browser';
import type { Household } from '../support/factories';
import { Scenario } from '../support/scenario';
import { approvedClaim, drain, pain002, setBank } from '../support/settlement';
import { randomGtin, uniq } from '../support/ids';

/**
 * The cashier at the till on a tablet, in Chromium, against the real API: sign in as retailer staff, read the
 * voucher and recycling-receipt QR codes from photos, pick the model by GTIN, see the subsidy and what the customer
 * pays before confirming (the quote changes nothing), submit once despite a double tap and a dropped connection,
 * refusals in the cashier's language, the claims list with a filter, and a payout statement downloaded as CSV.
 */
describe('portal: the cashier at the till in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;
  let gtin: string;
  let modelCode: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    gtin = randomGtin();
    modelCode = `M-${uniq()}`;
    await s.post('/v1/admin/catalog/models', {
      modelCode, gtin, brand: '海信', name: '星光 65 英寸 4K', category: 'tv', resolution: '4K', energyGrade: 1, screenInches: 65, referencePriceFen: 600000,
    }, 201);
    await s.post(`/v1/admin/catalog/models/${modelCode}/approve`, undefined, 200);
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page) {
    await page.goto('/till');
    await page.getByLabel('手机号或邮箱').fill(s.retailer.staff.email);
    await page.getByLabel('密码').fill(s.retailer.staff.password);
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.getByRole('heading', { level: 1, name: '以旧换新收银' }).waitFor();
  }

  async function fillSale(page: Page, h: Household, voucherCode: string, receipt: string, serial: string, invoice: string) {
    await page.getByLabel('券码: 从照片读取二维码').setInputFiles(qrImageFile(voucherCode, `voucher-${voucherCode}`));
    await page.waitForFunction((code) => (document.querySelector('input[name=voucherCode]') as HTMLInputElement)?.value === code, voucherCode);
    await page.getByLabel('顾客身份证号').fill(h.idNumber);
    await page.getByLabel('回收凭证（扫码或粘贴）: 从照片读取二维码').setInputFiles(qrImageFile(receipt, `receipt-${serial}`));
    await page.getByText(/^已读取回收凭证 R-/).waitFor();
    await page.getByLabel('型号（名称或扫描条码 GTIN）').fill(gtin);
    await page.getByRole('button', { name: /星光 65 英寸 4K/ }).click();
    await page.getByText('已选：海信 星光 65 英寸 4K（4K，1 级能效）').waitFor();
    await page.getByLabel('新电视序列号').fill(serial);
    await page.getByLabel('成交价（元）').fill('5,999.00');
    await page.getByLabel('发票号').fill(invoice);
  }

  it('quotes, then submits one claim despite a double tap and a dropped connection', async () => {
    const h = await s.household();
    const { code } = await s.voucher(h);
    const receipt = await s.receipt(h.idNumber);
    const serial = `SN-${uniq()}`;
    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    await signIn(page);
    const violations: Record<string, unknown[]> = {};
    violations.empty = await checkPage(page, 'cashier-sale-empty-tablet');
    await fillSale(page, h, code, receipt, serial, `INV-${uniq()}`);
    violations.filled = await checkPage(page, 'cashier-sale-filled-tablet');

    const before = await s.snapshot();
    await page.getByRole('button', { name: '计算补贴' }).click();
    const quote = page.getByTestId('quote');
    await quote.waitFor();
    // DEFAULT_POLICY_RULES: 20% of ¥5,999.00 = ¥1,199.80 (under the ¥2,000 cap)
    await quote.getByText('¥1,199.80').waitFor();
    await quote.getByText('¥4,799.20').waitFor();
    violations.quote = await checkPage(page, 'cashier-sale-quote-tablet');
    expect(await s.snapshot()).toEqual(before);

    // the first submission reaches the server but its answer is lost on the way back
    let dropped = 0;
    await page.route('**/v1/retailer/trade-ins', async (route) => {
      if (dropped++ === 0) {
        await route.fetch();
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await page.getByRole('button', { name: '确认交易并提交' }).click();
    await page.getByRole('alert').getByText('网络连接中断，请检查网络后重试').waitFor();
    await page.getByRole('button', { name: '确认交易并提交' }).dblclick();
    const done = page.getByTestId('sale-done');
    await done.waitFor();
    await done.getByText('已提交：补贴 ¥1,199.80，顾客实付 ¥4,799.20').waitFor();
    violations.done = await checkPage(page, 'cashier-sale-done-tablet');
    expect(await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE serial_number = $1`, [serial.toUpperCase()])).toEqual([{ n: 1 }]);
    // three POSTs left the page (the dropped one, then the double tap): one claim, the others replays of the same key
    expect(dropped).toBeGreaterThanOrEqual(2);

    expect(problems.filter((p) => !p.includes('ERR_CONNECTION_RESET') && !p.includes('Failed to fetch'))).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
    await context.close();
  }, 120_000);

  it('shows each refusal in the cashier\'s language: a used voucher, a receipt of another household; English too', async () => {
    const h = await s.household();
    const { code } = await s.voucher(h);
    await s.tradeIn(await s.tradeInBody(h, code)).expect(201);
    const other = await s.household();
    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    await signIn(page);
    await fillSale(page, h, code, await s.receipt(h.idNumber), `SN-${uniq()}`, `INV-${uniq()}`);
    await page.getByRole('button', { name: '计算补贴' }).click();
    await page.getByRole('alert').getByText('补贴券已使用').waitFor();
    const refused = await checkPage(page, 'cashier-refused-voucher-used-tablet');

    const h2 = await s.household();
    const v2 = await s.voucher(h2);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: '以旧换新收银' }).waitFor();
    await fillSale(page, h2, v2.code, await s.receipt(other.idNumber), `SN-${uniq()}`, `INV-${uniq()}`);
    await page.getByRole('button', { name: '计算补贴' }).click();
    await page.getByRole('alert').getByText('回收凭证不属于该顾客').waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Work out the subsidy' }).click();
    await page.getByRole('alert').getByText('The recycling receipt belongs to someone else').waitFor();
    const refusedEn = await checkPage(page, 'cashier-refused-receipt-holder-tablet-en');
    await page.getByRole('button', { name: '中文' }).click();

    expect(problems).toEqual([]);
    expect(refused).toEqual([]);
    expect(refusedEn).toEqual([]);
    await context.close();
  }, 120_000);

  it('lists claims with a status filter and downloads a payout statement as CSV', async () => {
    await setBank(t, s.retailer.id);
    const paid = await approvedClaim(s, { salePriceFen: 450000 });
    const run = (await t.http().post('/v1/admin/payout-runs').set(s.admin.auth).send({ programCode: s.programCode }).expect(201)).body;
    await drain(t);
    const view = (await t.http().get(`/v1/admin/payout-runs/${run.id}`).set(s.admin.auth).expect(200)).body;
    const ref = view.payouts[0].reference;
    await t.app.get(BankImportService).importFile(SETTLEMENT_ACTOR, `s-${run.id}.xml`, Buffer.from(pain002(ref, [{ endToEndId: ref, status: 'ACSC' }])));

    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    await signIn(page);
    await page.getByRole('link', { name: '补贴申请' }).click();
    await page.getByRole('heading', { level: 1, name: '补贴申请' }).waitFor();
    await page.getByLabel('状态').selectOption('paid');
    await page.waitForURL(/status=paid/);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    expect(await page.locator('tbody .badge').allTextContents()).toEqual(expect.arrayContaining(['已付款']));
    expect(new Set(await page.locator('tbody .badge').allTextContents())).toEqual(new Set(['已付款']));
    const claims = await checkPage(page, 'cashier-claims-paid-tablet');

    await page.getByRole('link', { name: '结算' }).click();
    const payout = page.getByTestId('payout').first();
    await payout.waitFor();
    await payout.getByText(ref).waitFor();
    const payouts = await checkPage(page, 'cashier-payouts-tablet');
    const [download] = await Promise.all([page.waitForEvent('download'), payout.getByRole('button', { name: '下载对账单 CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFFpayout_id,run_id,status,reference')).toBe(true);
    expect(csv).toContain(`claim,${paid.id},hangzhou,`);
    expect(csv).toContain((paid.amountFen / 100).toFixed(2));

    expect(problems).toEqual([]);
    expect(claims).toEqual([]);
    expect(payouts).toEqual([]);
    await context.close();
  }, 120_000);
});
