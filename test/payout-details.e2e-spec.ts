import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { Scenario } from './support/scenario';
import { approvedClaims, drain } from './support/settlement';

/**
 * Payout details changed by four eyes (issue 13): POST /v1/admin/retailers/{id}/payout-details proposes, another
 * admin approves or rejects (POST /v1/admin/payout-details-changes/{id}/approve · /reject), the queue lists them,
 * and the bank file of a payout run pays the details in force when the run was written. The secrets sweep of the
 * test app (every accountNumber sent is searched for in every table and log line) runs when the file closes.
 */
describe('payout details changed by four eyes (e2e)', () => {
  let t: TestApp;
  let proposer: SignedIn;
  let approver: SignedIn;
  const fileDir = mkdtempSync(join(tmpdir(), 'huanxin-payout-details-files-'));
  let seq = 0;
  /** a fresh account number each call (8-32 digits), unlike any other in this file */
  const accountNumber = () => `6222${String(Date.now()).slice(-9)}${String(++seq).padStart(4, '0')}`;
  const bank = (n = accountNumber()) => ({ accountName: '杭州测试电器有限公司', accountNumber: n, bankCode: '102331000010' });

  beforeAll(async () => {
    t = await startTestApp({
      PAYOUT_FILE_DIR: fileDir, BANK_DEBTOR_NAME: '浙江省商务厅 以旧换新专户', BANK_DEBTOR_ACCOUNT: '3301040160000123456', BANK_DEBTOR_BIC: 'ICBKCNBJZJP',
    });
    proposer = await t.make.admin();
    approver = await t.make.admin();
  }, 240_000);
  afterAll(async () => {
    await t.close();
    rmSync(fileDir, { recursive: true, force: true });
  });

  const propose = (retailerId: string, body: object, who: SignedIn = proposer) =>
    t.http().post(`/v1/admin/retailers/${retailerId}/payout-details`).set(who.auth).send(body);
  const approve = (changeId: string, who: SignedIn = approver) => t.http().post(`/v1/admin/payout-details-changes/${changeId}/approve`).set(who.auth).send();
  const reject = (changeId: string, body: object = {}, who: SignedIn = approver) =>
    t.http().post(`/v1/admin/payout-details-changes/${changeId}/reject`).set(who.auth).send(body);
  const retailerView = async (id: string) => (await t.http().get(`/v1/admin/retailers/${id}`).set(approver.auth).expect(200)).body;
  const events = async (action: string, changeId: string) =>
    t.db.query(`SELECT actor, details FROM audit_events WHERE action = $1 AND details->>'changeId' = $2`, [action, changeId]);

  it('a proposal changes nothing yet: 201 pending_approval, the retailer as it was with the change shown, the account sealed and audited masked', async () => {
    const r = await t.make.retailer();
    const before = await retailerView(r.id);
    expect(before.payout).toEqual({ stripeAccountId: null, bank: null, version: 1, changedAt: null });
    expect(before.pendingPayoutChange).toBeNull();
    const account = bank();

    const res = await propose(r.id, { bank: account, stripeAccountId: 'acct_1NewAccount01' }).expect(201);
    expect(res.body).toEqual({ changeId: expect.any(String), status: 'pending_approval' });
    const { changeId } = res.body;

    const view = await retailerView(r.id);
    expect(view.payout).toEqual(before.payout);
    expect(view.pendingPayoutChange).toMatchObject({
      changeId, retailerId: r.id, status: 'pending_approval', proposedBy: proposer.id, proposedByYou: false, decidedAt: null, version: null,
      previous: { stripeAccountId: null, bank: null },
      proposed: { stripeAccountId: 'acct_1NewAccount01', bank: { accountName: account.accountName, accountNumberLast4: account.accountNumber.slice(-4), bankCode: account.bankCode } },
    });
    expect(JSON.stringify(view)).not.toContain(account.accountNumber);
    // the proposer's own view says it may not decide
    const mine = await t.http().get(`/v1/admin/payout-details-changes/${changeId}`).set(proposer.auth).expect(200);
    expect(mine.body.proposedByYou).toBe(true);
    // stored: sealed, bound to the retailer, its last four in clear
    const [row] = await t.db.query(`SELECT status, bank, stripe_account_id FROM payout_details_changes WHERE id = $1`, [changeId]);
    expect(row).toMatchObject({ status: 'pending_approval', stripe_account_id: 'acct_1NewAccount01', bank: { accountNumberLast4: account.accountNumber.slice(-4) } });
    expect(JSON.stringify(row)).not.toContain(account.accountNumber);
    const [db] = await t.db.query(`SELECT stripe_account_id, bank, payout_details_version FROM retailers WHERE id = $1`, [r.id]);
    expect(db).toEqual({ stripe_account_id: null, bank: null, payout_details_version: 1 });
    // the audit event: who, which change, the account masked
    const [ev] = await events('retailer.payout_details_proposed', changeId);
    expect(ev.actor).toMatchObject({ id: proposer.id, role: 'admin' });
    expect(ev.details).toEqual({
      changeId, stripeAccountId: 'acct_1NewAccount01', bank: { accountNumberLast4: account.accountNumber.slice(-4), bankCode: account.bankCode }, currentVersion: 1,
    });
  });

  it('refuses bad proposals with a code and changes nothing; one pending change a retailer (409 payout_details_change_pending)', async () => {
    const r = await t.make.retailer();
    const bad: [object, string][] = [
      [{}, 'stripeAccountId'],
      [{ stripeAccountId: 'not-an-account' }, 'stripeAccountId'],
      [{ bank: { ...bank(), accountNumber: '12ab' } }, 'bank.accountNumber'],
      [{ bank: { accountName: '某某', bankCode: '102331000010' } }, 'bank.accountNumber'],
      [{ bank: { ...bank(), bankCode: '!' } }, 'bank.bankCode'],
      [{ stripeAccountId: 'acct_1Ok', iban: 'x' }, 'iban'],
      [{ bank: 'x' }, 'bank'],
    ];
    for (const [body, field] of bad) {
      const res = await propose(r.id, body).expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field).join(' ')).toContain(field);
    }
    await propose('00000000-0000-4000-8000-000000000000', { stripeAccountId: 'acct_1Ok' }).expect(404).expect((x) => expect(x.body.code).toBe('not_found'));
    await propose('not-an-id', { stripeAccountId: 'acct_1Ok' }).expect(404);
    const auditor = await t.make.auditor();
    expect((await propose(r.id, { stripeAccountId: 'acct_1Ok' }, auditor).expect(403)).body.code).toBe('forbidden');
    await t.http().post(`/v1/admin/retailers/${r.id}/payout-details`).set(r.auth).send({ stripeAccountId: 'acct_1Ok' }).expect(403);
    await t.http().post(`/v1/admin/retailers/${r.id}/payout-details`).send({ stripeAccountId: 'acct_1Ok' }).expect(401);
    expect(await t.db.query(`SELECT id FROM payout_details_changes WHERE retailer_id = $1`, [r.id])).toEqual([]);

    const first = await propose(r.id, { stripeAccountId: 'acct_1First' }).expect(201);
    // a second proposal, by anyone, while the first waits
    for (const who of [proposer, approver]) {
      const again = await propose(r.id, { bank: bank() }, who).expect(409);
      expect(again.body).toMatchObject({ code: 'payout_details_change_pending', status: 409 });
    }
    expect(await t.db.query(`SELECT id FROM payout_details_changes WHERE retailer_id = $1`, [r.id])).toEqual([{ id: first.body.changeId }]);
    // once decided, the next may be proposed
    await reject(first.body.changeId).expect(200);
    await propose(r.id, { stripeAccountId: 'acct_1Second' }).expect(201);
  });

  it("an admin of the proposer's lineage may not approve, made before the proposal or not: one it made, one made by that one, the one that made it (403 four_eyes_required); a sibling may", async () => {
    let n = 0;
    /** an admin account made through POST /v1/admin/users by `maker`, signed in */
    const madeBy = async (maker: SignedIn): Promise<SignedIn> => {
      const email = `lineage-${Date.now()}-${++n}@example.gov.cn`;
      const password = `pw-lineage-${n}-secret`;
      const made = await t.http().post('/v1/admin/users').set(maker.auth).send({ email, password, name: `管理员 ${n}`, role: 'admin' }).expect(201);
      const { token, refreshToken } = await t.make.login(email, password);
      return { id: made.body.id, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
    };
    const root = await t.make.admin();
    const child = await madeBy(root);
    const grandchild = await madeBy(child);
    const sibling = await madeBy(root);
    const [row] = await t.db.query(`SELECT created_by FROM users WHERE id = $1`, [grandchild.id]);
    expect(row.created_by).toBe(child.id);

    const r = await t.make.retailer();
    const { changeId } = (await propose(r.id, { stripeAccountId: 'acct_1Lineage' }, child).expect(201)).body;
    for (const who of [grandchild, root]) {
      const res = await approve(changeId, who);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('four_eyes_required');
    }
    expect((await t.db.query(`SELECT status FROM payout_details_changes WHERE id = $1`, [changeId]))[0].status).toBe('pending_approval');
    expect((await retailerView(r.id)).payout.stripeAccountId).toBeNull();
    // made by the same admin, neither made the other: two people
    const ok = await approve(changeId, sibling).expect(200);
    expect(ok.body).toMatchObject({ changeId, status: 'approved', decidedBy: sibling.id, proposedBy: child.id });
    // a lineage may still reject (a refusal moves no money)
    const second = (await propose(r.id, { stripeAccountId: 'acct_1Lineage2' }, root).expect(201)).body.changeId;
    expect((await approve(second, grandchild)).body.code).toBe('four_eyes_required');
    await reject(second, { reason: '账户不符' }, grandchild).expect(200);
  });

  it('the proposer may not decide (403 four_eyes_required); another admin approves: applied at once, version 2, audited; decided is 409 change_already_decided', async () => {
    const r = await t.make.retailer();
    const first = bank();
    const { changeId } = (await propose(r.id, { bank: first }).expect(201)).body;

    for (const res of [await approve(changeId, proposer), await reject(changeId, { reason: 'mine' }, proposer)]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('four_eyes_required');
    }
    const auditor = await t.make.auditor();
    expect((await approve(changeId, auditor)).status).toBe(403);
    // an admin account made after the proposal is no second pair of eyes (the proposer could have made it)
    const puppet = await approve(changeId, await t.make.admin());
    expect(puppet.status).toBe(403);
    expect(puppet.body.code).toBe('four_eyes_required');
    expect((await t.db.query(`SELECT status FROM payout_details_changes WHERE id = $1`, [changeId]))[0].status).toBe('pending_approval');
    expect((await retailerView(r.id)).payout.bank).toBeNull();

    const ok = await approve(changeId).expect(200);
    expect(ok.body).toMatchObject({
      changeId, status: 'approved', version: 2, decidedBy: approver.id, proposedBy: proposer.id, proposedByYou: false,
      proposedByName: expect.stringContaining('admin'), decidedByName: expect.stringContaining('admin'),
      previous: { stripeAccountId: null, bank: null },
      proposed: { bank: { accountNumberLast4: first.accountNumber.slice(-4) } },
    });
    const view = await retailerView(r.id);
    expect(view.payout).toMatchObject({ stripeAccountId: null, version: 2, bank: { accountName: first.accountName, accountNumberLast4: first.accountNumber.slice(-4), bankCode: first.bankCode } });
    expect(view.payout.changedAt).toMatch(/\+08:00$/);
    expect(view.pendingPayoutChange).toBeNull();
    const [ev] = await events('retailer.payout_details_approved', changeId);
    expect(ev.actor).toMatchObject({ id: approver.id });
    expect(ev.details).toMatchObject({ changeId, proposedBy: proposer.id, fromVersion: 1, toVersion: 2, bank: { accountNumberLast4: first.accountNumber.slice(-4) }, previous: { bank: null } });

    for (const res of [await approve(changeId), await reject(changeId), await approve(changeId, await t.make.admin())]) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('change_already_decided');
    }
    // the proposer is still told four eyes first: the rule does not depend on the state
    expect((await approve(changeId, proposer)).body.code).toBe('four_eyes_required');
    expect(await events('retailer.payout_details_approved', changeId)).toHaveLength(1);

    // a second change keeps what it does not name (the bank account), replaces the rest, and records what it replaced
    const second = (await propose(r.id, { stripeAccountId: 'acct_1Later' }).expect(201)).body.changeId;
    const done = await approve(second).expect(200);
    expect(done.body).toMatchObject({ version: 3, previous: { stripeAccountId: null, bank: { accountNumberLast4: first.accountNumber.slice(-4) } } });
    expect((await retailerView(r.id)).payout).toMatchObject({ stripeAccountId: 'acct_1Later', version: 3, bank: { accountNumberLast4: first.accountNumber.slice(-4) } });

    await approve('00000000-0000-4000-8000-000000000000').expect(404);
    await approve('nope').expect(404);
    await reject('00000000-0000-4000-8000-000000000000').expect(404);
  });

  it('a rejection (with or without a reason) changes nothing but the proposal, audited', async () => {
    const r = await t.make.retailer();
    const a = (await propose(r.id, { stripeAccountId: 'acct_1Fraud' }).expect(201)).body.changeId;
    await reject(a, { reason: '' }).expect(400);
    await reject(a, { reason: 'x'.repeat(501) }).expect(400);
    await reject(a, { reason: 'ok', extra: 1 }).expect(400);
    const res = await reject(a, { reason: '  零售商电话确认未申请此变更  ' }).expect(200);
    expect(res.body).toMatchObject({ changeId: a, status: 'rejected', reason: '零售商电话确认未申请此变更', decidedBy: approver.id, version: null, previous: null });
    expect((await retailerView(r.id)).payout).toEqual({ stripeAccountId: null, bank: null, version: 1, changedAt: null });
    expect((await events('retailer.payout_details_rejected', a))[0].details).toEqual({ changeId: a, proposedBy: proposer.id, reason: '零售商电话确认未申请此变更' });
    const b = (await propose(r.id, { stripeAccountId: 'acct_1Again' }).expect(201)).body.changeId;
    expect((await reject(b).expect(200)).body).toMatchObject({ status: 'rejected', reason: null });
    expect(await approve(b).then((x) => x.body.code)).toBe('change_already_decided');
  });

  it('GET /v1/admin/payout-details-changes?status=pending is the queue, oldest first, keyset paginated; bad filters are 400', async () => {
    const retailers = [await t.make.retailer(), await t.make.retailer(), await t.make.retailer()];
    const ids: string[] = [];
    for (const r of retailers) ids.push((await propose(r.id, { stripeAccountId: `acct_1Q${r.id.slice(0, 6)}` }).expect(201)).body.changeId);
    await approve(ids[1]).expect(200);

    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const page = await t.http().get('/v1/admin/payout-details-changes').query({ status: 'pending', limit: 1, ...(cursor ? { cursor } : {}) }).set(approver.auth).expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      for (const c of page.body.items) {
        expect(c.status).toBe('pending_approval');
        seen.push(c.changeId);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    expect(seen).not.toContain(ids[1]);
    expect(seen.indexOf(ids[0])).toBeLessThan(seen.indexOf(ids[2]));
    expect(new Set(seen).size).toBe(seen.length);

    const one = await t.http().get('/v1/admin/payout-details-changes').query({ retailerId: retailers[1].id }).set(approver.auth).expect(200);
    expect(one.body.items.map((c: { changeId: string; status: string }) => [c.changeId, c.status])).toEqual([[ids[1], 'approved']]);
    expect(one.body.items[0].retailerName).toMatch(/^测试电器/);
    const approved = await t.http().get('/v1/admin/payout-details-changes').query({ status: 'approved', limit: 200 }).set(approver.auth).expect(200);
    expect(approved.body.items.every((c: { status: string }) => c.status === 'approved')).toBe(true);

    for (const query of [{ status: 'open' }, { limit: 0 }, { limit: 201 }, { cursor: 'garbage' }, { retailerId: 'x' }]) {
      const res = await t.http().get('/v1/admin/payout-details-changes').query(query).set(approver.auth).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await t.http().get('/v1/admin/payout-details-changes').set((await t.make.auditor()).auth).expect(403);
    await t.http().get(`/v1/admin/payout-details-changes/00000000-0000-4000-8000-000000000000`).set(approver.auth).expect(404);
  });

  it('the retailer is told: a change waiting, then the details changed on a date, the account masked', async () => {
    const r = await t.make.retailer();
    const notice = async (auth: Record<string, string>) => (await t.http().get('/v1/retailer/payout-details').set(auth).expect(200)).body;
    expect(await notice(r.auth)).toEqual({ stripeAccountId: null, bank: null, version: 1, changedAt: null, pendingChangeProposedAt: null });
    const account = bank();
    const { changeId } = (await propose(r.id, { bank: account }).expect(201)).body;
    const waiting = await notice(r.keyAuth);
    expect(waiting).toMatchObject({ version: 1, changedAt: null, bank: null, pendingChangeProposedAt: expect.stringMatching(/\+08:00$/) });
    await approve(changeId).expect(200);
    const changed = await notice(r.auth);
    expect(changed).toEqual({
      stripeAccountId: null, version: 2, changedAt: expect.stringMatching(/\+08:00$/), pendingChangeProposedAt: null,
      bank: { accountName: account.accountName, accountNumberLast4: account.accountNumber.slice(-4), bankCode: account.bankCode },
    });
    await t.http().get('/v1/retailer/payout-details').set(approver.auth).expect(403);
  });

  it('bank file: a run written while a change waits pays the old account, and so does one written before the approval; the next run pays the new one', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const oldAccount = bank();
    const newAccount = bank();
    const newer = bank();
    await approve((await propose(p.retailer.id, { bank: oldAccount }).expect(201)).body.changeId).expect(200); // version 2
    const runFile = async (runId: string) => {
      const [f] = await t.db.query(`SELECT file_name FROM payout_bank_files WHERE run_id = $1`, [runId]);
      return readFileSync(join(fileDir, f.file_name), 'utf8');
    };
    const createRun = async () => (await t.http().post('/v1/admin/payout-runs').set(p.admin.auth).send({ programCode: p.programCode }).expect(201)).body;
    const payoutOf = async (runId: string) => (await t.db.query(`SELECT destination, payout_details_version FROM payouts WHERE run_id = $1`, [runId]))[0];

    // 1. pending change: the run and its file pay the old account
    const change = (await propose(p.retailer.id, { bank: newAccount }).expect(201)).body.changeId;
    await approvedClaims(p, 2);
    const run1 = await createRun();
    expect(run1.payouts).toEqual([expect.objectContaining({ retailerId: p.retailer.id, destination: `****${oldAccount.accountNumber.slice(-4)}`, payoutDetailsVersion: 2 })]);
    await drain(t);
    const file1 = await runFile(run1.id);
    expect(file1).toContain(`<Id>${oldAccount.accountNumber}</Id>`);
    expect(file1).not.toContain(newAccount.accountNumber);

    // 2. approved: the next run pays the new account
    await approve(change).expect(200);
    await approvedClaims(p, 1);
    const run2 = await createRun();
    expect(await payoutOf(run2.id)).toEqual({ destination: `****${newAccount.accountNumber.slice(-4)}`, payout_details_version: 3 });
    await drain(t);
    const file2 = await runFile(run2.id);
    expect(file2).toContain(`<Id>${newAccount.accountNumber}</Id>`);
    expect(file2).not.toContain(oldAccount.accountNumber);

    // 3. a run written before an approval and sent after it still pays what it was written with
    const third = (await propose(p.retailer.id, { bank: newer }).expect(201)).body.changeId;
    await approvedClaims(p, 1);
    const run3 = await createRun();
    await approve(third).expect(200);
    await drain(t);
    const file3 = await runFile(run3.id);
    expect(file3).toContain(`<Id>${newAccount.accountNumber}</Id>`);
    expect(file3).not.toContain(newer.accountNumber);
    expect(await payoutOf(run3.id)).toEqual({ destination: `****${newAccount.accountNumber.slice(-4)}`, payout_details_version: 3 });
    await approvedClaims(p, 1);
    const run4 = await createRun();
    await drain(t);
    expect(await runFile(run4.id)).toContain(`<Id>${newer.accountNumber}</Id>`);

    // the finance officer reads the version on each payout; the retailer sees it on its statement
    const statement = await t.http().get('/v1/retailer/payouts').set(p.retailer.auth).expect(200);
    expect(statement.body.items.map((x: { runId: string; payoutDetailsVersion: number }) => [x.runId, x.payoutDetailsVersion])).toEqual([
      [run4.id, 4], [run3.id, 3], [run2.id, 3], [run1.id, 2],
    ]);
    // no account number in clear in any audit event
    for (const n of [oldAccount, newAccount, newer].map((b) => b.accountNumber)) {
      expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`, [n]))[0].n).toBe(0);
    }
  }, 120_000);
});
