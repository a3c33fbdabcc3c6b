import { LedgerService } from '@huanxin/ledger';
import { ReconciliationService } from '@huanxin/settlement';
import { AccountDiff, ClaimStatus, LedgerKind, LedgerModel, MPayout, PayoutStatus } from './ledger-model';
import type { SimState } from './sim-state';

const n = (s: string | number | null) => Number(s ?? 0);

/** Claim moves worker jobs make without telling anyone in particular: runs, payouts paid, failed or returned. */
const SETTLEMENT_STATES: ReadonlySet<ClaimStatus> = new Set(['approved', 'in_payout', 'paid']);
const PAYOUT_MOVES: Record<PayoutStatus, PayoutStatus[]> = {
  pending: ['sent', 'paid', 'failed'],
  sent: ['paid', 'failed'],
  paid: ['failed'],
  failed: [],
};

/**
 * What the simulator checks, and how the model learns what worker jobs did. Ops report their own outcomes;
 * jobs that move many things at once (voucher expiry, payout runs, the processor, bank imports) are read back
 * from the platform's domain tables — never from the ledger's — and every move found must be one those jobs
 * may make. The ledger is read only to compare it with the model.
 */
export class Checks {
  constructor(private readonly s: SimState) {}

  private get db() {
    return this.s.world.stripe.db;
  }

  private get m() {
    return this.s.model;
  }

  /** Every ledger account of the programme, keyed as the model keys them (ledger signs). */
  async ledger(): Promise<Map<string, number>> {
    const rows: { city: string; kind: LedgerKind; retailer_id: string | null; balance_fen: string }[] = await this.db.query(
      `SELECT city, kind, retailer_id::text, balance_fen::text FROM ledger_accounts WHERE program_id = $1`,
      [this.s.world.programId],
    );
    const out = new Map<string, number>();
    for (const r of rows) {
      // a city's available and reserved money may be split over slot accounts (issue 11): the model keeps their sum
      const key = LedgerModel.accountKey(r.city, r.kind, r.retailer_id);
      const v = (out.get(key) ?? 0) + n(r.balance_fen);
      if (v !== 0) out.set(key, v);
      else out.delete(key);
    }
    return out;
  }

  /** The model against the real ledger: any difference is drift. Answers the differences. */
  async compare(selfCheck = false): Promise<AccountDiff[]> {
    const expected = this.m.expected();
    const diffs = LedgerModel.diff(expected, await this.ledger());
    for (const d of diffs.slice(0, 20)) this.s.fail('drift', `account ${d.account}: the model expects ${d.model} fen, the ledger holds ${d.ledger} fen (off by ${d.ledger - d.model})`);
    if (selfCheck) {
      const self = LedgerModel.diff(expected, this.m.recomputed());
      for (const d of self.slice(0, 5)) this.s.fail('model', `the model's running balance of ${d.account} is ${d.model} fen but its entities sum to ${d.ledger} fen`);
    }
    return diffs;
  }

  async invariants(global = false): Promise<string[]> {
    const ledger = this.s.world.stripe.get(LedgerService);
    const report = await ledger.checkInvariants(global ? undefined : this.s.world.programId);
    for (const p of report.problems.slice(0, 20)) this.s.fail('invariant', p);
    return report.problems;
  }

  async syncVouchers(): Promise<void> {
    const open = [...this.m.vouchers.values()].filter((v) => v.status === 'open');
    if (!open.length) return;
    const rows: { code: string; status: string }[] = await this.db.query(`SELECT code, status FROM vouchers WHERE code = ANY($1::text[])`, [open.map((v) => v.code)]);
    const by = new Map(rows.map((r) => [r.code, r.status]));
    for (const v of open) {
      const status = by.get(v.code);
      if (status === 'open') continue;
      if (status === 'expired' && v.expiresAt <= this.s.world.now) this.m.setVoucherStatus(v, 'expired');
      else this.s.fail('entity', `voucher ${v.code} (expires ${new Date(v.expiresAt).toISOString()}, now ${new Date(this.s.world.now).toISOString()}) is ${status ?? 'missing'} though the model has it open`);
    }
  }

