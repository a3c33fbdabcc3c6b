import { Actor, DomainError, SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { PayoutDetailsService, RetailersRepository } from '@huanxin/retailers';
import { startTestApp, TestApp } from '../support/app';

/**
 * Service level, no HTTP: the four-eyes rules of payout-details changes, and the history a payout is paid from.
 * Each payout records the retailer's payout-details version it was created under; `payoutAccountsAt` opens that
 * version's account (the current one, or the one an approved change replaced), never another in its place. The
 * database holds the rules a bypassed service would break: one pending change a retailer, decider ≠ proposer.
 */
describe('payout-details changes (service)', () => {
  let t: TestApp;
  let service: PayoutDetailsService;
  let repo: RetailersRepository;
  let one: Actor;
  let two: Actor;
  let n = 0;
  const account = () => `6222${String(Date.now()).slice(-9)}${String(++n).padStart(4, '0')}`;

  beforeAll(async () => {
    t = await startTestApp();
    service = t.app.get(PayoutDetailsService);
    repo = t.app.get(RetailersRepository);
    one = { kind: 'user', id: (await t.make.admin()).id, role: 'admin' };
    two = { kind: 'user', id: (await t.make.admin()).id, role: 'admin' };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const code = async (p: Promise<unknown>) => p.then(() => 'ok', (err) => (err instanceof DomainError ? err.code : `thrown: ${String(err)}`));

  it('only a signed-in admin proposes or decides: not the system, not a retailer, not an auditor', async () => {
    const r = await t.make.retailer();
    const body = { stripeAccountId: 'acct_1Service' };
    expect(await code(service.propose(SYSTEM_ACTOR, r.id, body))).toBe('forbidden');
    expect(await code(service.propose({ kind: 'user', id: one.id, role: 'auditor' }, r.id, body))).toBe('forbidden');
    expect(await code(service.propose({ kind: 'api_key', id: 'k', role: 'retailer', retailerId: r.id }, r.id, body))).toBe('forbidden');
    expect(await code(service.propose(one, r.id, {}))).toBe('validation_failed');
    const { changeId } = await service.propose(one, r.id, body);
    expect(await code(service.approve(SYSTEM_ACTOR, changeId))).toBe('forbidden');
    expect(await code(service.approve(one, changeId))).toBe('four_eyes_required');
    expect(await code(service.approve(two, changeId))).toBe('ok');
  });

  it('pays each version from its own details: current, replaced ones from the approved changes, an unknown version from none', async () => {
    const r = await t.make.retailer();
    const accounts = [account(), account(), account()];
    for (const a of accounts) {
      const { changeId } = await service.propose(one, r.id, { bank: { accountName: '测试电器', accountNumber: a, bankCode: '102331000010' } });
      await service.approve(two, changeId);
    }
    // version 1 had no account; 2, 3, 4 the three in turn; null is the current one
    const asked = [1, 2, 3, 4, null, 9].map((version) => ({ retailerId: r.id, version }));
    const got = await t.app.get(TransactionService).run((tx) => repo.payoutAccountsAt(tx, asked));
    const byVersion = (v: number) => got.filter((g) => g.version === v).map((g) => g.bank?.accountNumber ?? null);
    expect(byVersion(1)).toEqual([null]);
    expect(byVersion(2)).toEqual([accounts[0]]);
    expect(byVersion(3)).toEqual([accounts[1]]);
    expect(byVersion(4)).toEqual([accounts[2], accounts[2]]); // asked as 4 and as null (current)
    expect(got.find((g) => g.version === 9)).toEqual({ retailerId: r.id, version: 9, stripeAccountId: null, bank: null });
    const [row] = await t.db.query(`SELECT payout_details_version FROM retailers WHERE id = $1`, [r.id]);
    expect(row.payout_details_version).toBe(4);
  });

  it('the database refuses what a bypassed service would do: a second pending change, a decision by the proposer', async () => {
    const r = await t.make.retailer();
    const { changeId } = await service.propose(one, r.id, { stripeAccountId: 'acct_1Db' });
    await expect(t.db.query(
      `INSERT INTO payout_details_changes (id, retailer_id, status, stripe_account_id, proposed_by, proposed_at) VALUES (gen_random_uuid(), $1, 'pending_approval', 'acct_1Other', $2, now())`,
      [r.id, two.id],
    )).rejects.toMatchObject({ constraint: 'payout_details_changes_one_pending' });
    await expect(t.db.query(
      `UPDATE payout_details_changes SET status = 'rejected', decided_by = proposed_by, decided_at = now() WHERE id = $1`, [changeId],
    )).rejects.toMatchObject({ code: '23514' });
    await expect(t.db.query(
      `UPDATE payout_details_changes SET status = 'approved', decided_by = $2, decided_at = now() WHERE id = $1`, [changeId, two.id],
    )).rejects.toMatchObject({ code: '23514' }); // approved without the versions it moved between
  });
});
