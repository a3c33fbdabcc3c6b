import { Client } from 'pg';
import { ClaimAppealsService, ClaimsRepository } from '@huanxin/claims';
import type { Actor } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { AppealReviewService, ReviewService } from '@huanxin/review';
import { startTestApp, TestApp } from '../support/app';
import { Scenario } from '../support/scenario';

/**
 * Service level, on real PostgreSQL: an upheld appeal moves the money exactly as a direct approval would. Two
 * programmes start identical (same grant, same claim); in one the claim is approved on review, in the other it is
 * rejected, appealed and the appeal upheld — every balance of the city ends the same. And the state machine's one
 * way out of `rejected`: the database lets a claim go rejected → approved only while its appeal is upheld.
 */
describe('an upheld appeal moves the money of an approval (service)', () => {
  let t: TestApp;
  let c: Client;
  let ledger: LedgerService;
  let review: ReviewService;
  let appeals: ClaimAppealsService;
  let appealReview: AppealReviewService;
  let first: Actor;
  let second: Actor;

  beforeAll(async () => {
    t = await startTestApp();
    ledger = t.app.get(LedgerService);
    review = t.app.get(ReviewService);
    appeals = t.app.get(ClaimAppealsService);
    appealReview = t.app.get(AppealReviewService);
    first = { kind: 'user', id: (await t.make.auditor()).id, role: 'auditor' };
    second = { kind: 'user', id: (await t.make.auditor()).id, role: 'auditor' };
    c = new Client({ connectionString: t.database.url });
    await c.connect();
  }, 120_000);
  afterAll(async () => {
    await c?.end();
    await t?.close();
  });

  /** A programme with one claim under review in hangzhou; the same every call. */
  async function programmeWithClaim(): Promise<{ programId: string; claimId: string; householdActor: Actor; amountFen: number }> {
    const s = await Scenario.create(t, { cities: ['hangzhou'], budgetFen: 1_000_000 });
    const h = await s.household();
    const v = await s.voucher(h);
    const modelCode = await s.model({ referencePriceFen: 300000 });
    const res = await s.tradeIn(await s.tradeInBody(h, v.code, { modelCode, salePriceFen: 599900 })).expect(201);
    expect(res.body.status).toBe('pending_review');
    const programId = (await c.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode])).rows[0].id;
    return { programId, claimId: res.body.claimId, householdActor: { kind: 'user', id: h.id, role: 'household', city: 'hangzhou' }, amountFen: res.body.subsidy.amountFen };
  }

  const cityBalances = async (programId: string) => {
    const { city: _city, ...rest } = (await ledger.balances(programId, 'hangzhou'))[0];
    return rest;
  };

  it('rejected, appealed, upheld: every balance equals a direct approval, and the ledger balances', async () => {
    const direct = await programmeWithClaim();
    const appealed = await programmeWithClaim();
    expect(appealed.amountFen).toBe(direct.amountFen);
    expect(await cityBalances(appealed.programId)).toEqual(await cityBalances(direct.programId));

    await review.decide(first, direct.claimId, 'approve', '核实无误');

    await review.decide(first, appealed.claimId, 'reject', '单据可疑');
    const released = await cityBalances(appealed.programId);
    expect(released.payableFen).toBe(0);
    const { appealId } = await appeals.file(appealed.householdActor, appealed.claimId, '单据日期系回收商时区错误');
    expect(await cityBalances(appealed.programId)).toEqual(released); // filing moves no money
    const decided = await appealReview.decide(second, appealId, 'uphold', '理由成立');
    expect(decided.status).toBe('upheld');
    expect(decided.claim.status).toBe('approved');

    const want = await cityBalances(direct.programId);
    expect(want.payableFen).toBe(direct.amountFen);
    expect(await cityBalances(appealed.programId)).toEqual(want);
    expect(released.availableFen - want.availableFen).toBe(direct.amountFen);
    for (const id of [direct.programId, appealed.programId]) expect(await ledger.checkInvariants(id)).toEqual({ balanced: true, problems: [] });

    // the claim's own movements: what the rejection released is reserved again, then approved as on review
    const moves = await ledger.movementsFor(appealed.programId, [appealed.claimId]);
    const legs = (kind: string) => moves.filter((m) => m.kind === kind)
      .map((m) => m.entries.map((e) => `${typeof e.account === 'string' ? e.account : e.account.kind} ${e.amountFen}`).sort());
    const a = direct.amountFen;
    expect(moves.map((m) => m.kind)).toEqual(['commit', 'release', 'reserve', 'approve']);
    expect(legs('release')).toEqual([[`available ${a}`, `reserved -${a}`]]);
    expect(legs('reserve')).toEqual([[`available -${a}`, `reserved ${a}`]]);
    expect(legs('approve')).toEqual([[`payable ${a}`, `reserved -${a}`]]);
    const directApproval = (await ledger.movementsFor(direct.programId, [direct.claimId])).find((m) => m.kind === 'approve')!;
    const appealApproval = moves.find((m) => m.kind === 'approve')!;
    const amounts = (m: typeof moves[number]) => m.entries.map((e) => e.amountFen).sort((x, y) => x - y);
    expect(amounts(appealApproval)).toEqual(amounts(directApproval));
  });

  it('the database allows rejected → approved only while the claim has an upheld appeal', async () => {
    const x = await programmeWithClaim();
    await review.decide(first, x.claimId, 'reject', '单据可疑');
    const tryApprove = async () => {
      try {
        await c.query(`UPDATE claims SET status = 'approved' WHERE id = $1`, [x.claimId]);
        return 'allowed';
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        return e.code === '23514' && e.constraint === 'claims_status_transition' ? 'refused' : `error ${e.code}`;
      }
    };
    expect(await tryApprove()).toBe('refused'); // no appeal
    const { appealId } = await appeals.file(x.householdActor, x.claimId, '请复核');
    expect(await tryApprove()).toBe('refused'); // an open appeal
    // the claims library's own move is refused the same way
    const claims = t.app.get(ClaimsRepository);
    await expect(t.app.get(TransactionService).run((tx) => claims.transition(tx, x.claimId, 'rejected', 'approved', { at: new Date() })))
      .rejects.toMatchObject({ code: '23514' });
    await appealReview.decide(second, appealId, 'dismiss', '理由不成立');
    expect(await tryApprove()).toBe('refused'); // a dismissed one
    expect((await c.query(`SELECT status FROM claims WHERE id = $1`, [x.claimId])).rows[0].status).toBe('rejected');
    // and no appeal can name the rejecting auditor as its decider, whatever writes it
    await expect(c.query(`UPDATE claim_appeals SET decided_by = rejected_by WHERE id = $1`, [appealId])).rejects.toMatchObject({ constraint: 'claim_appeals_other_auditor' });
  });
});
