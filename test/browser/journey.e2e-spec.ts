/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { BankImportService, SETTLEMENT_ACTOR } from '@huanxin/settlement';
import type { TestApp } from '../support/app';
import { checkPage, DESKTOP, launchBrowser, newContext, PHONE, qrImageFile, TABLET, servePortal, signIn } from '../support/browser';
import { randomPhone, randomResidentId, randomGtin, uniq } from '../support/ids';
import { Scenario } from '../support/scenario';
import { drain, pain002, setBank } from '../support/settlement';

/**
 * The whole journey through the pages only, each person in their own browser context, on the real API and
 * PostgreSQL: a household registers on a phone and takes a voucher → the cashier reads the voucher and the
 * recycling receipt from photos of their QR codes, quotes and submits the trade-in on a tablet → an auditor
 * approves it → the programme office starts a payout run (the worker and the bank's answer are driven as in
 * production: the processor, then a pain.002 import) → the household sees "paid" in its claim's timeline.
 */
describe('portal: the whole journey through the pages (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    // the retailer's first claims go to review, as they do for a new retailer in production
    s = await Scenario.create(t, { cities: ['hangzhou'], rules: { firstClaimsReviewed: 5 } });
    await setBank(t, s.retailer.id);
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('household → cashier → auditor → programme office → household sees paid', async () => {
    const gtin = randomGtin();
    const modelCode = `M-${uniq()}`;
    await s.post('/v1/admin/catalog/models', {
      modelCode, gtin, brand: '创维', name: '壁纸电视 75 英寸 8K', category: 'tv', resolution: '8K', energyGrade: 1, screenInches: 75, referencePriceFen: 1200000,
    }, 201);
    await s.post(`/v1/admin/catalog/models/${modelCode}/approve`, undefined, 200);
    const problems: string[] = [];
    const violations: Record<string, unknown[]> = {};

    // 1. the household, on a phone
    const home = await newContext(browser, base, { device: PHONE });
    const phone = randomPhone();
    const idNumber = randomResidentId();
    await home.page.goto('/register');
    await home.page.getByLabel('手机号').fill(phone);
    await home.page.getByLabel('姓名').fill('李华');
    await home.page.getByLabel('身份证号').fill(idNumber);
    await home.page.getByLabel('所在城市').selectOption('hangzhou');
    await home.page.getByLabel('密码（至少 8 位）').fill('journey password 1');
    await home.page.getByRole('button', { name: '注册' }).click();
    await home.page.getByText('注册成功，请登录').waitFor();
    await signIn(home.page, phone, 'journey password 1', '我的补贴');
    await home.page.getByRole('button', { name: '领取补贴券' }).click();
    await home.page.getByTestId('voucher').waitFor();
    const voucherCode = (await home.page.locator('.voucher-code strong').textContent())!;
    violations.household = await checkPage(home.page, 'journey-1-household-voucher');

    // the recycler's signed receipt for the old set, which the household brings as a printed QR slip
    const receipt = await s.receipt(idNumber);

    // 2. the cashier, on a tablet
    const till = await newContext(browser, base, { device: TABLET });
    await till.page.goto('/till');
    await signIn(till.page, s.retailer.staff.email, s.retailer.staff.password, '以旧换新收银');
    await till.page.getByLabel('券码: 从照片读取二维码').setInputFiles(qrImageFile(voucherCode, `journey-voucher-${voucherCode}`));
    await till.page.waitForFunction((code) => (document.querySelector('input[name=voucherCode]') as HTMLInputElement)?.value === code, voucherCode);
    await till.page.getByLabel('顾客身份证号').fill(idNumber);
    await till.page.getByLabel('回收凭证（扫码或粘贴）: 从照片读取二维码').setInputFiles(qrImageFile(receipt, `journey-receipt-${voucherCode}`));
    await till.page.getByText(/^已读取回收凭证 R-/).waitFor();
    await till.page.getByLabel('型号（名称或扫描条码 GTIN）').fill('壁纸电视');
    await till.page.getByRole('button', { name: /壁纸电视 75 英寸 8K/ }).click();
    const serial = `SKW-${uniq()}`;
    await till.page.getByLabel('新电视序列号').fill(serial);
    await till.page.getByLabel('成交价（元）').fill('12999');
    await till.page.getByLabel('发票号').fill(`INV-${uniq()}`);
    await till.page.getByRole('button', { name: '计算补贴' }).click();
    const quote = till.page.getByTestId('quote');
    // 20% of ¥12,999.00 is ¥2,599.80, over the ¥2,000.00 cap
    await quote.getByText('¥2,000.00').first().waitFor();
    await quote.getByText('¥10,999.00').waitFor();
    await quote.getByText('提交后需人工审核').waitFor();
    violations.quote = await checkPage(till.page, 'journey-2-cashier-quote');
    await till.page.getByRole('button', { name: '确认交易并提交' }).click();
    await till.page.getByTestId('sale-done').getByText('已提交：补贴 ¥2,000.00，顾客实付 ¥10,999.00').waitFor();
    const [claim] = await t.db.query(`SELECT id::text, status FROM claims WHERE serial_number = $1`, [serial.toUpperCase()]);
    expect(claim.status).toBe('pending_review');

    // the household sees it under review
    await home.page.getByRole('link', { name: '我的申请' }).click();
    const item = home.page.getByTestId('claim');
    await item.getByText('审核中').first().waitFor();

    // 3. the auditor
    const auditor = await t.make.staff('auditor');
    const desk = await newContext(browser, base, { device: DESKTOP });
    await desk.page.goto('/auditor');
    await signIn(desk.page, auditor.email, auditor.password, '审核队列');
    await desk.page.locator(`[data-testid="claim-row"][data-claim-id="${claim.id}"]`).getByRole('link').click();
    await desk.page.getByRole('button', { name: '通过' }).waitFor();
    violations.auditor = await checkPage(desk.page, 'journey-3-auditor-claim');
    await desk.page.getByRole('button', { name: '通过' }).click();
    await desk.page.getByText('已通过：补贴转为应付给商户。').waitFor();

    // 4. the programme office starts a payout run
    const officer = await t.make.staff('admin');
    const office = await newContext(browser, base, { device: DESKTOP });
    await office.page.goto('/admin/payout-runs');
    await signIn(office.page, officer.email, officer.password, '付款批次');
    const start = office.page.getByRole('region', { name: '发起付款批次' });
    await start.getByLabel('补贴活动').selectOption(s.programCode);
    await start.getByRole('button', { name: '发起付款批次' }).click();
    await start.getByRole('button', { name: '确认发起' }).click();
    await office.page.getByRole('heading', { level: 1, name: new RegExp(`^付款批次：${s.programCode}，`) }).waitFor();
    const runId = new URL(office.page.url()).pathname.split('/').pop()!;
    violations.office = await checkPage(office.page, 'journey-4-office-run');
    // the worker writes the bank file; the bank answers that it was paid
    await drain(t);
    const [file] = await t.db.query(`SELECT message_id FROM payout_bank_files WHERE run_id = $1`, [runId]);
    const [payout] = await t.db.query(`SELECT replace(id::text, '-', '') AS ref FROM payouts WHERE run_id = $1`, [runId]);
    await t.app.get(BankImportService).importFile(SETTLEMENT_ACTOR, `status-${runId}.xml`, Buffer.from(pain002(file.message_id, [{ endToEndId: payout.ref, status: 'ACSC' }]), 'utf8'));
    await office.page.getByRole('button', { name: '刷新' }).click();
    await office.page.getByTestId('payouts').getByText('已付款').waitFor();

    // 5. the household sees the subsidy paid
    await home.page.reload();
    await item.getByText('补贴已付给门店').waitFor();
    await item.locator('.badge').getByText('已付款').waitFor();
    violations.paid = await checkPage(home.page, 'journey-5-household-paid');
    expect(await t.db.query(`SELECT status FROM claims WHERE id = $1`, [claim.id])).toEqual([{ status: 'paid' }]);

    for (const c of [home, till, desk, office]) {
      problems.push(...c.problems);
      await c.context.close();
    }
    expect(problems).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
  }, 180_000);
});