  /**
   * Payouts, reversals, recoveries and the claims they moved, read back after settlement jobs ran. Light: only
   * what can still change (payouts not final, new ones, active recoveries, pending reversals, claims of payouts
   * that moved); `full`: everything of the programme, to catch a change nothing should have made.
   */
  async syncSettlement(full = false): Promise<void> {
    const programId = this.s.world.programId;
    const open = new Set<string>();
    for (const run of this.m.runs.values()) for (const id of run.payoutIds) if (!this.m.payouts.has(id)) open.add(id);
    for (const p of this.m.payouts.values()) if (p.status === 'pending' || p.status === 'sent' || (p.status === 'paid' && p.gateway === 'bank-file')) open.add(p.id);
    const payouts: { id: string; run_id: string; retailer_id: string; gateway: 'stripe' | 'bank-file'; status: PayoutStatus; gross_fen: string; netted_fen: string; amount_fen: string; claim_count: number; gateway_ref: string | null }[] =
      await this.db.query(
        `SELECT id, run_id, retailer_id, gateway, status, gross_fen::text, netted_fen::text, amount_fen::text, claim_count, gateway_ref
           FROM payouts WHERE program_id = $1 AND ($2 OR id = ANY($3::uuid[])) ORDER BY created_at, id`,
        [programId, full, [...open]],
      );
    const moved = new Set<string>();
    const fresh = payouts.filter((p) => !this.m.payouts.has(p.id));
    const tied: { payout_id: string; claim_id: string; amount_fen: string }[] = fresh.length
      ? await this.db.query(`SELECT payout_id, claim_id, amount_fen::text FROM payout_claims WHERE payout_id = ANY($1::uuid[])`, [fresh.map((p) => p.id)])
      : [];
    const written: { payout: MPayout; claims: typeof tied }[] = [];
    for (const p of payouts) {
      const known = this.m.payouts.get(p.id);
      if (!known) {
        if (!this.m.runs.get(p.run_id)?.payoutIds.includes(p.id)) this.s.fail('entity', `payout ${p.id} of run ${p.run_id} was not in that run's answer`);
        const claims = tied.filter((t) => t.payout_id === p.id);
        const mp: MPayout = {
          id: p.id, runId: p.run_id, retailerId: p.retailer_id, gateway: p.gateway, status: p.status, grossFen: n(p.gross_fen),
          nettedFen: n(p.netted_fen), amountFen: n(p.amount_fen), claimCount: p.claim_count, reference: p.gateway_ref, claimIds: claims.map((t) => t.claim_id),
        };
        written.push({ payout: mp, claims });
        this.m.payouts.set(p.id, mp);
        continue;
      }
      if (known.status !== p.status && !PAYOUT_MOVES[known.status].includes(p.status)) {
        this.s.fail('entity', `payout ${p.id} went from ${known.status} to ${p.status}`);
      }
      if (known.status !== p.status) moved.add(p.id);
      if (n(p.amount_fen) !== known.amountFen) this.s.fail('entity', `payout ${p.id} changed its amount from ${known.amountFen} to ${p.amount_fen} fen`);
      known.status = p.status;
      known.reference = p.gateway_ref;
    }

    const runIds = [...this.m.runs.keys()];
    const pendingReversals = [...this.m.reversals.values()].filter((v) => v.status === 'pending').map((v) => v.id);
    const reversals: { id: string; payout_id: string; retailer_id: string; amount_fen: string; status: 'pending' | 'succeeded' | 'failed' }[] = await this.db.query(
      `SELECT v.id, v.payout_id, v.retailer_id, v.amount_fen::text, v.status
         FROM payout_reversals v
        WHERE v.run_id = ANY($1::uuid[]) AND ($2 OR v.id = ANY($3::uuid[]) OR NOT (v.id = ANY($4::uuid[])))`,
      [runIds, full, pendingReversals, [...this.m.reversals.keys()]],
    );
    const changedReversals = new Set<string>();
    for (const v of reversals) {
      const known = this.m.reversals.get(v.id);
      if (known && known.status !== v.status && known.status !== 'pending') this.s.fail('entity', `reversal ${v.id} went from ${known.status} to ${v.status}`);
      if (known?.status !== v.status) changedReversals.add(v.id);
      this.m.reversals.set(v.id, { id: v.id, payoutId: v.payout_id, retailerId: v.retailer_id, amountFen: n(v.amount_fen), status: v.status });
    }

    // recoveries are made by runs and returns (new ids) and only ever deactivated, by a payout or reversal failing
    const known = [...this.m.recoveries.values()];
    const maxKnown = known.reduce((m, r) => Math.max(m, Number(r.id)), 0);
    const pendingBefore = new Set(pendingReversals);
    const changeable = known.filter((r) => r.active && ((r.payoutId && open.has(r.payoutId)) || (r.reversalId && pendingBefore.has(r.reversalId))));
    const recoveries: { id: string; claim_id: string; city: string; kind: 'netted' | 'reversal' | 'returned'; amount_fen: string; active: boolean; payout_id: string | null; reversal_id: string | null }[] =
      await this.db.query(
        `SELECT id::text, claim_id, city, kind, amount_fen::text, active, payout_id, reversal_id FROM clawback_recoveries
          WHERE program_id = $1 AND ($2 OR id > $3 OR id = ANY($4::bigint[]))`,
        [programId, full, maxKnown, changeable.map((r) => r.id)],
      );
    // the clawed-back claims whose recovered amount may have changed
    const refresh = new Set<string>();
    for (const r of known) if ((r.payoutId && moved.has(r.payoutId)) || (r.reversalId && changedReversals.has(r.reversalId))) refresh.add(r.claimId);
    for (const r of recoveries) refresh.add(r.claim_id);
    for (const r of recoveries) {
      const before = this.m.recoveries.get(r.id);
      const claim = this.m.claims.get(r.claim_id);
      if (!claim || claim.status !== 'clawed_back' || claim.city !== r.city) {
        this.s.fail('entity', `recovery ${r.id} (${r.kind}, ${r.amount_fen} fen) is for claim ${r.claim_id}, which the model has ${claim ? `${claim.status} in ${claim.city}` : 'never seen'}`);
      }
      if (before && ((!before.active && r.active) || before.amountFen !== n(r.amount_fen))) this.s.fail('entity', `recovery ${r.id} changed from ${JSON.stringify(before)} to ${JSON.stringify(r)}`);
      this.m.setRecovery({
        id: r.id, claimId: r.claim_id, city: r.city, kind: r.kind, amountFen: n(r.amount_fen), active: r.active, payoutId: r.payout_id, reversalId: r.reversal_id,
      });
    }

    for (const { payout, claims } of written) this.checkPayout(payout, claims);

    // claims move only with their payouts (and approved ones into new payouts)
    const touched = new Set<string>();
    for (const id of moved) for (const c of this.m.payouts.get(id)!.claimIds) touched.add(c);
    for (const { payout } of written) for (const c of payout.claimIds) touched.add(c);
    const watched = [...this.m.claims.values()].filter((c) =>
      full ? SETTLEMENT_STATES.has(c.status) || c.status === 'pending_review' : c.status === 'approved' || c.status === 'in_payout' || touched.has(c.id));
    if (watched.length) {
      const rows: { id: string; status: ClaimStatus }[] = await this.db.query(`SELECT id, status FROM claims WHERE id = ANY($1::uuid[])`, [watched.map((c) => c.id)]);
      const by = new Map(rows.map((r) => [r.id, r.status]));
      for (const c of watched) {
        const status = by.get(c.id);
        if (status === c.status) continue;
        if (status && SETTLEMENT_STATES.has(c.status) && SETTLEMENT_STATES.has(status)) this.m.setClaimStatus(c, status);
        else this.s.fail('entity', `claim ${c.id} (#${c.n}) is ${status ?? 'missing'} though the model has it ${c.status}, and no job moves a claim that way`);
      }
    }
    if (full) this.m.refreshClawbacks();
    else {
      for (const id of refresh) {
        const c = this.m.claims.get(id);
        if (c?.status === 'clawed_back') this.m.refreshClaim(c);
      }
    }

    if (full) {
      const [{ claims, vouchers }] = await this.db.query(
        `SELECT (SELECT count(*)::int FROM claims WHERE program_id = $1) AS claims, (SELECT count(*)::int FROM vouchers WHERE program_id = $1) AS vouchers`,
        [programId],
      );
      if (claims !== this.m.claims.size) this.s.fail('entity', `the platform holds ${claims} claims, the model knows ${this.m.claims.size}`);
      if (vouchers !== this.m.vouchers.size) this.s.fail('entity', `the platform holds ${vouchers} vouchers, the model knows ${this.m.vouchers.size}`);
    }
  }

