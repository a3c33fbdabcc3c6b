import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { createHash } from 'node:crypto';
import { startTestApp, TestApp } from './support/app';
import type { Household, SignedIn } from './support/factories';
import { uniq } from './support/ids';
import { Scenario } from './support/scenario';

const DAY_MS = 86_400_000;

/**
 * Appeals (issue 13, API.md "Next capabilities"): a household or its retailer contests a rejection once, within the
 * policy's appealWithinDays; another auditor than the one who rejected decides; upholding approves the claim with the
 * money movements of an approval. Every endpoint and every refusal through HTTP, on real PostgreSQL.
 */
describe('appeals (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let rejecter: SignedIn;
  let other: SignedIn;
  let ledger: LedgerService;

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t);
    rejecter = await t.make.auditor();
    other = await t.make.auditor();
    ledger = t.app.get(LedgerService);
  });
  afterAll(() => t.close());

  const programIdOf = async (sc: Scenario): Promise<string> => (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [sc.programCode]))[0].id;
  const balances = async (sc: Scenario, city = 'hangzhou') => (await ledger.balances(await programIdOf(sc), city))[0];

  /** A claim sent to review (its price far above the model's reference price: price_above_reference). */
  async function pending(sc: Scenario = s, opts: { city?: string; h?: Household; serialNumber?: string } = {}): Promise<{ id: string; amountFen: number; h: Household }> {
    const h = opts.h ?? await sc.household(opts.city ?? 'hangzhou');
    const v = await sc.voucher(h);
    const modelCode = await sc.model({ referencePriceFen: 300000 });
    const res = await sc.tradeIn(await sc.tradeInBody(h, v.code, { modelCode, salePriceFen: 599900, ...(opts.serialNumber ? { serialNumber: opts.serialNumber } : {}) }));
    if (res.status !== 201 || res.body.status !== 'pending_review') throw new Error(`trade-in → ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.claimId, amountFen: res.body.subsidy.amountFen, h };
  }

  /** A claim rejected by `rejecter`. */
  async function rejected(sc: Scenario = s, opts: { city?: string; h?: Household } = {}) {
    const c = await pending(sc, opts);
    await t.http().post(`/v1/auditor/claims/${c.id}/decision`).set(rejecter.auth).send({ decision: 'reject', reason: '回收单据日期可疑' }).expect(200);
    return c;
  }

  const householdAppeal = (id: string, h: Household, reason = '回收商系统时区错误，单据日期有误') =>
    t.http().post(`/v1/household/claims/${id}/appeal`).set(h.auth).send({ reason });
  const retailerAppeal = (id: string, auth: Record<string, string> = s.retailer.keyAuth, reason = '门店已核实，发票与型号一致') =>
    t.http().post(`/v1/retailer/claims/${id}/appeal`).set(auth).send({ reason });
  const decideAppeal = (id: string, body: object, who: SignedIn = other) =>
    t.http().post(`/v1/auditor/appeals/${id}/decision`).set(who.auth).send(body);

  async function householdClaim(h: Household, id: string) {
    const res = await t.http().get('/v1/household/claims').set(h.auth).expect(200);
    return res.body.items.find((c: { id: string }) => c.id === id);
  }

  describe('filing', () => {
    it('the household appeals its rejected claim: 201 open, shown on its claim and the retailer\'s, an audit event without the text', async () => {
      const c = await rejected();
      const before = await householdClaim(c.h, c.id);
      expect(before).toMatchObject({ status: 'rejected', appeal: null });
      const decidedAt = Date.parse(before.decidedAt);
      expect(Date.parse(before.appealableUntil)).toBe(decidedAt + 15 * DAY_MS); // the default appealWithinDays

      const reason = `回收商系统时区错误 ${uniq()}`;
      const res = await householdAppeal(c.id, c.h, reason).expect(201);
      expect(res.body).toEqual({ appealId: expect.any(String), status: 'open' });

      const mine = await householdClaim(c.h, c.id);
      expect(mine).toMatchObject({ status: 'rejected', appealableUntil: null, appeal: { id: res.body.appealId, status: 'open', appellant: 'household', reason, decidedAt: null, decisionReason: null } });
      // the retailer sees the appeal and its outcome, not what the household wrote
      const theirs = (await t.http().get(`/v1/retailer/claims/${c.id}`).set(s.retailer.keyAuth).expect(200)).body;
      expect(theirs.appeal).toMatchObject({ id: res.body.appealId, status: 'open', appellant: 'household', reason: null });

      const events = await t.db.query(`SELECT actor, details FROM audit_events WHERE subject_id = $1 AND action = 'claim.appealed'`, [c.id]);
      expect(events).toHaveLength(1);
      expect(events[0].actor).toMatchObject({ kind: 'user', id: c.h.id, role: 'household' });
      expect(events[0].details).toEqual({
        appealId: res.body.appealId, appellant: 'household', reasonSha256: createHash('sha256').update(reason).digest('hex'),
        retailerId: s.retailer.id, city: 'hangzhou',
      });
      expect(JSON.stringify(events)).not.toContain(reason);
      // never in a log line either
      expect(t.logs.join('\n')).not.toContain(reason);
    });

    it('the retailer appeals, by POS key or by a staff member\'s token; the household then sees the retailer\'s appeal', async () => {
      const a = await rejected();
      const byKey = await retailerAppeal(a.id).expect(201);
      const b = await rejected();
      const byStaff = await retailerAppeal(b.id, s.retailer.auth, '店员复核：价格属实').expect(201);
      expect(byKey.body.status).toBe('open');
      expect(byStaff.body.status).toBe('open');
      const list = (await t.http().get('/v1/retailer/claims').query({ status: 'rejected' }).set(s.retailer.auth).expect(200)).body.items;
      expect(list.find((c: { id: string }) => c.id === b.id).appeal).toMatchObject({ appellant: 'retailer', reason: '店员复核：价格属实', status: 'open' });
      expect((await householdClaim(a.h, a.id)).appeal).toMatchObject({ appellant: 'retailer', reason: null, status: 'open' });
      const rows = await t.db.query(`SELECT appellant_kind, appellant_id FROM claim_appeals WHERE claim_id = ANY($1::uuid[]) ORDER BY created_at`, [[a.id, b.id]]);
      expect(rows).toEqual([{ appellant_kind: 'retailer', appellant_id: s.retailer.apiKeyId }, { appellant_kind: 'retailer', appellant_id: s.retailer.staff.id }]);
    });

    it('once per claim, whoever appeals first: a second appeal by anyone is 409 appeal_exists and changes nothing', async () => {
      const c = await rejected();
      await householdAppeal(c.id, c.h).expect(201);
      const snap = await s.snapshot();
      for (const res of [await householdAppeal(c.id, c.h, '再次申诉'), await retailerAppeal(c.id), await retailerAppeal(c.id, s.retailer.auth)]) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('appeal_exists');
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      expect(await s.snapshot()).toEqual(snap);
      const d = await rejected();
      await retailerAppeal(d.id).expect(201);
      expect((await householdAppeal(d.id, d.h)).body.code).toBe('appeal_exists');
    });

    it('accepts an Idempotency-Key: a retry with the same key answers the first appeal again', async () => {
      const c = await rejected();
      const send = () => t.http().post(`/v1/retailer/claims/${c.id}/appeal`).set(s.retailer.keyAuth).set('Idempotency-Key', `appeal-${c.id}`).send({ reason: '重试' });
      const first = await send().expect(201);
      const again = await send().expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await t.db.query(`SELECT count(*)::int AS n FROM claim_appeals WHERE claim_id = $1`, [c.id])).toEqual([{ n: 1 }]);
    });

    it('only a rejected claim: pending, approved and dismissed-then-rejected claims answer 409 claim_not_rejected', async () => {
      const p = await pending();
      const res = await householdAppeal(p.id, p.h);
      expect([res.status, res.body.code]).toEqual([409, 'claim_not_rejected']);
      expect((await retailerAppeal(p.id)).body.code).toBe('claim_not_rejected');
      await t.http().post(`/v1/auditor/claims/${p.id}/decision`).set(rejecter.auth).send({ decision: 'approve', reason: 'ok' }).expect(200);
      expect((await householdAppeal(p.id, p.h)).body.code).toBe('claim_not_rejected');
      expect(await t.db.query(`SELECT 1 FROM claim_appeals WHERE claim_id = $1`, [p.id])).toEqual([]);
    });

    it("another household's or retailer's claim, an unknown id, a malformed id: 404 not_found", async () => {
      const c = await rejected();
      const stranger = await s.household();
      expect((await householdAppeal(c.id, stranger)).body.code).toBe('not_found');
      const otherRetailer = await t.make.retailer();
      const res = await retailerAppeal(c.id, otherRetailer.keyAuth);
      expect([res.status, res.body.code]).toEqual([404, 'not_found']);
      expect((await householdAppeal('00000000-0000-4000-8000-000000000000', c.h)).status).toBe(404);
      expect((await householdAppeal('not-a-claim', c.h)).status).toBe(404);
      expect(await t.db.query(`SELECT 1 FROM claim_appeals WHERE claim_id = $1`, [c.id])).toEqual([]);
    });

    it('refuses a reason that is missing, empty, blank, too long or not text, and unknown fields: 400, nothing stored', async () => {
      const c = await rejected();
      const bodies: unknown[] = [
        {}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(1001) }, { reason: 42 }, { reason: ['a'] }, { reason: null },
        { reason: 'ok', extra: 1 }, { reason: `a${'\uFE0F'.repeat(1200)}` },
      ];
      for (const body of bodies) {
        const res = await t.http().post(`/v1/household/claims/${c.id}/appeal`).set(c.h.auth).send(body as object);
        expect([JSON.stringify(body).slice(0, 40), res.status, res.body.code]).toEqual([JSON.stringify(body).slice(0, 40), 400, 'validation_failed']);
      }
      expect(await t.db.query(`SELECT 1 FROM claim_appeals WHERE claim_id = $1`, [c.id])).toEqual([]);
      // 1000 characters is the bound, counted as characters (not UTF-16 units)
      await householdAppeal(c.id, c.h, '申'.repeat(999) + '😀').expect(201);
    });

    it('within appealWithinDays of the rejection (default 15): after it, 422 appeal_window_closed', async () => {
      const late = await rejected();
      await t.db.query(`UPDATE claims SET decided_at = decided_at - interval '15 days 1 second' WHERE id = $1`, [late.id]);
      const res = await householdAppeal(late.id, late.h);
      expect([res.status, res.body.code]).toEqual([422, 'appeal_window_closed']);
      expect((await retailerAppeal(late.id)).body.code).toBe('appeal_window_closed');
      const inTime = await rejected();
      await t.db.query(`UPDATE claims SET decided_at = decided_at - interval '14 days 23 hours' WHERE id = $1`, [inTime.id]);
      await retailerAppeal(inTime.id).expect(201);
    });

    it("the claim's policy version sets the window: 30 days, or 0 (no appeals)", async () => {
      const long = await Scenario.create(t, { cities: ['hangzhou'], rules: { appealWithinDays: 30 } });
      const a = await rejected(long);
      await t.db.query(`UPDATE claims SET decided_at = decided_at - interval '20 days' WHERE id = $1`, [a.id]);
      expect(Date.parse((await householdClaim(a.h, a.id)).appealableUntil)).toBeGreaterThan(Date.now() + 9 * DAY_MS);
      await householdAppeal(a.id, a.h).expect(201);
      const b = await rejected(long);
      await t.db.query(`UPDATE claims SET decided_at = decided_at - interval '30 days' WHERE id = $1`, [b.id]);
      expect((await householdAppeal(b.id, b.h)).body.code).toBe('appeal_window_closed');

      const none = await Scenario.create(t, { cities: ['hangzhou'], rules: { appealWithinDays: 0 } });
      const c = await rejected(none);
      expect((await householdAppeal(c.id, c.h)).body.code).toBe('appeal_window_closed');
    });

    it('the admin publishes appealWithinDays in a policy version; nonsense values are refused', async () => {
      const code = `p-${uniq().toLowerCase()}`;
      const base = { code, name: '申诉期', startsAt: new Date(Date.now() - DAY_MS).toISOString(), endsAt: new Date(Date.now() + 90 * DAY_MS).toISOString(), voucherValidityDays: 30, perHouseholdLimit: 1 };
      for (const bad of [-1, 1.5, '15', 366, null]) {
        const res = await t.http().post('/v1/admin/programs').set(s.admin.auth).send({ ...base, rules: { ...DEFAULT_POLICY_RULES, appealWithinDays: bad } });
        expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'validation_failed']);
        expect(JSON.stringify(res.body.errors)).toContain('appealWithinDays');
      }
      await t.http().post('/v1/admin/programs').set(s.admin.auth).send({ ...base, rules: { ...DEFAULT_POLICY_RULES, appealWithinDays: 20 } }).expect(201);
      const stored = await t.db.query(`SELECT v.rules FROM policy_versions v JOIN programs p ON p.id = v.program_id WHERE p.code = $1`, [code]);
      expect(stored[0].rules.appealWithinDays).toBe(20);
    });
  });

  describe('the auditor\'s queue', () => {
    it('lists appeals by status and city in keyset pages, either way, naming who rejected and whether the asker may decide', async () => {
      const q = await Scenario.create(t);
      const hz = [await rejected(q), await rejected(q), await rejected(q)];
      const nb = await rejected(q, { city: 'ningbo' });
      const ids: string[] = [];
      for (const c of [...hz, nb]) ids.push((await householdAppeal(c.id, c.h).expect(201)).body.appealId);

      const walk = async (query: Record<string, string | number>, who: SignedIn = other): Promise<{ id: string; city: string; decidableByMe: boolean }[]> => {
        const seen: { id: string; city: string; decidableByMe: boolean }[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: { body: { items: { id: string; city: string; decidableByMe: boolean }[]; nextCursor: string | null } } = await t.http().get('/v1/auditor/appeals')
            .query({ ...query, ...(cursor ? { cursor } : {}) }).set(who.auth).expect(200);
          seen.push(...res.body.items);
          cursor = res.body.nextCursor;
          pages++;
        } while (cursor && pages < 50);
        return seen;
      };
      const mine = (xs: { id: string }[]) => xs.map((x) => x.id).filter((id) => ids.includes(id));
      expect(mine(await walk({ status: 'open', limit: 1, order: 'asc' }))).toEqual(ids);
      expect(mine(await walk({ status: 'open', limit: 2 }))).toEqual([...ids].reverse());
      expect(mine(await walk({ city: 'ningbo', limit: 1 }))).toEqual([ids[3]]);
      expect((await walk({ city: 'ningbo' })).every((a) => a.city === 'ningbo')).toBe(true);
      expect(mine(await walk({ status: 'upheld' }))).toEqual([]);
      // the rejecting auditor sees them, but not as theirs to decide
      expect((await walk({ status: 'open' }, rejecter)).filter((a) => ids.includes(a.id)).every((a) => !a.decidableByMe)).toBe(true);
      expect((await walk({ status: 'open' })).filter((a) => ids.includes(a.id)).every((a) => a.decidableByMe)).toBe(true);

      const page = await t.http().get('/v1/auditor/appeals').query({ status: 'open', limit: 200 }).set(other.auth).expect(200);
      const first = page.body.items.find((a: { id: string }) => a.id === ids[0]);
      expect(first).toMatchObject({
        claimId: hz[0].id, status: 'open', city: 'hangzhou', programCode: q.programCode, retailerId: q.retailer.id, appellant: 'household',
        claimStatus: 'rejected', amountFen: hz[0].amountFen, decision: null,
        rejection: { by: { id: rejecter.id, name: expect.stringContaining('auditor') }, reason: '回收单据日期可疑' },
      });
    });

    it('refuses bad filters and cursors with 400', async () => {
      for (const query of [{ status: 'pending' }, { city: 'beijing' }, { limit: 0 }, { limit: 201 }, { order: 'up' }, { cursor: 'bm9wZQ' }, { extra: 1 }]) {
        const res = await t.http().get('/v1/auditor/appeals').query(query).set(other.auth);
        expect([JSON.stringify(query), res.status, res.body.code]).toEqual([JSON.stringify(query), 400, 'validation_failed']);
      }
      // a cursor of one order is refused by the other
      const c = await rejected();
      const d = await rejected();
      await householdAppeal(c.id, c.h).expect(201);
      await householdAppeal(d.id, d.h).expect(201);
      const asc = await t.http().get('/v1/auditor/appeals').query({ limit: 1, order: 'asc' }).set(other.auth).expect(200);
      expect(asc.body.nextCursor).toEqual(expect.any(String));
      const res = await t.http().get('/v1/auditor/appeals').query({ limit: 1, order: 'desc', cursor: asc.body.nextCursor }).set(other.auth);
      expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    });

    it('shows one appeal with its claim, and answers 404 for an unknown one', async () => {
      const c = await rejected();
      const { appealId } = (await retailerAppeal(c.id).expect(201)).body;
      const res = await t.http().get(`/v1/auditor/appeals/${appealId}`).set(other.auth).expect(200);
      expect(res.body).toMatchObject({ id: appealId, reason: '门店已核实，发票与型号一致', appellant: 'retailer', claim: { id: c.id, status: 'rejected' } });
      expect(res.body.claim.history.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['claim.rejected', 'claim.appealed']));
      expect((await t.http().get('/v1/auditor/appeals/00000000-0000-4000-8000-000000000000').set(other.auth)).status).toBe(404);
      expect((await t.http().get('/v1/auditor/appeals/nope').set(other.auth)).status).toBe(404);
    });
  });

  describe('deciding', () => {
    it('not by the auditor who rejected the claim: 403 same_auditor, nothing changes', async () => {
      const c = await rejected();
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      const snap = await s.snapshot();
      for (const decision of ['uphold', 'dismiss']) {
        const res = await decideAppeal(appealId, { decision, reason: '我来复核' }, rejecter);
        expect([res.status, res.body.code]).toEqual([403, 'same_auditor']);
      }
      expect(await s.snapshot()).toEqual(snap);
      expect((await t.db.query(`SELECT status FROM claim_appeals WHERE id = $1`, [appealId]))[0].status).toBe('open');
    });

    it('dismissed: the claim stays rejected, no money moves; deciding again is 409 appeal_already_decided', async () => {
      const c = await rejected();
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      const before = await balances(s);
      const res = await decideAppeal(appealId, { decision: 'dismiss', reason: '驳回理由成立' }).expect(200);
      expect(res.body).toMatchObject({
        id: appealId, status: 'dismissed', claimStatus: 'rejected', decidableByMe: false,
        decision: { by: { id: other.id }, reason: '驳回理由成立' }, claim: { id: c.id, status: 'rejected' },
      });
      expect(await balances(s)).toEqual(before);
      const third = await t.make.auditor();
      for (const [decision, who] of [['uphold', third], ['dismiss', other]] as const) {
        const again = await decideAppeal(appealId, { decision, reason: '再议' }, who);
        expect([again.status, again.body.code]).toEqual([409, 'appeal_already_decided']);
      }
      expect((await householdClaim(c.h, c.id))).toMatchObject({ status: 'rejected', appeal: { status: 'dismissed', decisionReason: '驳回理由成立' } });
      const actions = (await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY id`, [c.id])).map((r: { action: string }) => r.action);
      expect(actions).toEqual(['claim.submitted', 'claim.rejected', 'claim.appealed', 'claim.appeal_dismissed']);
    });

    it('upheld: the claim is approved with the money movements of an approval, and every timeline shows it', async () => {
      const c = await rejected();
      const { appealId } = (await retailerAppeal(c.id, s.retailer.auth).expect(201)).body;
      const before = await balances(s);
      const res = await decideAppeal(appealId, { decision: 'uphold', reason: '单据日期经回收商确认无误' }).expect(200);
      expect(res.body).toMatchObject({ status: 'upheld', claimStatus: 'approved', claim: { id: c.id, status: 'approved', decisionReason: '单据日期经回收商确认无误' } });
      const after = await balances(s);
      expect(after).toEqual({ ...before, availableFen: before.availableFen - c.amountFen, payableFen: before.payableFen + c.amountFen, balanced: true });
      // the claim's movements: held for review, released by the rejection, reserved again and approved by the appeal
      const kinds = res.body.claim.ledgerMovements.filter((m: { reference: string }) => m.reference === c.id).map((m: { kind: string }) => m.kind);
      expect(kinds).toEqual(['commit', 'release', 'reserve', 'approve']);
      expect(res.body.claim.history.map((e: { action: string }) => e.action))
        .toEqual(expect.arrayContaining(['claim.rejected', 'claim.appealed', 'claim.appeal_upheld', 'claim.approved']));
      expect(await ledger.checkInvariants(await programIdOf(s))).toEqual({ balanced: true, problems: [] });

      expect(await householdClaim(c.h, c.id)).toMatchObject({ status: 'approved', appeal: { id: appealId, status: 'upheld', appellant: 'retailer', reason: null, decisionReason: '单据日期经回收商确认无误' } });
      const mine = (await t.http().get(`/v1/retailer/claims/${c.id}`).set(s.retailer.keyAuth).expect(200)).body;
      expect(mine).toMatchObject({ status: 'approved', appeal: { status: 'upheld', reason: '门店已核实，发票与型号一致' } });
      // decided: a second decision, an appeal, a review decision all refuse
      expect((await decideAppeal(appealId, { decision: 'dismiss', reason: 'x' }, await t.make.auditor())).body.code).toBe('appeal_already_decided');
      expect((await householdAppeal(c.id, c.h)).body.code).toBe('appeal_exists');
      expect((await t.http().post(`/v1/auditor/claims/${c.id}/decision`).set(other.auth).send({ decision: 'reject', reason: 'x' })).body.code).toBe('claim_already_decided');
    });

    it("the pool can no longer cover it: 409 budget_exhausted, nothing changes, the appeal stays open; once funded it is upheld", async () => {
      const cap = DEFAULT_POLICY_RULES.capFen;
      const tight = await Scenario.create(t, { cities: ['hangzhou'], budgetFen: 2 * cap });
      const c = await rejected(tight);
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      // the released money is taken by two new vouchers (each reserves the cap): nothing is left
      for (const h of await t.make.households(2, 'hangzhou')) await tight.voucher(h);
      expect((await balances(tight)).availableFen).toBe(0);
      const snap = await s.snapshot();
      const res = await decideAppeal(appealId, { decision: 'uphold', reason: '理由成立' });
      expect([res.status, res.body.code]).toEqual([409, 'budget_exhausted']);
      expect(await s.snapshot()).toEqual(snap);
      expect((await t.db.query(`SELECT status FROM claim_appeals WHERE id = $1`, [appealId]))[0].status).toBe('open');
      await tight.post(`/v1/admin/programs/${tight.programCode}/budgets`, { city: 'hangzhou', amountFen: c.amountFen, note: '追加' }, 201);
      await decideAppeal(appealId, { decision: 'uphold', reason: '理由成立' }).expect(200);
      expect(await balances(tight)).toMatchObject({ availableFen: 0, payableFen: c.amountFen, balanced: true });
    });

    it('the TV was subsidised by another claim since the rejection: 409 serial_already_subsidised, the appeal stays open', async () => {
      const serialNumber = `SN-${uniq()}`;
      const c = await pending(s, { serialNumber });
      await t.http().post(`/v1/auditor/claims/${c.id}/decision`).set(rejecter.auth).send({ decision: 'reject', reason: '可疑' }).expect(200);
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      const h2 = await s.household();
      const v = await s.voucher(h2);
      await s.tradeIn(await s.tradeInBody(h2, v.code, { serialNumber })).expect(201);
      const res = await decideAppeal(appealId, { decision: 'uphold', reason: '理由成立' });
      expect([res.status, res.body.code]).toEqual([409, 'serial_already_subsidised']);
      expect((await t.db.query(`SELECT c.status, a.status AS appeal FROM claims c JOIN claim_appeals a ON a.claim_id = c.id WHERE c.id = $1`, [c.id])))
        .toEqual([{ status: 'rejected', appeal: 'open' }]);
      await decideAppeal(appealId, { decision: 'dismiss', reason: '已由另一申请补贴' }).expect(200);
    });

    it('the household has another live claim in the programme since the rejection: 409 household_limit_reached', async () => {
      const c = await rejected();
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      // the rejection freed the household's place (rejected claims do not count): it traded in again
      await pending(s, { h: c.h });
      const snap = await s.snapshot();
      const res = await decideAppeal(appealId, { decision: 'uphold', reason: '理由成立' });
      expect([res.status, res.body.code]).toEqual([409, 'household_limit_reached']);
      expect(await s.snapshot()).toEqual(snap);
      expect((await t.db.query(`SELECT status FROM claim_appeals WHERE id = $1`, [appealId]))[0].status).toBe('open');
    });

    it('refuses a bad decision body and an unknown appeal', async () => {
      const c = await rejected();
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      for (const body of [{}, { decision: 'approve', reason: 'x' }, { decision: 'uphold' }, { decision: 'uphold', reason: '' }, { decision: 'uphold', reason: 'x'.repeat(501) }, { decision: 'uphold', reason: 'x', extra: 1 }]) {
        const res = await decideAppeal(appealId, body);
        expect([JSON.stringify(body).slice(0, 40), res.status, res.body.code]).toEqual([JSON.stringify(body).slice(0, 40), 400, 'validation_failed']);
      }
      expect((await decideAppeal('00000000-0000-4000-8000-000000000000', { decision: 'uphold', reason: 'x' })).status).toBe(404);
      expect((await decideAppeal('nope', { decision: 'dismiss', reason: 'x' })).status).toBe(404);
      expect((await t.db.query(`SELECT status FROM claim_appeals WHERE id = $1`, [appealId]))[0].status).toBe('open');
    });

    it('only auditors decide and list; households and retailers only appeal', async () => {
      const c = await rejected();
      const { appealId } = (await householdAppeal(c.id, c.h).expect(201)).body;
      for (const auth of [c.h.auth, s.retailer.auth, s.admin.auth]) {
        expect((await t.http().post(`/v1/auditor/appeals/${appealId}/decision`).set(auth).send({ decision: 'uphold', reason: 'x' })).status).toBe(403);
        expect((await t.http().get('/v1/auditor/appeals').set(auth)).status).toBe(403);
      }
      expect((await t.http().post(`/v1/household/claims/${c.id}/appeal`).set(other.auth).send({ reason: 'x' })).status).toBe(403);
    });
  });
});
