/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../support/app';
import { AxeViolation, checkPage, DESKTOP, launchBrowser, newContext, servePortal } from '../support/browser';
import type { RetailerFixture, SignedIn } from '../support/factories';

/**
 * Payout details changed by four eyes, in Chromium against the real API: one admin proposes a new bank account on
 * the retailer's page (the number masked once sent) and cannot approve it herself (the buttons disabled, the reason
 * said); a second admin finds it in the approvals queue and approves it; the retailer's page shows the new details
 * and version; a second proposal is rejected with a reason; the retailer's payouts page tells it the details changed.
 */
describe('portal: payout details changed by four eyes in a real browser (e2e)', () => {
  let t: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let one: Page;
  let two: Page;
  const problems: string[][] = [];
  let proposer: SignedIn & { email: string; password: string };
  let approver: SignedIn & { email: string; password: string };
  let retailer: RetailerFixture;
  const violations: Record<string, AxeViolation[]> = {};
  const check = async (page: Page, name: string) => {
    violations[name] = await checkPage(page, `payout-details-${name}`);
  };
  const accountNumber = `62220202${String(Date.now()).slice(-10)}`;

  let base: string;

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    proposer = await t.make.staff('admin');
    approver = await t.make.staff('admin');
    retailer = await t.make.retailer();
    browser = await launchBrowser();
    for (const _ of [0, 1]) {
      const c = await newContext(browser, base, { device: DESKTOP });
      contexts.push(c.context);
      problems.push(c.problems);
    }
    one = await contexts[0].newPage();
    two = await contexts[1].newPage();
  }, 240_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.close();
  });

  async function signIn(page: Page, who: { email: string; password: string }, path: string, heading: string) {
    await page.goto(path);
    await page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
    await page.getByLabel('手机号或邮箱').fill(who.email);
    await page.getByLabel('密码').fill(who.password);
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  it('one admin proposes a bank account on the retailer page; she may not approve it herself', async () => {
    const name = (await t.http().get(`/v1/admin/retailers/${retailer.id}`).set(proposer.auth).expect(200)).body.name;
    await signIn(one, proposer, `/admin/organisations/retailers/${retailer.id}`, name);
    const card = one.getByTestId('payout-details');
    await card.getByText('未登记（付款批次会暂缓该商户）').waitFor();
    await card.getByText('第 1 版（认证时登记）').waitFor();
    await check(one, 'retailer');

    // a malformed number: refused with the field named, nothing proposed
    const form = one.getByTestId('propose-form');
    await form.getByLabel('银行账户名（可选）').fill('杭州测试电器有限公司');
    await form.getByLabel('银行账号').fill('12ab');
    await form.getByLabel('开户行行号').fill('102331000010');
    await form.getByRole('button', { name: '提交变更，等待复核' }).click();
    const refused = form.getByRole('alert');
    await refused.waitFor();
    expect(await refused.getAttribute('data-code')).toBe('validation_failed');
    await refused.getByText('bank.accountNumber').waitFor();

    await form.getByLabel('银行账号').fill(accountNumber);
    await form.getByRole('button', { name: '提交变更，等待复核' }).click();
    const pending = one.getByTestId('pending-change');
    await pending.getByText('收款账户变更待复核').waitFor();
    await pending.getByText(`尾号 ${accountNumber.slice(-4)}`).waitFor();
    // the full number is gone from the page once sent; the current details are unchanged
    expect(await one.content()).not.toContain(accountNumber);
    await card.getByTestId('current-details').getByText('未登记（付款批次会暂缓该商户）').waitFor();
    // four eyes: disabled, with the reason next to the buttons
    await pending.getByTestId('four-eyes').getByText('这项变更由您提出，须由另一位管理人员复核（双人复核），您不能批准或驳回。').waitFor();
    expect(await pending.getByRole('button', { name: '批准变更' }).isDisabled()).toBe(true);
    expect(await pending.getByRole('button', { name: '驳回…' }).isDisabled()).toBe(true);
    await check(one, 'retailer-pending');
  });

  it('a second admin approves it from the approvals queue; the retailer page shows the new details and version', async () => {
    await signIn(two, approver, '/admin', '补贴活动');
    await two.getByRole('link', { name: '待复核变更' }).click();
    await two.getByRole('heading', { level: 1, name: '待复核的收款账户变更' }).waitFor();
    const item = two.getByTestId('approval').filter({ hasText: `尾号 ${accountNumber.slice(-4)}` });
    await item.waitFor();
    expect(await item.getByTestId('four-eyes').count()).toBe(0);
    await check(two, 'queue');
    await item.getByRole('button', { name: '批准变更' }).click();
    await item.getByText('已批准：新的收款账户立即生效，下一个付款批次起使用。').waitFor();
    const [row] = await t.db.query(`SELECT payout_details_version, bank->>'accountNumberLast4' AS last4 FROM retailers WHERE id = $1`, [retailer.id]);
    expect(row).toEqual({ payout_details_version: 2, last4: accountNumber.slice(-4) });

    await item.getByRole('link').click();
    const card = two.getByTestId('payout-details');
    await card.getByTestId('current-details').getByText(`尾号 ${accountNumber.slice(-4)}`).waitFor();
    await card.getByText(/第 2 版，.* 起生效/).waitFor();
    expect(await two.getByTestId('pending-change').count()).toBe(0);
  });

  it('a second proposal is rejected with a reason by the other admin on the retailer page; the queue is empty again', async () => {
    await one.reload();
    const form = one.getByTestId('propose-form');
    await form.getByLabel('Stripe 账户（可选）').fill('acct_1BrowserFraud');
    await form.getByRole('button', { name: '提交变更，等待复核' }).click();
    await one.getByTestId('pending-change').getByText('Stripe 账户 acct_1BrowserFraud').waitFor();

    await two.reload();
    const pending = two.getByTestId('pending-change');
    await pending.getByText('Stripe 账户 acct_1BrowserFraud').waitFor();
    await pending.getByRole('button', { name: '驳回…' }).click();
    await pending.getByLabel('驳回原因（可选）').fill('已电话联系商户，商户未申请变更');
    await check(two, 'retailer-reject');
    await pending.getByRole('button', { name: '确认驳回' }).click();
    await two.getByText('已驳回：收款账户未变更。').waitFor();
    await two.getByTestId('propose-form').waitFor();
    const [row] = await t.db.query(`SELECT status, reason FROM payout_details_changes WHERE retailer_id = $1 AND stripe_account_id = 'acct_1BrowserFraud'`, [retailer.id]);
    expect(row).toEqual({ status: 'rejected', reason: '已电话联系商户，商户未申请变更' });

    await two.goto('/admin/payout-approvals');
    await two.getByText('没有待复核的变更。').waitFor();
  });

  it('the retailer is told on its payouts page that its payout details changed', async () => {
    const c = await newContext(browser, base, { device: DESKTOP });
    contexts.push(c.context);
    problems.push(c.problems);
    const page = c.page;
    await signIn(page, retailer.staff, '/till/payouts', '结算与对账单');
    const notice = page.getByTestId('payout-details-notice');
    await notice.getByText(`尾号 ${accountNumber.slice(-4)}`).waitFor();
    await notice.getByText(/收款账户已于 .* 变更（第 2 版）/).waitFor();
    expect(await page.content()).not.toContain(accountNumber);
    await check(page, 'till-payouts');
  });

  it('no console errors and no serious accessibility violations on any page', () => {
    for (const p of problems) expect(p.filter((x) => !/ERR_CONNECTION_RESET|Failed to fetch/.test(x))).toEqual([]);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
  });
});