  /** A payout as written: its claims are approved claims of its retailer, its control totals add up. */
  private checkPayout(p: MPayout, claims: { claim_id: string; amount_fen: string }[]): void {
    const gross = claims.reduce((s, c) => s + n(c.amount_fen), 0);
    if (gross !== p.grossFen || claims.length !== p.claimCount || p.amountFen !== p.grossFen - p.nettedFen) {
      this.s.fail('entity', `payout ${p.id}: ${claims.length} claims for ${gross} fen, but claimCount ${p.claimCount}, gross ${p.grossFen}, netted ${p.nettedFen}, amount ${p.amountFen}`);
    }
    for (const t of claims) {
      const c = this.m.claims.get(t.claim_id);
      if (!c || c.retailerId !== p.retailerId || c.amountFen !== n(t.amount_fen)) {
        this.s.fail('entity', `payout ${p.id} holds claim ${t.claim_id} for ${t.amount_fen} fen; the model has ${c ? `${c.amountFen} fen of retailer ${c.retailerId}` : 'no such claim'}`);
      }
    }
    const netted = [...this.m.recoveries.values()].filter((r) => r.payoutId === p.id && r.kind === 'netted');
    if (netted.length && netted.reduce((s, r) => s + r.amountFen, 0) !== p.nettedFen) {
      this.s.fail('entity', `payout ${p.id} nets ${p.nettedFen} fen but its netted recoveries sum to ${netted.reduce((s, r) => s + r.amountFen, 0)} fen`);
    }
  }

