/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { exportJWK, generateKeyPair } from 'jose';
import { BankImportService, SETTLEMENT_ACTOR } from '@huanxin/settlement';
import type { TestApp } from '../support/app';
import { AxeViolation, checkPage, DESKTOP, launchBrowser, newContext, servePortal } from '../support/browser';
import { randomCreditCode, randomGtin, uniq } from '../support/ids';
import { Scenario } from '../support/scenario';
import { approvedClaim, approvedClaims, drain, pain002, setBank, yuan as yuanText } from '../support/settlement';

/** Fen as the portal shows them: `¥1,234,567.89`. */
const shown = (fen: number) => `¥${Math.floor(fen / 100).toLocaleString('en-US')}.${String(fen % 100).padStart(2, '0')}`;

/**
 * The programme office's pages in Chromium on a desktop, against the real API on real PostgreSQL: sign in as an
 * admin; a programme created (a duplicate code refused in Chinese), a budget granted in yuan and shown to the fen, a
 * daily quota, a policy version previewed in the page and published; a retailer certified with stores, a cashier
 * account and a POS API key shown once; a recycler with a signing key (a private key refused before sending), an
 * API key and decertification; a catalogue model added and approved; an auditor account; then a payout run started
 * from the page, followed through the bank file and the bank's answer, and reconciled with its difference listed.
 */
