import request from 'supertest';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import { uniq } from './support/ids';
import { Scenario } from './support/scenario';

jest.setTimeout(120_000);

/**
 * Receipt registration raced across two real API processes on one database (DESIGN.md: uniqueness is the database's):
 * the same receipt registered at once through both → one registration, one audit event, both answers the same; two
 * different receipts with one rid at once → one registered, the other 409 receipt_rid_conflict; one receipt confirmed
 * dismantled through both at once → one confirmation, the other 409 already_confirmed.
 */
describe('receipt registration: two API processes at once (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  const api: ApiProcess[] = [];

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    const started = await Promise.allSettled([0, 1].map(() => startApiProcess(t.database.url, { DB_POOL_SIZE: '8' })));
    for (const p of started) if (p.status === 'fulfilled') api.push(p.value);
    const failed = started.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    for (const p of api) await request(p.url).get('/v1/recycler/receipts').set(s.recycler.keyAuth).expect(200);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);

  const register = (i: number, receipt: string) => request(api[i % 2].url).post('/v1/recycler/receipts').set(s.recycler.keyAuth).send({ receipt });

  it('the same receipt through both at once: one registration, both answers equal', async () => {
    for (let round = 0; round < 5; round++) {
      const h = await s.household();
      const rid = `R-${uniq()}`;
      const receipt = await s.receipt(h.idNumber, { rid });
      const answers = await Promise.all([0, 1, 2, 3].map((i) => register(i, receipt)));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
      for (const a of answers) expect(a.body).toEqual(answers[0].body);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
      expect(n).toBe(1);
      const events = await t.db.query(`SELECT 1 FROM audit_events WHERE action = 'receipt.registered' AND subject_id = $1`, [`${s.recycler.id}/${rid}`]);
      expect(events).toHaveLength(1);
    }
  });

  it('two different receipts with one rid at once: one wins, the other is 409 receipt_rid_conflict', async () => {
    const h = await s.household();
    const rid = `R-${uniq()}`;
    const a = await s.receipt(h.idNumber, { rid, issuedAt: new Date(Date.now() - 3600e3) });
    const b = await s.receipt(h.idNumber, { rid, issuedAt: new Date(Date.now() - 7200e3) });
    const [ra, rb] = await Promise.all([register(0, a), register(1, b)]);
    expect([ra.status, rb.status].sort()).toEqual([201, 409]);
    const loser = ra.status === 409 ? ra : rb;
    expect(loser.body.code).toBe('receipt_rid_conflict');
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
    expect(n).toBe(1);
  });

  it('the dismantling confirmed through both at once: one 200, the other 409 already_confirmed, one audit event', async () => {
    for (let round = 0; round < 3; round++) {
      const h = await s.household();
      const rid = `R-${uniq()}`;
      await register(0, await s.receipt(h.idNumber, { rid })).expect(201);
      const answers = await Promise.all([0, 1].map((i) => request(api[i].url).post(`/v1/recycler/receipts/${rid}/dismantled`).set(s.recycler.keyAuth)
        .send({ dismantledAt: new Date(Date.now() - 60_000 * (i + 1)).toISOString(), evidence: `weight ${20 + i} kg` })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.status === 200)!;
      expect(answers.find((a) => a.status === 409)!.body.code).toBe('already_confirmed');
      const [row] = await t.db.query(`SELECT dismantle_evidence FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
      expect(row.dismantle_evidence).toBe(winner.body.evidence);
      const events = await t.db.query(`SELECT 1 FROM audit_events WHERE action = 'receipt.dismantled' AND subject_id = $1`, [`${s.recycler.id}/${rid}`]);
      expect(events).toHaveLength(1);
    }
  });
});
