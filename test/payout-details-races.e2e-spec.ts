import request from 'supertest';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { tally } from './support/tally';

jest.setTimeout(120_000);

/**
 * Four eyes under contention, across two real API processes on one database (`node dist/apps/api/src/main.js`):
 * two admins deciding one payout-details change at once get exactly one outcome — one 200, the other 409
 * change_already_decided — one audit event, and the retailer's details moved on exactly once. Two proposals for
 * one retailer at once: one waits, the other is 409 payout_details_change_pending (the unique partial index).
 */
describe('payout-details changes raced across two API processes (e2e)', () => {
  let t: TestApp;
  const api: ApiProcess[] = [];
  let proposer: SignedIn;
  let admins: SignedIn[];

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    const started = await Promise.allSettled([0, 1].map(() => startApiProcess(t.database.url, { DB_POOL_SIZE: '8' })));
    for (const s of started) if (s.status === 'fulfilled') api.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    proposer = await t.make.admin();
    admins = [await t.make.admin(), await t.make.admin()];
    for (const p of api) for (let i = 0; i < 3; i++) await request(p.url).get('/v1/admin/payout-details-changes').set(admins[0].auth).expect(200);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);

  const via = (i: number) => request(api[i % 2].url);
  let n = 0;
  const account = () => `6222${String(Date.now()).slice(-9)}${String(++n).padStart(4, '0')}`;

  async function pendingChange(): Promise<{ retailerId: string; changeId: string; accountNumber: string }> {
    const r = await t.make.retailer();
    const accountNumber = account();
    const res = await t.http().post(`/v1/admin/retailers/${r.id}/payout-details`).set(proposer.auth)
      .send({ bank: { accountName: '杭州测试电器有限公司', accountNumber, bankCode: '102331000010' } }).expect(201);
    return { retailerId: r.id, changeId: res.body.changeId, accountNumber };
  }

  it('two admins approve one change at once, ten times over: one 200 and one 409 each, one audit event, version 2', async () => {
    const changes = await Promise.all(Array.from({ length: 10 }, pendingChange));
    const responses = await Promise.all(changes.flatMap((c) => [0, 1].map((i) => via(i).post(`/v1/admin/payout-details-changes/${c.changeId}/approve`).set(admins[i].auth).send())));
    expect(tally(responses)).toEqual({ '200': 10, '409 change_already_decided': 10 });
    for (const c of changes) {
      const [row] = await t.db.query(`SELECT status, from_version, to_version, decided_by FROM payout_details_changes WHERE id = $1`, [c.changeId]);
      expect(row).toMatchObject({ status: 'approved', from_version: 1, to_version: 2 });
      expect(admins.map((a) => a.id)).toContain(row.decided_by);
      const [r] = await t.db.query(`SELECT payout_details_version, bank->>'accountNumberLast4' AS last4 FROM retailers WHERE id = $1`, [c.retailerId]);
      expect(r).toEqual({ payout_details_version: 2, last4: c.accountNumber.slice(-4) });
      const events = await t.db.query(`SELECT actor->>'id' AS by FROM audit_events WHERE action LIKE 'retailer.payout_details_%ed' AND action <> 'retailer.payout_details_proposed' AND details->>'changeId' = $1`, [c.changeId]);
      expect(events).toEqual([{ by: row.decided_by }]);
    }
  });

  it('an approval and a rejection at once: exactly one of them, and the retailer changed only if it was the approval', async () => {
    const changes = await Promise.all(Array.from({ length: 10 }, pendingChange));
    const responses = await Promise.all(changes.flatMap((c) => [
      via(0).post(`/v1/admin/payout-details-changes/${c.changeId}/approve`).set(admins[0].auth).send(),
      via(1).post(`/v1/admin/payout-details-changes/${c.changeId}/reject`).set(admins[1].auth).send({ reason: 'not asked for' }),
    ]));
    expect(tally(responses)).toEqual({ '200': 10, '409 change_already_decided': 10 });
    for (const [i, c] of changes.entries()) {
      const approved = responses[2 * i].status === 200;
      expect(responses[2 * i + 1].status).toBe(approved ? 409 : 200);
      const [row] = await t.db.query(`SELECT status FROM payout_details_changes WHERE id = $1`, [c.changeId]);
      expect(row.status).toBe(approved ? 'approved' : 'rejected');
      const [r] = await t.db.query(`SELECT payout_details_version, bank IS NULL AS no_bank FROM retailers WHERE id = $1`, [c.retailerId]);
      expect(r).toEqual(approved ? { payout_details_version: 2, no_bank: false } : { payout_details_version: 1, no_bank: true });
      const events = await t.db.query(`SELECT action FROM audit_events WHERE action IN ('retailer.payout_details_approved', 'retailer.payout_details_rejected') AND details->>'changeId' = $1`, [c.changeId]);
      expect(events).toEqual([{ action: approved ? 'retailer.payout_details_approved' : 'retailer.payout_details_rejected' }]);
    }
  });

  it('two admins propose for one retailer at once: one 201, one 409 payout_details_change_pending, one pending row', async () => {
    const retailers = await Promise.all(Array.from({ length: 5 }, () => t.make.retailer()));
    const responses = await Promise.all(retailers.flatMap((r) => [0, 1].map((i) =>
      via(i).post(`/v1/admin/retailers/${r.id}/payout-details`).set(admins[i].auth).send({ stripeAccountId: `acct_1Race${i}${r.id.slice(0, 4)}` }))));
    expect(tally(responses)).toEqual({ '201': 5, '409 payout_details_change_pending': 5 });
    for (const r of retailers) {
      expect(await t.db.query(`SELECT count(*)::int AS n FROM payout_details_changes WHERE retailer_id = $1 AND status = 'pending_approval'`, [r.id])).toEqual([{ n: 1 }]);
    }
  });
});
