import { LedgerService } from '@huanxin/ledger';
import { startTestApp, TestApp } from './support/app';
import type { Household, SignedIn } from './support/factories';
import { Scenario } from './support/scenario';

interface Page {
  items: { id: string; status: string; city: string; flags: string[]; reviewReasons: string[] }[];
  nextCursor: string | null;
}

describe('auditor review workspace (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let auditor: SignedIn;
  let ledger: LedgerService;
  let programId: string;

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t);
    auditor = await t.make.auditor();
    ledger = t.app.get(LedgerService);
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  });
  afterAll(() => t.close());

  /**
   * A claim that goes to review: a model whose reference price is far below the sale price raises
   * price_above_reference (POLICY.md). `flagged: false` gives a claim approved automatically.
   */
  async function claim(sc: Scenario = s, opts: { city?: string; flagged?: boolean } = {}): Promise<{ id: string; amountFen: number; h: Household; status: string }> {
    const h = await sc.household(opts.city ?? 'hangzhou');
    const v = await sc.voucher(h);
    const modelCode = await sc.model({ referencePriceFen: opts.flagged === false ? 600000 : 300000 });
    const res = await sc.tradeIn(await sc.tradeInBody(h, v.code, { modelCode, salePriceFen: 599900 }));
    if (res.status !== 201) throw new Error(`trade-in → ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.claimId, amountFen: res.body.subsidy.amountFen, h, status: res.body.status };
  }

  const balances = async (city = 'hangzhou') => (await ledger.balances(programId, city))[0];
  const decide = (id: string, body: object, who: { Authorization: string } = auditor.auth) =>
    t.http().post(`/v1/auditor/claims/${id}/decision`).set(who).send(body);

  async function ledgerBalanced(code = s.programCode): Promise<boolean> {
    const res = await t.http().get('/v1/auditor/ledger').query({ programCode: code }).set(auditor.auth).expect(200);
    return res.body.balanced;
  }

  /** Settle an approved claim as a payout run would (issue 5 builds the runs): payable → paid. */
  async function markPaid(id: string, amountFen: number, city = 'hangzhou') {
    await t.db.transaction(async (tx) => {
      await ledger['post'](tx, { programId, city, kind: 'pay', reference: id, entries: [
        { account: { kind: 'payable', retailerId: s.retailer.id }, amountFen: -amountFen }, { account: 'paid', amountFen }] });
      // along the state machine, as a run does: approved → in_payout → paid
      await tx.query(`UPDATE claims SET status = 'in_payout' WHERE id = $1`, [id]);
      await tx.query(`UPDATE claims SET status = 'paid' WHERE id = $1`, [id]);
    });
  }

  describe('the queue', () => {
    it('lists pending claims with filters, in keyset pages either way', async () => {
      const q = await Scenario.create(t);
      const hz = [await claim(q), await claim(q), await claim(q)];
      const nb = await claim(q, { city: 'ningbo' });
      const auto = await claim(q, { flagged: false });
      expect(hz.map((c) => c.status)).toEqual(['pending_review', 'pending_review', 'pending_review']);
      expect(auto.status).toBe('approved');

      const walk = async (query: Record<string, string | number>): Promise<string[]> => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: { body: Page } = await t.http().get('/v1/auditor/claims')
            .query({ ...query, ...(cursor ? { cursor } : {}) }).set(auditor.auth).expect(200);
          seen.push(...res.body.items.map((c) => c.id));
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        return seen;
      };

      const base = { programCode: q.programCode, status: 'pending_review' };
      expect(await walk({ ...base, city: 'hangzhou', limit: 2 })).toEqual(hz.map((c) => c.id).reverse());
      expect(await walk({ ...base, city: 'hangzhou', limit: 2, order: 'asc' })).toEqual(hz.map((c) => c.id));
      expect(await walk({ ...base, limit: 1 })).toEqual([...hz, nb].map((c) => c.id).reverse());
      expect(await walk({ programCode: q.programCode, limit: 50 })).toHaveLength(5);
      expect(await walk({ programCode: q.programCode, status: 'approved' })).toEqual([auto.id]);
      expect(await walk({ programCode: q.programCode, flag: 'price_above_reference' })).toEqual([...hz, nb].map((c) => c.id).reverse());
      expect(await walk({ programCode: q.programCode, flag: 'store_burst' })).toEqual([]);
      expect(await walk({ programCode: q.programCode, retailerId: q.retailer.id })).toHaveLength(5);
      expect(await walk({ programCode: q.programCode, retailerId: s.retailer.id })).toEqual([]);
      expect(await walk({ programCode: 'p-no-such-programme' })).toEqual([]);
      const today = new Date(t.clock.now().getTime() + 8 * 3600e3).toISOString().slice(0, 10);
      expect(await walk({ programCode: q.programCode, from: today, to: today })).toHaveLength(5);
      expect(await walk({ programCode: q.programCode, from: new Date(t.clock.now().getTime() + 3600e3).toISOString() })).toEqual([]);

      const page = await t.http().get('/v1/auditor/claims').query({ ...base, city: 'ningbo' }).set(auditor.auth).expect(200);
      expect(page.body.items[0]).toMatchObject({
        id: nb.id, status: 'pending_review', city: 'ningbo', programCode: q.programCode, retailerId: q.retailer.id,
        flags: ['price_above_reference'], reviewReasons: ['price_above_reference'], resolution: '4K', energyGrade: 1, decision: null,
        subsidy: { amountFen: nb.amountFen },
      });
    });

    it('refuses malformed filters and cursors', async () => {
      for (const query of [{ status: 'nope' }, { city: 'beijing' }, { retailerId: 'x' }, { from: 'yesterday' }, { to: '2026-02-30' },
        { from: '2026-11-02', to: '2026-11-01' }, { limit: 0 }, { order: 'up' }, { cursor: 'garbage' }, { unknown: 1 }]) {
        const res = await t.http().get('/v1/auditor/claims').query(query).set(auditor.auth);
        expect([res.status, res.body.code, JSON.stringify(query)]).toEqual([400, 'validation_failed', JSON.stringify(query)]);
      }
      // a cursor of one order is not accepted in the other
      await claim();
      await claim();
      const first = await t.http().get('/v1/auditor/claims').query({ limit: 1 }).set(auditor.auth).expect(200);
      const res = await t.http().get('/v1/auditor/claims').query({ limit: 1, order: 'asc', cursor: first.body.nextCursor }).set(auditor.auth);
      expect(res.status).toBe(400);
    });
  });

  it('shows a claim with its checks, flags, household (masked) and history', async () => {
    const c = await claim();
    const res = await t.http().get(`/v1/auditor/claims/${c.id}`).set(auditor.auth).expect(200);
    const d = res.body;
    expect(d).toMatchObject({ id: c.id, status: 'pending_review', flags: ['price_above_reference'], reviewReasons: ['price_above_reference'], decision: null });
    expect(d.checks.map((x: { check: string }) => x.check)).toEqual([
      'retailer_active', 'voucher_owner', 'voucher_open', 'store_city', 'sale_time', 'model_eligible', 'price', 'serial_new',
      'invoice_new', 'receipt', 'household_limit',
    ]);
    expect(d.checks.every((x: { result: string }) => typeof x.result === 'string')).toBe(true);
    expect(d.household).toEqual({ id: c.h.id, phone: `${c.h.phone.slice(0, 3)}****${c.h.phone.slice(-4)}`, idNumberLast4: c.h.idNumber.slice(-4) });
    expect(d.receipt).toMatchObject({ issuer: s.recycler.id, rid: expect.any(String) });
    expect(d.history.map((e: { action: string }) => e.action)).toEqual(['voucher.issued', 'claim.submitted']);
    expect(d.ledgerMovements.map((m: { kind: string }) => m.kind)).toEqual(['reserve', 'commit']);
    const commit = d.ledgerMovements[1];
    expect(commit.entries.reduce((sum: number, e: { amountFen: number }) => sum + e.amountFen, 0)).toBe(0);
    expect(commit.entries).toContainEqual({ account: 'reserved', retailerId: null, amountFen: c.amountFen - 200000 });
    expect(JSON.stringify(d)).not.toContain(c.h.idNumber);
    expect(JSON.stringify(d)).not.toContain(c.h.phone);

    await t.http().get('/v1/auditor/claims/00000000-0000-4000-8000-000000000000').set(auditor.auth).expect(404);
    const bad = await t.http().get('/v1/auditor/claims/not-a-claim').set(auditor.auth).expect(404);
    expect(bad.body.code).toBe('not_found');
  });

  describe('decisions', () => {
    it('approve moves the amount from reserved to the retailer payable, records who and why, and balances', async () => {
      const c = await claim();
      const before = await balances();
      const res = await decide(c.id, { decision: 'approve', reason: '核实无误' }).expect(200);
      expect(res.body).toMatchObject({ id: c.id, status: 'approved', decision: { decidedBy: auditor.id, reason: '核实无误', decidedAt: expect.stringMatching(/\+08:00$/) } });
      expect(res.body.history.map((e: { action: string }) => e.action)).toEqual(['voucher.issued', 'claim.submitted', 'claim.approved']);
      expect(res.body.history[2]).toMatchObject({ actor: { id: auditor.id, role: 'auditor' }, details: { reason: '核实无误', amountFen: c.amountFen } });
      expect(res.body.ledgerMovements.map((m: { kind: string }) => m.kind)).toEqual(['reserve', 'commit', 'approve']);
      const after = await balances();
      expect(after.payableFen - before.payableFen).toBe(c.amountFen);
      expect(after.reservedFen - before.reservedFen).toBe(-c.amountFen);
      expect(after.availableFen).toBe(before.availableFen);
      const [row] = await t.db.query(`SELECT status, decided_by, decided_at, decision_reason FROM claims WHERE id = $1`, [c.id]);
      expect(row).toMatchObject({ status: 'approved', decided_by: auditor.id, decision_reason: '核实无误' });
      expect(row.decided_at).toBeInstanceOf(Date);
      expect(await ledgerBalanced()).toBe(true);
    });

    it('reject releases the budget (reserved → available), records the reason, and balances', async () => {
      const c = await claim();
      const before = await balances();
      const res = await decide(c.id, { decision: 'reject', reason: '回收单与销售不符' }).expect(200);
      expect(res.body).toMatchObject({ status: 'rejected', decision: { decidedBy: auditor.id, reason: '回收单与销售不符' } });
      const after = await balances();
      expect(after.reservedFen - before.reservedFen).toBe(-c.amountFen);
      expect(after.availableFen - before.availableFen).toBe(c.amountFen);
      expect(after.payableFen).toBe(before.payableFen);
      const events = await t.db.query(`SELECT action, details FROM audit_events WHERE subject_id = $1 ORDER BY id`, [c.id]);
      expect(events.map((e: { action: string }) => e.action)).toEqual(['claim.submitted', 'claim.rejected']);
      expect(events[1].details).toMatchObject({ reason: '回收单与销售不符', from: 'pending_review', amountFen: c.amountFen });
      expect(await ledgerBalanced()).toBe(true);
    });

    it.each([2, 10])('%i auditors deciding one claim at once: exactly one wins, the rest get 409', async (n) => {
      const c = await claim();
      const auditors = await Promise.all(Array.from({ length: n }, () => t.make.auditor()));
      const before = await balances();
      const results = await Promise.all(auditors.map((a, i) =>
        decide(c.id, { decision: i % 2 ? 'reject' : 'approve', reason: `auditor ${i}` }, a.auth)));
      const ok = results.filter((r) => r.status === 200);
      const conflicts = results.filter((r) => r.status === 409);
      expect(ok).toHaveLength(1);
      expect(conflicts).toHaveLength(n - 1);
      expect(conflicts.every((r) => r.body.code === 'claim_already_decided')).toBe(true);
      const winner = ok[0].body;
      const decisions = await t.db.query(
        `SELECT action FROM audit_events WHERE subject_id = $1 AND action IN ('claim.approved', 'claim.rejected')`, [c.id]);
      expect(decisions).toHaveLength(1);
      const moves = await t.db.query(`SELECT kind FROM ledger_transactions WHERE reference = $1 AND kind IN ('approve', 'release')`, [c.id]);
      expect(moves).toHaveLength(1);
      const after = await balances();
      expect(after.reservedFen - before.reservedFen).toBe(-c.amountFen);
      const approved = winner.status === 'approved';
      expect([after.payableFen - before.payableFen, after.availableFen - before.availableFen])
        .toEqual(approved ? [c.amountFen, 0] : [0, c.amountFen]);
      expect(await ledgerBalanced()).toBe(true);
    });

    it('a decided claim cannot be decided again, and the attempt changes nothing', async () => {
      const approved = await claim();
      await decide(approved.id, { decision: 'approve', reason: 'ok' }).expect(200);
      const rejected = await claim();
      await decide(rejected.id, { decision: 'reject', reason: 'no' }).expect(200);
      const auto = await claim(s, { flagged: false });
      expect(auto.status).toBe('approved');
      const before = await s.snapshot();
      for (const [id, decision] of [[approved.id, 'reject'], [approved.id, 'approve'], [rejected.id, 'approve'], [auto.id, 'reject']]) {
        const res = await decide(id, { decision, reason: 'again' }).expect(409);
        expect(res.body.code).toBe('claim_already_decided');
      }
      expect(await s.snapshot()).toEqual(before);
      await decide('00000000-0000-4000-8000-000000000000', { decision: 'approve', reason: 'x' }).expect(404);
    });

    it('validates the decision body', async () => {
      const c = await claim();
      for (const body of [{}, { decision: 'maybe', reason: 'x' }, { decision: 'approve' }, { decision: 'approve', reason: '' },
        { decision: 'approve', reason: 'x'.repeat(501) }, { decision: 'approve', reason: 'x', amountFen: 1 }]) {
        const res = await decide(c.id, body);
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      }
      const [row] = await t.db.query(`SELECT status FROM claims WHERE id = $1`, [c.id]);
      expect(row.status).toBe('pending_review');
    });
  });

  describe('separation of duties', () => {
    it('admins and everyone else but auditors are refused decisions and clawbacks (403)', async () => {
      const c = await claim();
      const household = await t.make.household();
      const before = await s.snapshot();
      for (const who of [s.admin.auth, household.auth, s.retailer.auth]) {
        const d = await decide(c.id, { decision: 'approve', reason: 'x' }, who).expect(403);
        expect(d.body.code).toBe('forbidden');
        const cb = await t.http().post(`/v1/auditor/claims/${c.id}/clawback`).set(who).send({ reason: 'x' }).expect(403);
        expect(cb.body.code).toBe('forbidden');
      }
      await t.http().get('/v1/auditor/claims').set(s.admin.auth).expect(403);
      await t.http().get(`/v1/auditor/claims/${c.id}`).set(s.retailer.keyAuth).expect(403);
      await t.http().post(`/v1/auditor/claims/${c.id}/decision`).send({ decision: 'approve', reason: 'x' }).expect(401);
      expect(await s.snapshot()).toEqual(before);
    });

    it('auditors cannot touch programme set-up', async () => {
      const before = await s.snapshot();
      const res = await t.http().post(`/v1/admin/programs/${s.programCode}/budgets`).set(auditor.auth)
        .send({ city: 'hangzhou', amountFen: 100, note: 'x' }).expect(403);
      expect(res.body.code).toBe('forbidden');
      await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/hangzhou`).set(auditor.auth).send({ dailyVouchers: 1, releaseTime: '10:00' }).expect(403);
      expect(await s.snapshot()).toEqual(before);
    });
  });

  describe('clawback', () => {
    it('claws back a paid claim: the retailer owes its amount, the pool gets it back, once', async () => {
      const c = await claim();
      await decide(c.id, { decision: 'approve', reason: 'ok' }).expect(200);
      await markPaid(c.id, c.amountFen);
      const before = await balances();
      const res = await t.http().post(`/v1/auditor/claims/${c.id}/clawback`).set(auditor.auth).send({ reason: '回收单据伪造' }).expect(200);
      expect(res.body).toMatchObject({ id: c.id, status: 'clawed_back', cancelReason: '回收单据伪造' });
      expect(res.body.history.map((e: { action: string }) => e.action)).toEqual(['voucher.issued', 'claim.submitted', 'claim.approved', 'claim.clawed_back']);
      expect(res.body.history[3]).toMatchObject({ actor: { id: auditor.id, role: 'auditor' }, details: { reason: '回收单据伪造', from: 'paid', amountFen: c.amountFen } });
      expect(res.body.ledgerMovements.map((m: { kind: string }) => m.kind)).toEqual(['reserve', 'commit', 'approve', 'pay', 'clawback']);
      const after = await balances();
      expect(after.receivableFen - before.receivableFen).toBe(c.amountFen);
      expect(after.availableFen - before.availableFen).toBe(c.amountFen);
      expect(after.paidFen).toBe(before.paidFen);
      expect(await ledgerBalanced()).toBe(true);

      const snap = await s.snapshot();
      const again = await t.http().post(`/v1/auditor/claims/${c.id}/clawback`).set(auditor.auth).send({ reason: 'again' }).expect(409);
      expect(again.body.code).toBe('claim_not_paid');
      expect(await s.snapshot()).toEqual(snap);
    });

    it('refuses a claim that is not paid with 409 claim_not_paid, changing nothing', async () => {
      const pending = await claim();
      const approved = await claim(s, { flagged: false });
      const before = await s.snapshot();
      for (const id of [pending.id, approved.id]) {
        const res = await t.http().post(`/v1/auditor/claims/${id}/clawback`).set(auditor.auth).send({ reason: 'x' }).expect(409);
        expect(res.body.code).toBe('claim_not_paid');
      }
      await t.http().post('/v1/auditor/claims/00000000-0000-4000-8000-000000000000/clawback').set(auditor.auth).send({ reason: 'x' }).expect(404);
      const bad = await t.http().post(`/v1/auditor/claims/${pending.id}/clawback`).set(auditor.auth).send({}).expect(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(await s.snapshot()).toEqual(before);
    });

    it('an auditor clawback and a retailer cancellation racing on one paid claim: exactly one wins', async () => {
      const c = await claim(s, { flagged: false });
      await markPaid(c.id, c.amountFen);
      const before = await balances();
      const [a, b] = await Promise.all([
        t.http().post(`/v1/auditor/claims/${c.id}/clawback`).set(auditor.auth).send({ reason: 'audit' }),
        t.http().post(`/v1/retailer/claims/${c.id}/cancel`).set(s.retailer.keyAuth).send({ reason: 'returned' }),
      ]);
      expect([a.status, b.status].filter((x) => x === 200)).toHaveLength(1);
      const after = await balances();
      expect(after.receivableFen - before.receivableFen).toBe(c.amountFen);
      expect(await ledgerBalanced()).toBe(true);
    });
  });
});
