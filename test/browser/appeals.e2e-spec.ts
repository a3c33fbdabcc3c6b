/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import type { TestApp } from '../support/app';
import { checkPage, DESKTOP, launchBrowser, newContext, PHONE, servePortal, TABLET, type AxeViolation, signIn } from '../support/browser';
import type { Household, SignedIn } from '../support/factories';
import { Scenario } from '../support/scenario';

/**
 * Appeals in Chromium against the real API on real PostgreSQL (issue 13): a household on a phone appeals its
 * rejected claim with a reason and follows it on its timeline; a cashier at the till appeals another; the auditor who
 * rejected both is told another auditor must decide (no button to try), and a second auditor sees the rejection (its
 * reason and who gave it) and upholds — the household then sees its claim approved on appeal.
 */
describe('portal: appeals in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;
  let rejecter: SignedIn & { email: string; password: string };
  let second: SignedIn & { email: string; password: string };
  const violations: Record<string, AxeViolation[]> = {};
  const made: { id: string; h: Household }[] = [];

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    rejecter = await t.make.staff('auditor');
    second = await t.make.staff('auditor');
    browser = await launchBrowser();
    for (let i = 0; i < 2; i++) {
      const h = await s.household();
      const v = await s.voucher(h);
      const modelCode = await s.model({ referencePriceFen: 300000 });
      const res = await s.tradeIn(await s.tradeInBody(h, v.code, { modelCode, salePriceFen: 599900 })).expect(201);
      await t.http().post(`/v1/auditor/claims/${res.body.claimId}/decision`).set(rejecter.auth).send({ decision: 'reject', reason: `回收单据日期可疑 ${i}` }).expect(200);
      made.push({ id: res.body.claimId, h });
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the household appeals its rejected claim on a phone and sees the appeal on its timeline', async () => {
    const { context, page, problems } = await newContext(browser, base, { device: PHONE });
    const h = made[0].h;
    await page.goto('/household/claims');
    await signIn(page, h.phone, h.password, '我的补贴申请');
    const item = page.getByTestId('claim');
    await item.getByText('未通过：回收单据日期可疑 0').waitFor();
    await item.getByText(/如对结果有异议，可在 .* 前申诉一次。/).waitFor();
    violations.household = await checkPage(page, 'appeal-household-rejected-phone');
    await item.getByRole('button', { name: '申诉' }).click();
    const submit = item.getByRole('button', { name: '提交申诉' });
    expect(await submit.isDisabled()).toBe(true);
    await item.getByLabel('申诉理由').fill('回收商系统时区设置错误，单据日期实为销售前一天');
    violations.householdForm = await checkPage(page, 'appeal-household-form-phone');
    await submit.click();
    await item.getByText('已提出申诉：回收商系统时区设置错误，单据日期实为销售前一天').waitFor();
    await item.getByText('申诉审核中（由另一位审核员处理）').waitFor();
    expect(await item.getByRole('button', { name: '申诉' }).count()).toBe(0);
    const [row] = await t.db.query(`SELECT appellant_kind, reason, status FROM claim_appeals WHERE claim_id = $1`, [made[0].id]);
    expect(row).toEqual({ appellant_kind: 'household', reason: '回收商系统时区设置错误，单据日期实为销售前一天', status: 'open' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the cashier appeals another rejected claim at the till', async () => {
    const { context, page, problems } = await newContext(browser, base, { device: TABLET });
    await page.goto('/till/claims?status=rejected');
    await signIn(page, s.retailer.staff.email, s.retailer.staff.password, '补贴申请');
    const theirs = page.locator('tr', { hasText: '回收单据日期可疑 0' });
    await theirs.getByText('申诉审核中').waitFor();
    await theirs.getByText('（顾客申诉）').waitFor();
    const mine = page.locator('tr', { hasText: '回收单据日期可疑 1' });
    await mine.getByRole('button', { name: '申诉' }).click();
    await page.getByLabel('申诉理由').fill('门店已核实成交价与发票一致');
    violations.cashier = await checkPage(page, 'appeal-cashier-form-tablet');
    await page.getByRole('button', { name: '提交申诉' }).click();
    await page.locator('tr', { hasText: '回收单据日期可疑 1' }).getByText('（本店申诉）').waitFor();
    expect(await page.getByRole('button', { name: '申诉', exact: true }).count()).toBe(0);
    const [row] = await t.db.query(`SELECT appellant_kind, appellant_id FROM claim_appeals WHERE claim_id = $1`, [made[1].id]);
    expect(row).toEqual({ appellant_kind: 'retailer', appellant_id: s.retailer.staff.id });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the rejecting auditor is told another auditor decides; a second auditor sees who rejected and why, and upholds', async () => {
    const desk = await newContext(browser, base, { device: DESKTOP });
    await desk.page.goto('/auditor/appeals');
    await signIn(desk.page, rejecter.email, rejecter.password, '申诉队列');
    const rows = desk.page.getByTestId('appeal-row');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    expect(await desk.page.getByTestId('not-mine').count()).toBe(2);
    violations.queue = await checkPage(desk.page, 'appeal-auditor-queue');
    const [appeal] = await t.db.query(`SELECT id::text FROM claim_appeals WHERE claim_id = $1`, [made[0].id]);
    await desk.page.locator(`[data-appeal-id="${appeal.id}"]`).getByRole('link').click();
    await desk.page.getByText('该申请由您驳回：其申诉须由另一位审核员决定。').waitFor();
    expect(await desk.page.getByRole('button', { name: '申诉成立，通过申请' }).count()).toBe(0);
    violations.notMine = await checkPage(desk.page, 'appeal-auditor-not-mine');
    expect(desk.problems).toEqual([]);
    await desk.context.close();

    const other = await newContext(browser, base, { device: DESKTOP });
    await other.page.goto(`/auditor/appeals/${appeal.id}`);
    await signIn(other.page, second.email, second.password, '申诉');
    await other.page.getByTestId('rejection-reason').getByText('回收单据日期可疑 0').waitFor();
    expect(await other.page.getByTestId('rejected-by').innerText()).toBe(`auditor ${rejecter.email}`);
    await other.page.getByTestId('appeal-reason').getByText('回收商系统时区设置错误，单据日期实为销售前一天').waitFor();
    // a reason is required
    await other.page.getByRole('button', { name: '申诉成立，通过申请' }).click();
    await other.page.getByText('请填写理由').waitFor();
    await other.page.getByLabel('理由', { exact: true }).fill('回收商已书面确认时区错误');
    violations.decide = await checkPage(other.page, 'appeal-auditor-decide');
    await other.page.getByRole('button', { name: '申诉成立，通过申请' }).click();
    await other.page.getByTestId('appeal-status').getByText('申诉成立').waitFor();
    const [claim] = await t.db.query(`SELECT status FROM claims WHERE id = $1`, [made[0].id]);
    expect(claim.status).toBe('approved');
    // the claim's own page tells the story, with the way back to the appeal
    await other.page.getByRole('link', { name: made[0].id }).click();
    const events = other.page.getByTestId('history-event');
    await events.filter({ hasText: 'claim.appeal_upheld' }).waitFor();
    expect(await events.filter({ hasText: 'claim.appealed' }).getByRole('link', { name: '查看申诉' }).getAttribute('href')).toBe(`/auditor/appeals/${appeal.id}`);
    violations.claimDetail = await checkPage(other.page, 'appeal-auditor-claim-detail');
    expect(other.problems).toEqual([]);
    await other.context.close();

    // the household sees its claim approved on appeal
    const home = await newContext(browser, base, { device: PHONE });
    await home.page.goto('/household/claims');
    await signIn(home.page, made[0].h.phone, made[0].h.password, '我的补贴申请');
    const item = home.page.getByTestId('claim');
    await item.getByText('申诉成立：回收商已书面确认时区错误').waitFor();
    await item.getByText('审核通过').waitFor();
    expect(home.problems).toEqual([]);
    await home.context.close();
  });

  it('no serious or critical accessibility violation on any page visited', () => {
    expect(Object.fromEntries(Object.entries(violations).filter(([, v]) => v.length))).toEqual({});
  });
});