describe('portal: the programme office in a real browser (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let admin: { email: string; password: string; auth: { Authorization: string } };
  const violations: Record<string, AxeViolation[]> = {};
  const check = async (name: string) => {
    violations[name] = await checkPage(page, `admin-${name}`);
  };
  const region = (name: string) => page.getByRole('region', { name, exact: true });
  const api = (path: string) => t.http().get(path).set(admin.auth);

  beforeAll(async () => {
    let base: string;
    ({ t, base } = await servePortal());
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    admin = await t.make.admin();
    browser = await launchBrowser();
    ({ context, page, problems } = await newContext(browser, base, { device: DESKTOP }));
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  }, 240_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it('signs in and runs a programme: a duplicate refused, a budget in yuan, a quota, a policy version previewed and published', async () => {
    await page.goto('/admin');
    await page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
    await page.getByLabel('手机号或邮箱').fill(admin.email);
    await page.getByLabel('密码').fill(admin.password);
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.getByRole('heading', { level: 1, name: '补贴活动' }).waitFor();
    await page.getByRole('link', { name: s.programCode }).waitFor();
    await check('programs');

    // the scenario's code again: refused, in Chinese, with the code kept for the reader to change
    const create = region('创建补贴活动');
    await create.getByLabel('活动代码').fill(s.programCode);
    await create.getByLabel('活动名称').fill('浙江省 4K/8K 电视以旧换新（测试）');
    await create.getByRole('button', { name: '创建活动' }).click();
    const refusal = create.getByRole('alert');
    await refusal.getByText('该记录已存在').waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('duplicate');
    await check('programs-duplicate');

    const code = `zj-${uniq().toLowerCase()}`;
    await create.getByLabel('活动代码').fill(code);
    await create.getByRole('button', { name: '创建活动' }).click();
    await page.getByRole('heading', { level: 1, name: '补贴活动：浙江省 4K/8K 电视以旧换新（测试）' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/programs/${code}`);
    await page.getByText('尚未向任何城市拨付预算。').waitFor();

    // a budget typed in yuan with separators: sent as integer fen, shown to the fen
    const budgets = region('各市预算');
    await budgets.getByLabel('城市').selectOption('ningbo');
    await budgets.getByLabel('拨付金额（元）').fill('1,234,567.89');
    await budgets.getByText('即 ¥1,234,567.89').waitFor();
    await budgets.getByLabel('备注（可选）').fill('第一批');
    await budgets.getByRole('button', { name: '拨付' }).click();
    await budgets.getByText('已向宁波拨付 ¥1,234,567.89').waitFor();
    const ningbo = budgets.getByRole('row', { name: /宁波/ });
    await ningbo.getByRole('cell', { name: '¥1,234,567.89' }).first().waitFor();
    expect((await api(`/v1/admin/programs/${code}`).expect(200)).body.budgets).toEqual([expect.objectContaining({ city: 'ningbo', grantedFen: 123456789, availableFen: 123456789 })]);
    // a grant whose answer is lost on the way back: the retry (a double click) sends the same Idempotency-Key once,
    // and the city is granted once
    const keys: string[] = [];
    let drop = true;
    await page.route('**/v1/admin/programs/*/budgets', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      const answer = await route.fetch();
      if (drop) {
        drop = false;
        await route.abort('connectionreset');
      } else await route.fulfill({ response: answer });
    });
    await budgets.getByLabel('城市').selectOption('hangzhou');
    await budgets.getByLabel('拨付金额（元）').fill('500');
    await budgets.getByRole('button', { name: '拨付' }).click();
    await budgets.getByRole('alert').getByText('网络连接中断，请检查网络后重试').waitFor();
    await budgets.getByRole('button', { name: '拨付' }).dblclick();
    await budgets.getByText('已向杭州拨付 ¥500.00').waitFor();
    await page.unroute('**/v1/admin/programs/*/budgets');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    await budgets.getByRole('row', { name: /杭州/ }).getByRole('cell', { name: '¥500.00' }).first().waitFor();
    const granted = (await api(`/v1/admin/programs/${code}`).expect(200)).body.budgets;
    expect(granted).toEqual(expect.arrayContaining([expect.objectContaining({ city: 'hangzhou', grantedFen: 50000 })]));
    await budgets.getByLabel('拨付金额（元）').fill('12.345');
    await budgets.getByText('请输入正确的金额（元，最多两位小数）').waitFor();
    expect(await budgets.getByRole('button', { name: '拨付' }).isDisabled()).toBe(true);
    await budgets.getByLabel('拨付金额（元）').fill('');

    const quotas = region('每日名额');
    await quotas.getByLabel('城市').selectOption('ningbo');
    await quotas.getByLabel('每日补贴券数').fill('200');
    await quotas.getByLabel('每日发放时间').fill('09:30');
    await quotas.getByRole('button', { name: '保存名额' }).click();
    await quotas.getByText('宁波：每天 09:30 发放 200 张').waitFor();
    await quotas.getByRole('row', { name: /宁波/ }).getByRole('cell', { name: '200' }).waitFor();
    await check('program');

    // a new version: 18% for grade 1, capped at 1,500 yuan; the preview first, then publish
    const publish = region('发布新政策版本');
    expect(await publish.getByRole('button', { name: '发布政策版本' }).isDisabled()).toBe(true);
    await publish.getByLabel('1 级能效补贴比例（%）').fill('18');
    await publish.getByLabel('每台补贴上限（元）').fill('1500');
    await publish.getByLabel('1 级能效补贴比例（%）').fill('18.x');
    await publish.getByText('请输入百分比，最多两位小数').waitFor();
    expect(await publish.getByRole('button', { name: '预览补贴' }).isDisabled()).toBe(true);
    await publish.getByLabel('1 级能效补贴比例（%）').fill('18');
    await publish.getByRole('button', { name: '预览补贴' }).click();
    const preview = publish.getByTestId('policy-preview');
    await preview.getByText('这只是预览：按上面的规则在本页计算，尚未发布，不会改变任何数据。').waitFor();
    await preview.getByLabel('预览成交价（元）').fill('5999, 12999, 3299.99');
    // 5,999.00 × 18% = 1,079.82; 12,999.00 × 18% = 2,339.82 → capped at 1,500.00; 3,299.99 × 15% = 494.9985 → 495.00
    const row = (price: string, kind: string) => preview.getByRole('row', { name: new RegExp(`^${price.replace(/[.$]/g, '\\$&')} ${kind}`) });
    expect(await row('¥5,999.00', '4K · 1 级能效').getByRole('cell').allTextContents()).toEqual(['¥5,999.00', '4K · 1 级能效', '18%', '¥1,500.00', '¥1,079.82', '¥4,919.18']);
    expect(await row('¥12,999.00', '8K · 1 级能效').getByRole('cell').allTextContents()).toEqual(['¥12,999.00', '8K · 1 级能效', '18%', '¥1,500.00', '¥1,500.00 (已封顶)', '¥11,499.00']);
    expect(await row('¥3,299.99', '4K · 2 级能效').getByRole('cell').allTextContents()).toEqual(['¥3,299.99', '4K · 2 级能效', '15%', '¥1,500.00', '¥495.00', '¥2,804.99']);
    await check('program-preview');
    // the same rules as JSON
    await publish.getByRole('radio', { name: 'JSON' }).check();
    const json = JSON.parse(await publish.getByLabel('政策规则（JSON）').inputValue());
    expect(json).toMatchObject({ rates: [{ energyGrade: 1, rateBp: 1800 }, { energyGrade: 2, rateBp: 1500 }], capFen: 150000 });
    await publish.getByLabel('政策规则（JSON）').fill('{"capFen": 1');
    await publish.getByText(/^不是有效的 JSON/).waitFor();
    await publish.getByLabel('政策规则（JSON）').fill(JSON.stringify({ ...json, capfen: 1 }));
    await publish.getByRole('alert').getByText('rules.capfen').waitFor();
    await publish.getByLabel('政策规则（JSON）').fill(JSON.stringify(json, null, 2));
    await publish.getByRole('radio', { name: '表单' }).check();
    expect(await publish.getByLabel('每台补贴上限（元）').inputValue()).toBe('1500.00');
    await publish.getByRole('button', { name: '发布政策版本' }).click();
    await publish.getByText(/^已发布第 2 版，/).waitFor();
    await region('政策版本').getByRole('row', { name: /^2 / }).waitFor();
    const versions = (await api(`/v1/admin/programs/${code}`).expect(200)).body.policyVersions;
    expect(versions).toHaveLength(2);
    expect(versions[1].rules).toMatchObject({ rates: [{ energyGrade: 1, rateBp: 1800 }, { energyGrade: 2, rateBp: 1500 }], capFen: 150000 });
    await check('program-published');

    await page.getByRole('link', { name: '← 返回全部活动' }).click();
    await page.getByRole('link', { name: code }).waitFor();
  }, 180_000);

  let retailerKey = '';

  it('certifies a retailer with stores, a cashier and a POS key shown once; suspends and reinstates it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: '企业认证' }).click();
    await page.getByRole('heading', { level: 1, name: '企业认证' }).waitFor();
    await check('organisations');
    const form = region('认证新商户');
    const name = `杭州测试电器 ${uniq()}`;
    await form.getByLabel('企业名称').fill(name);
    await form.getByLabel('统一社会信用代码').fill(randomCreditCode());
    await form.getByLabel('门店 1 编号').fill('HZ-001');
    await form.getByLabel('门店 1 名称').fill('西湖银泰店');
    await form.getByRole('button', { name: '添加门店' }).click();
    await form.getByLabel('门店 2 编号').fill('NB-001');
    await form.getByLabel('门店 2 名称').fill('宁波天一店');
    await form.getByLabel('门店 2 所在城市').selectOption('ningbo');
    await form.getByRole('button', { name: '认证商户' }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByTestId('stores').getByRole('row', { name: /NB-001 宁波天一店 宁波/ }).waitFor();

    const stores = region('门店');
    await stores.getByLabel('门店编号').fill('HZ-002');
    await stores.getByLabel('门店名称').fill('湖滨店');
    await stores.getByRole('button', { name: '添加门店' }).click();
    await stores.getByText('已添加门店 HZ-002').waitFor();
    await page.getByTestId('stores').getByRole('row', { name: /HZ-002 湖滨店 杭州/ }).waitFor();

    const staff = region('收银员账号');
    const email = `till-${uniq().toLowerCase()}@shop.example.cn`;
    await staff.getByLabel('邮箱').fill(email);
    await staff.getByLabel('姓名').fill('王五');
    await staff.getByLabel('初始密码').fill('till-password-1');
    await staff.getByRole('button', { name: '创建收银员账号' }).click();
    await staff.getByText(`已创建账号 ${email}`).waitFor();
    await t.make.login(email, 'till-password-1');

    // the key is shown this once, with the warning and a copy button; it works; once stored it is gone from the page
    const keys = region('POS 系统 API 密钥');
    await keys.getByRole('button', { name: '发放新密钥' }).click();
    const secret = keys.getByTestId('secret-once');
    await secret.getByText('密钥只显示这一次。请立即复制并妥善保存；离开本页后无法再次查看。').waitFor();
    retailerKey = (await secret.locator('code').textContent())!;
    expect(retailerKey.length).toBeGreaterThan(20);
    await secret.getByRole('button', { name: '复制密钥' }).click();
    await secret.getByText('已复制到剪贴板').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(retailerKey);
    await t.http().get('/v1/retailer/stores').set('X-Api-Key', retailerKey).expect(200);
    await check('retailer-key');
    await secret.getByRole('button', { name: '我已保存密钥' }).click();
    await keys.getByTestId('secret-once').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(retailerKey);

    // suspend (asked first, with a reason), then reinstate
    const status = region('暂停或恢复');
    expect(await status.getByRole('button', { name: '暂停商户' }).isDisabled()).toBe(true);
    await status.getByLabel('原因').fill('发票异常，核查中');
    await status.getByRole('button', { name: '暂停商户' }).click();
    await status.getByText(`确定暂停“${name}”吗？暂停后其门店的以旧换新申请会被拒绝，付款暂缓。`).waitFor();
    await status.getByRole('button', { name: '确认' }).click();
    await page.getByText('已暂停 发票异常，核查中').waitFor();
    expect((await api(`/v1/admin/retailers/${id}`).expect(200)).body).toMatchObject({ status: 'suspended', statusReason: '发票异常，核查中' });
    await status.getByLabel('原因').fill('核查完毕');
    await status.getByRole('button', { name: '恢复商户' }).click();
    await status.getByRole('button', { name: '确认' }).click();
    await page.getByText('正常 核查完毕').waitFor();
    await check('retailer');
    expect((await api(`/v1/admin/retailers/${id}`).expect(200)).body.stores.map((x: { code: string }) => x.code).sort()).toEqual(['HZ-001', 'HZ-002', 'NB-001']);
  }, 120_000);

  it('certifies a recycler: a public signing key (a private one never sent), retired on confirmation; an API key; decertified', async () => {
    await page.getByRole('link', { name: '← 返回企业认证' }).click();
    const section = region('回收企业');
    const name = `绍兴测试回收 ${uniq()}`;
    await section.getByLabel('回收企业名称').fill(name);
    await section.getByLabel('回收企业统一社会信用代码').fill(randomCreditCode());
    await section.getByRole('button', { name: '认证回收企业' }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;

    const signing = region('回收凭证签名密钥');
    await signing.getByText('尚未登记签名密钥。').waitFor();
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const priv = await exportJWK(privateKey);
    const { kty, crv, x } = await exportJWK(publicKey);
    const kid = `k-${uniq().toLowerCase()}`;
    await signing.getByLabel('密钥编号（kid）').fill(kid);
    await signing.getByLabel('公钥（JWK）').fill(JSON.stringify(priv));
    await signing.getByText(/^这是私钥（含 "d"），不会发送。/).waitFor();
    expect(await signing.getByRole('button', { name: '登记公钥' }).isDisabled()).toBe(true);
    await signing.getByLabel('公钥（JWK）').fill(JSON.stringify({ kty, crv, x }));
    await signing.getByRole('button', { name: '登记公钥' }).click();
    await signing.getByText(`已登记密钥 ${kid}`).waitFor();
    await signing.getByRole('row', { name: new RegExp(`${kid} .* 使用中`) }).waitFor();
    expect(JSON.stringify((await api(`/v1/admin/recyclers/${id}`).expect(200)).body)).not.toContain(priv.d!);

    await signing.getByRole('button', { name: `停用 ${kid}` }).click();
    await signing.getByText(`确定停用密钥 ${kid} 吗？此前签发的凭证仍然有效。`).waitFor();
    await check('recycler-confirm');
    await signing.getByRole('button', { name: '确认' }).click();
    await signing.getByText(`密钥 ${kid} 已停用`).waitFor();
    await signing.getByRole('row', { name: new RegExp(`${kid} .* 已停用`) }).waitFor();

    const keys = region('系统 API 密钥');
    await keys.getByRole('button', { name: '发放新密钥' }).click();
    const key = (await keys.getByTestId('secret-once').locator('code').textContent())!;
    await t.http().get('/v1/recycler/receipts/revoked').set('X-Api-Key', key).expect(200);
    await keys.getByRole('button', { name: '我已保存密钥' }).click();
    await keys.getByRole('button', { name: '吊销' }).click();
    await keys.getByRole('button', { name: '确认' }).click();
    await keys.getByText(/^已于 .* 吊销$/).waitFor();
    await t.http().get('/v1/recycler/receipts/revoked').set('X-Api-Key', key).expect(401);

    const status = region('撤销或恢复认证');
    await status.getByLabel('原因').fill('资质到期');
    await status.getByRole('button', { name: '撤销认证' }).click();
    await status.getByRole('button', { name: '确认' }).click();
    await page.getByText('已撤销认证', { exact: true }).waitFor();
    expect((await api(`/v1/admin/recyclers/${id}`).expect(200)).body.status).toBe('decertified');
    await check('recycler');

    // listed, decertified, and opened again from the list
    await page.getByRole('link', { name: '← 返回企业认证' }).click();
    const listed = page.getByTestId('recyclers').getByRole('row').filter({ hasText: name });
    await listed.getByText('已撤销认证').waitFor();
    await listed.getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }, 120_000);

  it('adds a catalogue model and approves it; creates an auditor account', async () => {
    await page.getByRole('navigation').getByRole('link', { name: '型号目录' }).click();
    await page.getByRole('heading', { level: 1, name: '型号目录' }).waitFor();
    const add = region('添加型号');
    const code = `HS-${uniq()}`.toUpperCase();
    const gtin = randomGtin();
    await add.getByLabel('型号代码').fill(code);
    await add.getByLabel('GTIN (EAN-13)').fill(gtin.slice(0, 12) + ((Number(gtin[12]) + 1) % 10));
    await add.getByText('EAN-13 校验位不正确').waitFor();
    await add.getByLabel('GTIN (EAN-13)').fill(gtin);
    await add.getByText('校验通过').waitFor();
    await add.getByLabel('品牌').fill('海信');
    await add.getByLabel('型号名称').fill('星光 65 英寸 4K');
    await add.getByLabel('屏幕尺寸（英寸）').fill('65');
    await add.getByLabel('参考价（元）').fill('4,999.50');
    await add.getByRole('button', { name: '添加型号' }).click();
    await add.getByText(`已添加型号 ${code}，待批准`).waitFor();
    const models = page.getByTestId('models');
    const modelRow = models.getByRole('row', { name: new RegExp(code) });
    await modelRow.getByText('待审批').waitFor();
    await modelRow.getByText('¥4,999.50').waitFor();
    await page.getByLabel('状态').selectOption('pending');
    await modelRow.waitFor();
    await check('catalog');
    await modelRow.getByRole('button', { name: `批准 ${code}` }).click();
    await page.getByText(`已批准型号 ${code}`).waitFor();
    await modelRow.waitFor({ state: 'detached' });
    await page.getByLabel('状态').selectOption('approved');
    await models.getByRole('row', { name: new RegExp(code) }).getByText('已批准').waitFor();
    expect((await api(`/v1/admin/catalog/models/${code}`).expect(200)).body).toMatchObject({ status: 'approved', referencePriceFen: 499950, gtin });

    await page.getByRole('navigation').getByRole('link', { name: '工作人员' }).click();
    await page.getByRole('heading', { level: 1, name: '工作人员账号' }).waitFor();
    const email = `auditor-${uniq().toLowerCase()}@zj.gov.cn`;
    await page.getByLabel('角色', { exact: true }).selectOption('auditor');
    await page.getByLabel('邮箱').fill(email);
    await page.getByLabel('姓名').fill('李审核');
    await page.getByLabel('初始密码').fill('short');
    await page.getByRole('button', { name: '创建账号' }).click();
    const refused = page.getByRole('alert');
    await refused.getByText('填写内容有误，请检查').waitFor();
    await refused.getByText('password', { exact: true }).waitFor();
    await page.getByLabel('初始密码').fill('auditor-password-1');
    await page.getByRole('button', { name: '创建账号' }).click();
    await page.getByText(`已创建账号 ${email}`).waitFor();
    await page.getByTestId('created-users').getByText('审核员').waitFor();
    // and in the list of every staff account
    await page.getByTestId('staff').getByRole('row').filter({ hasText: email }).getByText('审核员').waitFor();
    await check('users');
    const me = await t.http().post('/v1/auth/login').send({ username: email, password: 'auditor-password-1' }).expect(200);
    expect(me.body.role).toBe('auditor');
  }, 120_000);

  it('starts a payout run from the page after a confirmation, follows it through the bank, reconciles it; in English once', async () => {
    await setBank(t, s.retailer.id);
    const other = await t.make.retailer({ city: 'hangzhou', stores: [{ code: 'HZ-7', city: 'hangzhou' }] });
    await setBank(t, other.id);
    const ours = await approvedClaims(s, 2);
    const theirs = await approvedClaim(s, { retailer: other });
    const oursFen = ours.reduce((a, c) => a + c.amountFen, 0);

    await page.getByRole('navigation').getByRole('link', { name: '付款批次' }).click();
    await page.getByRole('heading', { level: 1, name: '付款批次' }).waitFor();
    await page.getByText('暂无记录').waitFor();
    const start = region('发起付款批次');
    await start.getByLabel('补贴活动').selectOption(s.programCode);
    await start.getByRole('button', { name: '发起付款批次' }).click();
    await start.getByText(`确定为活动 ${s.programCode} 发起付款批次吗？所有已通过的申请都将进入付款。`).waitFor();
    await check('runs-confirm');
    await start.getByRole('button', { name: '确认发起' }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^付款批次：${s.programCode}，`) }).waitFor();
    const runId = new URL(page.url()).pathname.split('/').pop()!;
    const summary = page.getByTestId('run-summary');
    await summary.getByText('已创建').waitFor();
    const fact = (term: string) => summary.getByText(term, { exact: true }).locator('xpath=following-sibling::dd[1]').textContent();
    expect(await fact('付款总额')).toBe(shown(oursFen + theirs.amountFen));
    expect(await fact('申请金额')).toBe(shown(oursFen + theirs.amountFen));
    expect(await fact('付款笔数')).toBe('2');
    expect(await fact('申请数')).toBe('3');
    const payouts = page.getByTestId('payouts');
    expect(await payouts.getByRole('row').count()).toBe(3);
    expect(await payouts.getByText('待发送').count()).toBe(2);
    await check('run-created');

    // the worker writes the bank file; the page follows on refresh
    await drain(t);
    await page.getByRole('button', { name: '刷新' }).click();
    await summary.getByText('已完成').waitFor();
    expect(await payouts.getByText('已发送').count()).toBe(2);

    // the bank's answer: ours settled, theirs reported for a different amount (kept open, a difference)
    const run = (await api(`/v1/admin/payout-runs/${runId}`).expect(200)).body;
    const ref = (retailerId: string) => run.payouts.find((p: { retailerId: string }) => p.retailerId === retailerId).reference;
    const file = await t.db.query(`SELECT message_id FROM payout_bank_files WHERE run_id = $1`, [runId]);
    await t.app.get(BankImportService).importFile(SETTLEMENT_ACTOR, `status-${runId}.xml`, Buffer.from(pain002(file[0].message_id, [
      { endToEndId: ref(s.retailer.id), status: 'ACSC', amount: yuanText(oursFen) },
      { endToEndId: ref(other.id), status: 'ACSC', amount: yuanText(theirs.amountFen + 100) },
    ]), 'utf8'));
    await page.getByRole('button', { name: '刷新' }).click();
    await payouts.getByText('已付款').waitFor();
    expect(await payouts.getByText('已发送').count()).toBe(1);

    const recon = region('对账');
    await recon.getByRole('button', { name: '核对本批次' }).click();
    const result = recon.getByTestId('reconciliation');
    await result.getByText('存在差异').waitFor();
    await result.getByText('差异（1）').waitFor();
    const mismatch = result.getByTestId('mismatches').getByRole('row', { name: /金额不符/ });
    await mismatch.getByRole('link', { name: other.id.slice(0, 8) }).waitFor();
    await mismatch.getByText(`the gateway reports ${theirs.amountFen + 100} fen paid, the payout is for ${theirs.amountFen} fen`).waitFor();
    expect(await result.getByText('相符笔数').locator('xpath=following-sibling::dd[1]').textContent()).toBe('1');
    await check('run-reconciled');

    // the list, from GET /v1/admin/payout-runs
    await page.getByRole('link', { name: '← 返回全部批次' }).click();
    const runs = page.getByTestId('runs');
    const listed = runs.getByRole('row').nth(1);
    await listed.waitFor();
    expect(await listed.getByRole('cell').allTextContents()).toEqual([
      expect.any(String), s.programCode, '已完成', '人工发起', '2', '3', shown(oursFen + theirs.amountFen),
      '已付款 1 · 已发送 1', '0',
    ]);
    await page.getByLabel('按活动筛选').selectOption(s.programCode);
    await runs.getByRole('row').nth(1).waitFor();
    await check('runs');

    // English once
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Payout runs' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await runs.getByRole('row').nth(1).getByRole('cell').nth(7).textContent()).toBe('Paid 1 · Sent 1');
    await runs.getByRole('link').first().click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^Payout run: ${s.programCode}, `) }).waitFor();
    await page.getByRole('button', { name: 'Reconcile this run' }).click();
    await page.getByText('Differences found').waitFor();
    await page.getByRole('cell', { name: 'Amounts differ' }).waitFor();
    await check('run-en');
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^付款批次：${s.programCode}，`) }).waitFor();

    // the one dropped answer is the only console error: Chromium logs the reset connection
    expect(problems.filter((p) => !/ERR_CONNECTION_RESET|Failed to fetch/.test(p))).toEqual([]);
    expect(problems.length).toBeLessThanOrEqual(2);
    for (const [name, v] of Object.entries(violations)) expect({ name, v }).toEqual({ name, v: [] });
  }, 180_000);
});
