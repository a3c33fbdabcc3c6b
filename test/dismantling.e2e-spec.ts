import { DismantlingService } from '@huanxin/claims';
import { startTestApp, TestApp } from './support/app';
import type { RecyclerFixture, SignedIn } from './support/factories';
import { uniq } from './support/ids';
import { Scenario } from './support/scenario';
import { setBank } from './support/settlement';

/**
 * The recycler's receipts list and "dismantling confirmed" (issue 13): GET /v1/recycler/receipts with each receipt's
 * state, POST /v1/recycler/receipts/{rid}/dismantled once, the worker's deadline check that flags and holds a claim
 * from payout, its release (by the recycler's confirmation or an auditor), and the auditors' report.
 */
describe('receipts list and dismantling (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let auditor: SignedIn;

  beforeAll(async () => {
    t = await startTestApp({ DISMANTLING_CHECK_INTERVAL_MS: '0' });
    s = await Scenario.create(t, { cities: ['hangzhou'], rules: { dismantleWithinDays: 3 } });
    await setBank(t, s.retailer.id);
    auditor = await t.make.staff('auditor');
  });
  afterEach(() => t.clock.set(undefined));
  afterAll(() => t.close());

  const register = async (r: RecyclerFixture, receipt: string) =>
    (await t.http().post('/v1/recycler/receipts').set(r.keyAuth).send({ receipt }).expect(201)).body as { rid: string; registeredAt: string };
  const dismantled = (r: RecyclerFixture, rid: string, body: Record<string, unknown>) =>
    t.http().post(`/v1/recycler/receipts/${encodeURIComponent(rid)}/dismantled`).set(r.keyAuth).send(body);
  const list = (r: RecyclerFixture, query: Record<string, string | number> = {}) => t.http().get('/v1/recycler/receipts').query(query).set(r.keyAuth);
  const check = () => t.app.get(DismantlingService).check();
  const claimRow = async (id: string) => (await t.db.query(`SELECT status, flags, dismantling FROM claims WHERE id = $1`, [id]))[0];

  /** An approved claim whose receipt is registered; answers the claim id and the rid. */
  async function claim(p: Scenario = s): Promise<{ claimId: string; rid: string }> {
    const h = await p.household();
    const v = await p.voucher(h);
    const body = await p.tradeInBody(h, v.code);
    // registered when issued, before the sale (tradeInBody sold it an hour ago)
    const now = t.clock.now();
    t.clock.set(new Date(now.getTime() - 2 * 3600e3));
    const { rid } = await register(p.recycler, body.recyclingReceipt as string);
    t.clock.set(undefined);
    const res = await p.tradeIn(body).expect(201);
    expect(res.body.status).toBe('approved');
    return { claimId: res.body.claimId, rid };
  }

  describe('POST /v1/recycler/receipts/{rid}/dismantled', () => {
    it('confirms once with the evidence; again is 409 already_confirmed; audit event; list says dismantled', async () => {
      const h = await s.household();
      const { rid } = await register(s.recycler, await s.receipt(h.idNumber));
      const res = await dismantled(s.recycler, rid, { dismantledAt: '2026-11-12T15:00:00+08:00', evidence: 'sha256:9f2c' }).expect(200);
      expect(res.body).toEqual({
        iss: s.recycler.id, rid, dismantledAt: '2026-11-12T15:00:00+08:00', confirmedAt: expect.stringMatching(/\+08:00$/), evidence: 'sha256:9f2c',
      });
      const again = await dismantled(s.recycler, rid, { dismantledAt: '2026-11-12T16:00:00+08:00' }).expect(409);
      expect(again.body.code).toBe('already_confirmed');
      const events = await t.db.query(`SELECT details FROM audit_events WHERE action = 'receipt.dismantled' AND subject_id = $1`, [`${s.recycler.id}/${rid}`]);
      expect(events).toHaveLength(1);
      expect(events[0].details).toMatchObject({ dismantledAt: '2026-11-12T15:00:00+08:00', evidence: 'sha256:9f2c' });
      const item = (await list(s.recycler).expect(200)).body.items.find((i: { rid: string }) => i.rid === rid);
      expect(item).toMatchObject({ status: 'dismantled', dismantledAt: '2026-11-12T15:00:00+08:00', dismantleEvidence: 'sha256:9f2c' });
    });

    it('refuses bad input and unknown receipts, changing nothing', async () => {
      const h = await s.household();
      const { rid } = await register(s.recycler, await s.receipt(h.idNumber));
      const other = await s.newRecycler();
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'dismantledAt'],
        [{ dismantledAt: 'yesterday' }, 'dismantledAt'],
        [{ dismantledAt: '2026-11-12' }, 'dismantledAt'],
        [{ dismantledAt: new Date(Date.now() + 86400e3).toISOString() }, 'dismantledAt'],
        [{ dismantledAt: '2026-11-12T15:00:00+08:00', evidence: 'x'.repeat(201) }, 'evidence'],
        [{ dismantledAt: '2026-11-12T15:00:00+08:00', evidence: 42 }, 'evidence'],
        [{ dismantledAt: '2026-11-12T15:00:00+08:00', weight: 3 }, 'weight'],
      ];
      for (const [body, field] of cases) {
        const res = await dismantled(s.recycler, rid, body);
        const fields = (res.body.errors ?? []).map((e: { field: string }) => e.field);
        expect({ body, status: res.status, code: res.body.code, named: fields.includes(field) }).toEqual({ body, status: 400, code: 'validation_failed', named: true });
      }
      expect((await dismantled(s.recycler, `R-${uniq()}`, { dismantledAt: '2026-11-12T15:00:00+08:00' }).expect(404)).body.code).toBe('not_found');
      // another recycler's rid is not found for this one
      expect((await dismantled(other, rid, { dismantledAt: '2026-11-12T15:00:00+08:00' }).expect(404)).body.code).toBe('not_found');
      const [row] = await t.db.query(`SELECT dismantled_at FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
      expect(row.dismantled_at).toBeNull();
      await t.http().post(`/v1/recycler/receipts/${rid}/dismantled`).set(auditor.auth).send({ dismantledAt: '2026-11-12T15:00:00+08:00' }).expect(403);
    });
  });

  describe('GET /v1/recycler/receipts', () => {
    it("lists its own receipts newest first, page by page, each with its state; another recycler's are never shown", async () => {
      const p = await Scenario.create(t, { cities: ['hangzhou'] });
      const r = p.recycler;
      expect((await list(r).expect(200)).body).toEqual({ items: [], nextCursor: null });
      const base = Date.now() - 4 * 3600e3; // before the claim's receipt, registered two hours ago (claim())
      const rids: string[] = [];
      for (let i = 0; i < 4; i++) {
        t.clock.set(new Date(base + i * 60_000));
        const h = await p.household();
        rids.push((await register(r, await p.receipt(h.idNumber, { issuedAt: new Date(base + i * 60_000) }))).rid);
      }
      t.clock.set(undefined);
      const used = await claim(p); // newest: used in a claim
      await dismantled(r, rids[1], { dismantledAt: new Date(base).toISOString() }).expect(200);
      await t.http().post(`/v1/recycler/receipts/${rids[2]}/revoke`).set(r.keyAuth).send({ reason: 'wrong household' }).expect(200);
      await register(s.recycler, await s.receipt((await s.household()).idNumber)); // another recycler's

      const items: { rid: string; status: string; usedInClaim: boolean }[] = [];
      let cursor: string | undefined;
      do {
        const res = await list(r, cursor ? { limit: 2, cursor } : { limit: 2 }).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        items.push(...res.body.items);
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(items.map((i) => i.rid)).toEqual([used.rid, rids[3], rids[2], rids[1], rids[0]]);
      expect(items.map((i) => i.status)).toEqual(['used', 'registered', 'revoked', 'dismantled', 'registered']);
      expect(items[0].usedInClaim).toBe(true);
      expect((await list(r, { cursor: 'not-a-cursor' }).expect(400)).body.code).toBe('validation_failed');
      expect((await list(r, { limit: 0 }).expect(400)).body.code).toBe('validation_failed');
      await t.http().get('/v1/recycler/receipts').expect(401);
      await t.http().get('/v1/recycler/receipts').set(s.retailer.keyAuth).expect(403);
    });
  });

  describe('the dismantling deadline (policy dismantleWithinDays)', () => {
    it('flags and holds an overdue claim from payout until the recycler confirms; a confirmed one is never held', async () => {
      const late = await claim();
      const onTime = await claim();
      await dismantled(s.recycler, onTime.rid, { dismantledAt: new Date().toISOString() }).expect(200);

      // before the deadline nothing happens
      expect(await check()).toBe(0);
      expect((await claimRow(late.claimId)).dismantling).toBeNull();

      t.clock.set(new Date(Date.now() + 4 * 86400e3));
      expect(await check()).toBeGreaterThanOrEqual(2);
      expect(await claimRow(late.claimId)).toEqual({ status: 'approved', flags: ['dismantling_unconfirmed'], dismantling: 'held' });
      expect(await claimRow(onTime.claimId)).toEqual({ status: 'approved', flags: [], dismantling: 'confirmed' });
      expect(await check()).toBe(0); // judged once
      const held = await t.db.query(`SELECT actor FROM audit_events WHERE action = 'claim.dismantling_held' AND subject_id = $1`, [late.claimId]);
      expect(held).toHaveLength(1);

      // the auditor's queue finds it by the flag
      const queue = await t.http().get('/v1/auditor/claims').query({ flag: 'dismantling_unconfirmed', programCode: s.programCode }).set(auditor.auth).expect(200);
      expect(queue.body.items.map((c: { id: string }) => c.id)).toContain(late.claimId);

      // a payout run leaves it out
      const run = (await t.http().post('/v1/admin/payout-runs').set(s.admin.auth).send({ programCode: s.programCode }).expect(201)).body;
      expect((await claimRow(late.claimId)).status).toBe('approved');
      expect((await claimRow(onTime.claimId)).status).toBe('in_payout');
      expect(run.claimCount).toBeGreaterThanOrEqual(1);

      // the recycler confirms (late): released at once, paid in the next run
      await dismantled(s.recycler, late.rid, { dismantledAt: t.clock.now().toISOString() }).expect(200);
      expect(await claimRow(late.claimId)).toEqual({ status: 'approved', flags: ['dismantling_unconfirmed'], dismantling: 'confirmed' });
      await t.http().post('/v1/admin/payout-runs').set(s.admin.auth).send({ programCode: s.programCode }).expect(201);
      expect((await claimRow(late.claimId)).status).toBe('in_payout');
    });

    it('an auditor releases a held claim with a reason, once; a claim not held is 409; an unknown one 404', async () => {
      const c = await claim();
      t.clock.set(new Date(Date.now() + 4 * 86400e3));
      await check();
      expect((await claimRow(c.claimId)).dismantling).toBe('held');
      const release = (id: string, body: Record<string, unknown> = { reason: '现场核实已拆解' }) =>
        t.http().post(`/v1/auditor/claims/${id}/dismantling-release`).set(auditor.auth).send(body);
      expect((await release(c.claimId, {}).expect(400)).body.code).toBe('validation_failed');
      expect((await release(c.claimId).expect(200)).body).toEqual({ claimId: c.claimId, dismantling: 'released' });
      expect((await claimRow(c.claimId)).dismantling).toBe('released');
      expect((await release(c.claimId).expect(409)).body.code).toBe('conflict');
      expect((await release('00000000-0000-4000-8000-000000000000').expect(404)).body.code).toBe('not_found');
      await t.http().post(`/v1/auditor/claims/${c.claimId}/dismantling-release`).set(s.admin.auth).send({ reason: 'x' }).expect(403);
      const events = await t.db.query(`SELECT details FROM audit_events WHERE action = 'claim.dismantling_released' AND subject_id = $1`, [c.claimId]);
      expect(events.map((e: { details: unknown }) => e.details)).toEqual([{ reason: '现场核实已拆解' }]);
      // the worker does not hold it again
      await check();
      expect((await claimRow(c.claimId)).dismantling).toBe('released');
    });

    it('a programme without dismantleWithinDays never holds anything', async () => {
      const p = await Scenario.create(t, { cities: ['hangzhou'] });
      const c = await claim(p);
      t.clock.set(new Date(Date.now() + 400 * 86400e3));
      await check();
      expect((await claimRow(c.claimId)).dismantling).toBeNull();
    });
  });

  describe('GET /v1/auditor/reports/dismantling', () => {
    it('lists recyclers by confirmation rate (worst first) with the median delay', async () => {
      const p = await Scenario.create(t, { cities: ['hangzhou'], rules: { dismantleWithinDays: 3 } });
      const good = p.recycler;
      const bad = await p.newRecycler();
      const a1 = await claim(p);
      const a2 = await claim(p);
      p.recycler = bad;
      await claim(p);
      await claim(p);
      const b3 = await claim(p);
      t.clock.set(new Date(Date.now() + 2 * 3600e3));
      await dismantled(good, a1.rid, { dismantledAt: t.clock.now().toISOString() }).expect(200);
      await dismantled(good, a2.rid, { dismantledAt: t.clock.now().toISOString() }).expect(200);
      await dismantled(bad, b3.rid, { dismantledAt: t.clock.now().toISOString() }).expect(200);
      t.clock.set(undefined);

      const res = await t.http().get('/v1/auditor/reports/dismantling').query({ programCode: p.programCode }).set(auditor.auth).expect(200);
      expect(res.body.rows.map((r: { recyclerId: string }) => r.recyclerId)).toEqual([bad.id, good.id]);
      expect(res.body.rows[0]).toMatchObject({ claims: 3, confirmed: 1, confirmationRateBp: 3333, held: 0 });
      expect(res.body.rows[1]).toMatchObject({ claims: 2, confirmed: 2, confirmationRateBp: 10000, name: expect.any(String) });
      // sold an hour before the trade-in (after the receipt's registration), confirmed two hours after it: about three hours
      expect(res.body.rows[1].medianDelayHours).toBeGreaterThan(2.5);
      expect(res.body.rows[1].medianDelayHours).toBeLessThan(3.5);
      await t.http().get('/v1/auditor/reports/dismantling').query({ programCode: 'no-such' }).set(auditor.auth).expect(404);
      await t.http().get('/v1/auditor/reports/dismantling').query({ programCode: p.programCode, from: 'soon' }).set(auditor.auth).expect(400);
      await t.http().get('/v1/auditor/reports/dismantling').query({ programCode: p.programCode }).set(s.retailer.keyAuth).expect(403);
    });
  });
});