  /**
   * After the final drain: every Stripe payout paid exactly once at the gateway for its amount (none for a
   * failed one, no transfer without a payout), every succeeded reversal made once, and each run reconciled.
   */
  async settlement(): Promise<void> {
    const w = this.s.world;
    const transfers = w.mock.transfers;
    const byPayout = new Map<string, typeof transfers>();
    for (const t of transfers) {
      const id = String(t.metadata?.payout_id ?? '');
      byPayout.set(id, [...(byPayout.get(id) ?? []), t]);
    }
    const retailerAccount = new Map(w.retailers.map((r) => [r.id, r.stripeAccount]));
    for (const p of this.m.payouts.values()) {
      if (p.gateway !== 'stripe') continue;
      const made = byPayout.get(p.id) ?? [];
      byPayout.delete(p.id);
      if (p.status === 'pending') this.s.fail('settlement', `stripe payout ${p.id} is still pending after the final drain`);
      if ((p.status === 'paid' && p.amountFen > 0) !== (made.length === 1) || made.length > 1) {
        this.s.fail('settlement', `stripe payout ${p.id} is ${p.status} (${p.amountFen} fen) and has ${made.length} transfers at Stripe: ${made.map((t) => `${t.id} ${t.amount}`).join(', ')}`);
      }
      for (const t of made) {
        if (t.amount !== p.amountFen || t.destination !== retailerAccount.get(p.retailerId) || t.id !== p.reference) {
          this.s.fail('settlement', `transfer ${t.id} (${t.amount} to ${t.destination}) does not match payout ${p.id} (${p.amountFen} fen, reference ${p.reference})`);
        }
      }
    }
    for (const [payoutId, ts] of byPayout) this.s.fail('settlement', `${ts.length} transfers at Stripe name payout ${payoutId}, which no stripe payout of the run is`);
    const madeReversals = new Map<string, number>();
    for (const t of transfers) {
      for (const r of t.reversals.data) {
        const id = r.metadata?.hx_reversal_id;
        if (id) madeReversals.set(id, (madeReversals.get(id) ?? 0) + 1);
      }
    }
    for (const v of this.m.reversals.values()) {
      const made = madeReversals.get(v.id) ?? 0;
      if (v.status === 'pending') this.s.fail('settlement', `reversal ${v.id} is still pending after the final drain`);
      if ((v.status === 'succeeded' ? 1 : 0) !== made) this.s.fail('settlement', `reversal ${v.id} is ${v.status} and was made ${made} times at Stripe`);
    }

    const reconciliation = w.stripe.get(ReconciliationService);
    for (const run of this.m.runs.values()) {
      const view = await reconciliation.reconcile(w.admin, run.id);
      for (const mm of view.mismatches.slice(0, 5)) {
        this.s.fail('settlement', `reconciliation of ${run.gateway} run ${run.id}: ${mm.kind} on payout ${mm.payoutId}: ${mm.detail}`);
      }
    }
  }
}
