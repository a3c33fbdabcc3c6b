import { LedgerService } from '@huanxin/ledger';
import request from 'supertest';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import type { Household, SignedIn } from './support/factories';
import { Scenario } from './support/scenario';

jest.setTimeout(120_000);

/**
 * Appeals' races (issue 13) against two real API processes on one database: two auditors deciding one appeal at once
 * — exactly one decision, the money moved once — and a household and its retailer appealing one claim at once — one
 * appeal. Every racing request goes to one process or the other, fired together; only PostgreSQL is shared.
 */
describe('appeal races between two API processes (e2e)', () => {
  let t: TestApp;
  const api: ApiProcess[] = [];
  let s: Scenario;
  let rejecter: SignedIn;
  let programId: string;
  const ledger = () => t.app.get(LedgerService);
  const via = (i: number) => request(api[i % 2].url);

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    const started = await Promise.allSettled([0, 1].map(() => startApiProcess(t.database.url, { DB_POOL_SIZE: '8' })));
    for (const p of started) if (p.status === 'fulfilled') api.push(p.value);
    const failed = started.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    rejecter = await t.make.auditor();
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    for (const p of api) await request(p.url).get('/v1/auditor/appeals').set(rejecter.auth).expect(200);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);

  async function rejected(): Promise<{ id: string; amountFen: number; h: Household }> {
    const c = await s.rejectedClaim(rejecter);
    expect(c.status).toBe('pending_review');
    return c;
  }

  it('two auditors decide one appeal at once, on two processes: exactly one decision, the money moved once', async () => {
    const claims = await Promise.all(Array.from({ length: 6 }, () => rejected()));
    const appeals: string[] = [];
    for (const c of claims) appeals.push((await t.http().post(`/v1/household/claims/${c.id}/appeal`).set(c.h.auth).send({ reason: '请复核' }).expect(201)).body.appealId);
    const [a1, a2] = [await t.make.auditor(), await t.make.auditor()];
    const before = (await ledger().balances(programId, 'hangzhou'))[0];

    // per appeal: both uphold (4 appeals), or one upholds while the other dismisses (2 appeals)
    const results = await Promise.all(appeals.flatMap((id, k) => [
      via(0).post(`/v1/auditor/appeals/${id}/decision`).set(a1.auth).send({ decision: 'uphold', reason: `甲 ${k}` }),
      via(1).post(`/v1/auditor/appeals/${id}/decision`).set(a2.auth).send({ decision: k < 4 ? 'uphold' : 'dismiss', reason: `乙 ${k}` }),
    ]));
    let upheldFen = 0;
    for (let k = 0; k < appeals.length; k++) {
      const pair = [results[2 * k], results[2 * k + 1]];
      expect(pair.map((r) => r.status).sort()).toEqual([200, 409]);
      const lost = pair.find((r) => r.status === 409)!;
      expect(lost.body.code).toBe('appeal_already_decided');
      const won = pair.find((r) => r.status === 200)!;
      const [row] = await t.db.query(`SELECT a.status, a.decided_by, c.status AS claim FROM claim_appeals a JOIN claims c ON c.id = a.claim_id WHERE a.id = $1`, [appeals[k]]);
      expect(row.status).toBe(won.body.status);
      expect(row.decided_by).toBe(won.body.decision.by.id);
      expect(row.claim).toBe(row.status === 'upheld' ? 'approved' : 'rejected');
      if (row.status === 'upheld') upheldFen += claims[k].amountFen;
      // one decision event, and for an upheld appeal one reservation and one approval of the claim's money
      const events = await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 AND action IN ('claim.appeal_upheld', 'claim.appeal_dismissed')`, [claims[k].id]);
      expect(events).toHaveLength(1);
      const moves = await t.db.query(`SELECT kind FROM ledger_transactions WHERE reference = $1 AND kind IN ('reserve', 'approve') ORDER BY id`, [claims[k].id]);
      expect(moves.map((m: { kind: string }) => m.kind)).toEqual(row.status === 'upheld' ? ['reserve', 'approve'] : []);
    }
    expect(upheldFen).toBeGreaterThan(0);
    const after = (await ledger().balances(programId, 'hangzhou'))[0];
    expect(after).toEqual({ ...before, availableFen: before.availableFen - upheldFen, payableFen: before.payableFen + upheldFen, balanced: true });
    expect(await ledger().checkInvariants(programId)).toEqual({ balanced: true, problems: [] });
  });

  it('the household and its retailer appeal one claim at once, on two processes: one appeal', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, () => rejected()));
    const results = await Promise.all(claims.flatMap((c, k) => [
      via(k).post(`/v1/household/claims/${c.id}/appeal`).set(c.h.auth).send({ reason: '住户申诉' }),
      via(k + 1).post(`/v1/retailer/claims/${c.id}/appeal`).set(k % 2 ? s.retailer.keyAuth : s.retailer.auth).send({ reason: '门店申诉' }),
    ]));
    for (let k = 0; k < claims.length; k++) {
      const pair = [results[2 * k], results[2 * k + 1]];
      expect(pair.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(pair.find((r) => r.status === 409)!.body.code).toBe('appeal_exists');
      const won = pair.find((r) => r.status === 201)!;
      const rows = await t.db.query(`SELECT id, appellant_kind FROM claim_appeals WHERE claim_id = $1`, [claims[k].id]);
      expect(rows).toEqual([{ id: won.body.appealId, appellant_kind: won === pair[0] ? 'household' : 'retailer' }]);
      expect(await t.db.query(`SELECT 1 FROM audit_events WHERE subject_id = $1 AND action = 'claim.appealed'`, [claims[k].id])).toHaveLength(1);
    }
  });
});
