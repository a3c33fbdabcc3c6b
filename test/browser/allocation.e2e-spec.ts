/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { AuditSealer } from '@huanxin/audit-log';
import { addDays, shanghaiDate, shanghaiInstant } from '@huanxin/core';
import { LotteryService } from '@huanxin/vouchers';
import type { TestApp } from '../support/app';
import { AxeViolation, checkPage, DESKTOP, launchBrowser, newContext, PHONE, servePortal, signIn } from '../support/browser';
import type { Household } from '../support/factories';
import { Scenario } from '../support/scenario';

/**
 * The lottery and the waitlist in the portal (issue 13), in Chromium against the real API on real PostgreSQL (the
 * API's clock pinned to the entry day, then the draw): the admin sets a city to lottery with its window on the
 * programme page; a household on a phone enters tomorrow's draw, sees "entered", then "won" with its voucher or
 * "not drawn — in tomorrow's draw", and opens the public draw page; in a first-come city that sold out, a household
 * joins the waitlist and sees its place.
 */
describe('portal: lottery and waitlist pages in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let base: string;
  const D = addDays(shanghaiDate(new Date()), 1);
  const D1 = addDays(D, 1);
  const violations: Record<string, AxeViolation[]> = {};

  beforeAll(async () => {
    ({ t, base } = await servePortal());
    t.clock.set(shanghaiInstant(D, '09:00'));
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'], dailyVouchers: 1, releaseTime: '09:00' });
    browser = await launchBrowser();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    t.clock.set(undefined);
    await t?.close();
  });

  it('the admin sets a city to lottery with its entry window on the programme page', async () => {
    const { context, page, problems } = await newContext(browser, base, { device: DESKTOP });
    const admin = await t.make.admin();
    await page.goto(`/admin/programs/${s.programCode}`);
    await page.getByLabel('手机号或邮箱').fill(admin.email);
    await page.getByLabel('密码').fill(admin.password);
    await page.getByRole('button', { name: '登录' }).last().click();
    const form = page.locator('form[aria-labelledby="quota-h"]');
    await form.waitFor();
    await form.getByLabel('城市').selectOption('hangzhou');
    await form.getByLabel('每日补贴券数').fill('1');
    await form.getByLabel('每日发放时间').fill('10:00');
    await form.getByLabel('发放方式').selectOption('lottery');
    await form.getByLabel('报名开始（前一天）').fill('08:00');
    await form.getByLabel('报名截止').fill('20:00');
    violations.adminForm = await checkPage(page, 'allocation-admin-quota-form');
    await form.getByRole('button', { name: '保存名额' }).click();
    await page.getByTestId('quotas').getByText('抽签 · 报名 08:00–20:00').waitFor();
    const [q] = await t.db.query(`SELECT q.allocation, q.entry_opens, q.entry_closes, q.daily_vouchers FROM quotas q JOIN programs p ON p.id = q.program_id WHERE p.code = $1 AND q.city = 'hangzhou'`, [s.programCode]);
    expect(q).toEqual({ allocation: 'lottery', entry_opens: '08:00', entry_closes: '20:00', daily_vouchers: 1 });
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('a household enters tomorrow\'s draw on a phone, then sees its outcome and the public draw page', async () => {
    const h = await s.household('hangzhou');
    const rival: Household = await s.household('hangzhou');
    await t.http().post('/v1/household/lottery-entries').set(rival.auth).send({ programCode: s.programCode }).expect(201);
    const { context, page, problems } = await newContext(browser, base, { device: PHONE });
    await page.goto('/household');
    await signIn(page, h.phone, h.password, '我的补贴');
    const lottery = page.getByTestId('lottery');
    await lottery.getByText('杭州补贴券每日抽签发放').waitFor();
    violations.householdBefore = await checkPage(page, 'allocation-household-lottery-phone');
    await lottery.getByRole('button', { name: '报名参加明天的抽签' }).dblclick();
    await page.getByTestId('entry-entered').getByText(`已报名 ${D1} 的抽签`, { exact: false }).waitFor();
    expect(await lottery.getByRole('button', { name: '报名参加明天的抽签' }).count()).toBe(0);
    violations.householdEntered = await checkPage(page, 'allocation-household-entered-phone');
    expect((await t.db.query(`SELECT count(*)::int AS n FROM lottery_entries WHERE household_id = $1`, [h.id]))[0].n).toBe(1);

    // the window closes, a tree head is signed, the draw runs (quota 1, two entries)
    t.clock.set(new Date(shanghaiInstant(D, '20:00').getTime() + 1000));
    await t.app.get(LotteryService).closeWindows();
    await t.app.get(AuditSealer).sealAll();
    t.clock.set(shanghaiInstant(D1, '10:00'));
    expect(await t.app.get(LotteryService).runDueDraws()).toBe(1);

    await page.reload();
    const [mine] = (await t.http().get('/v1/household/lottery-entries').set(h.auth).expect(200)).body.items
      .filter((e: { drawDate: string }) => e.drawDate === D1);
    expect(['won', 'not_drawn']).toContain(mine.status);
    const outcome = mine.status === 'won' ? '已中签 — 补贴券已发放' : `未中签 — 已自动参加 ${addDays(D1, 1)} 的抽签`;
    await page.getByTestId(`entry-${mine.status}`).getByText(outcome).waitFor();
    // a winner's voucher is on the page (a loser holds none)
    await page.getByTestId('voucher').getByText(mine.voucherCode ?? 'no voucher').or(page.getByTestId('entry-not_drawn')).first().waitFor();
    violations.householdAfter = await checkPage(page, `allocation-household-${mine.status}-phone`);

    await page.getByTestId(`entry-${mine.status}`).getByRole('link', { name: '查看抽签结果与核验方法' }).click();
    const draw = page.getByTestId('draw');
    await draw.getByRole('heading', { name: '已开奖' }).waitFor();
    expect(await page.getByTestId('draw-entries').textContent()).toBe('2');
    expect(await page.getByTestId('draw-winners').textContent()).toBe('1');
    const exported = (await t.http().get(`/v1/public/programs/${s.programCode}/draws/hangzhou/${D1}`).expect(200)).body;
    expect(await page.getByTestId('draw-reveal').textContent()).toBe(exported.reveal);
    await draw.getByText('npm run draw:verify -- draw.json', { exact: false }).waitFor();
    violations.drawPage = await checkPage(page, 'allocation-public-draw-phone');
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('in a first-come city that sold out, a household joins the waitlist and sees its place', async () => {
    t.clock.set(shanghaiInstant(D1, '11:00'));
    await s.voucher(await s.household('ningbo'));
    const h = await s.household('ningbo');
    const { context, page, problems } = await newContext(browser, base, { device: PHONE, lang: 'en' });
    await page.goto('/household');
    await page.getByLabel('Phone or e-mail').fill(h.phone);
    await page.getByLabel('Password').fill(h.password);
    await page.getByRole('button', { name: 'Sign in' }).last().click();
    const waitlist = page.getByTestId('waitlist');
    await waitlist.getByRole('button', { name: 'Join the waitlist' }).click();
    await waitlist.getByText('On the waitlist: number 1').waitFor();
    violations.waitlist = await checkPage(page, 'allocation-household-waitlist-phone-en');
    expect((await t.db.query(`SELECT status FROM waitlist_entries WHERE household_id = $1`, [h.id]))).toEqual([{ status: 'waiting' }]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('every page passes axe (no serious or critical violation)', () => {
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
  });
});
