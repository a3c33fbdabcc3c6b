/**
 * The simulator's independent model of the budget ledger: plain TypeScript, no SQL, no platform code. It
 * knows the business entities (grants, vouchers, claims, payouts, clawback recoveries, reversals) in the
 * states the platform reported for them, and from those states alone says what every ledger account of the
 * programme must hold, per city and kind, and per retailer for payable and receivable (DESIGN.md "Money"):
 *
 *   grant X                        granted −X, available +X
 *   open voucher reserving R       reserved +R, available −R          (used or expired: nothing)
 *   claim of A pending review      reserved +A, available −A
 *   claim approved / in payout     payable(r) +A, available −A
 *   claim paid                     paid +A, available −A
 *   claim rejected / cancelled     nothing (the budget is back in available)
 *   claim clawed back, ρ recovered paid +(A − ρ), receivable(r) −(A − ρ)
 *     where ρ counts the claim's active recoveries that have happened: netted by a payout that is paid,
 *     reversed by a Stripe reversal that succeeded, or returned with a payout the bank sent back.
 *
 * Balances use the ledger's own signs (granted and receivable are credit-normal, so they are ≤ 0). Each
 * entity's legs are kept; when the platform reports a new state the entity's old legs are taken out and its
 * new legs put in, so the model's balances are updated by deltas from outcomes — and `recomputed()` sums the
 * legs afresh, a self-check of that bookkeeping.
 */
export type LedgerKind = 'granted' | 'available' | 'reserved' | 'payable' | 'paid' | 'receivable';

export interface Leg {
  city: string;
  kind: LedgerKind;
  retailerId: string | null;
  fen: number;
}

export type VoucherStatus = 'open' | 'used' | 'expired';
export type ClaimStatus = 'pending_review' | 'approved' | 'rejected' | 'cancelled' | 'in_payout' | 'paid' | 'payout_failed' | 'clawed_back';
export type PayoutStatus = 'pending' | 'sent' | 'paid' | 'failed';

export interface MHousehold {
  n: number;
  id: string;
  idNumber: string;
  city: string;
  /** Takes vouchers but never trades in: its vouchers expire. */
  idle: boolean;
  open: MVoucher | null;
  claims: MClaim[];
}

export interface MVoucher {
  n: number;
  code: string;
  city: string;
  household: MHousehold;
  reservedFen: number;
  expiresAt: number;
  status: VoucherStatus;
}

export interface MClaim {
  n: number;
  id: string;
  city: string;
  retailerId: string;
  amountFen: number;
  status: ClaimStatus;
  serial: string;
  household: MHousehold;
  voucherCode: string;
}

export interface MPayout {
  id: string;
  runId: string;
  retailerId: string;
  gateway: 'stripe' | 'bank-file';
  status: PayoutStatus;
  grossFen: number;
  nettedFen: number;
  amountFen: number;
  claimCount: number;
  reference: string | null;
  claimIds: string[];
}

export interface MRecovery {
  id: string;
  claimId: string;
  city: string;
  kind: 'netted' | 'reversal' | 'returned';
  amountFen: number;
  active: boolean;
  payoutId: string | null;
  reversalId: string | null;
}

export interface MReversal {
  id: string;
  payoutId: string;
  retailerId: string;
  amountFen: number;
  status: 'pending' | 'succeeded' | 'failed';
}

export interface MRun {
  /** The op that made it (runs are named by it in traces: platform ids differ from replay to replay). */
  n: number;
  id: string;
  gateway: 'stripe' | 'bank-file';
  payoutIds: string[];
}

const keyOf = (l: { city: string; kind: LedgerKind; retailerId: string | null }) =>
  l.kind === 'payable' || l.kind === 'receivable' ? `${l.city}/${l.kind}/${l.retailerId}` : `${l.city}/${l.kind}`;

export interface AccountDiff {
  account: string;
  model: number;
  ledger: number;
}

export class LedgerModel {
  readonly households: MHousehold[] = [];
  readonly vouchers = new Map<string, MVoucher>();
  readonly claims = new Map<string, MClaim>();
  readonly payouts = new Map<string, MPayout>();
  readonly runs = new Map<string, MRun>();
  readonly recoveries = new Map<string, MRecovery>();
  /** The same recoveries by claim id. */
  private readonly recoveriesOf = new Map<string, MRecovery[]>();
  readonly reversals = new Map<string, MReversal>();
  private readonly balances = new Map<string, number>();
  private readonly legsOf = new Map<string, Leg[]>();
  private grants = 0;

  // ---------------------------------------------------------------------------------------- bookkeeping

  private setLegs(entity: string, legs: Leg[]): void {
    for (const l of this.legsOf.get(entity) ?? []) this.add(l, -l.fen);
    for (const l of legs) this.add(l, l.fen);
    if (legs.length) this.legsOf.set(entity, legs);
    else this.legsOf.delete(entity);
  }

  private add(l: Leg, fen: number): void {
    const k = keyOf(l);
    const v = (this.balances.get(k) ?? 0) + fen;
    if (v === 0) this.balances.delete(k);
    else this.balances.set(k, v);
  }

  /** The model's balance of every account it expects to be non-zero. */
  expected(): Map<string, number> {
    return new Map(this.balances);
  }

  /** The same, summed afresh from every entity's legs: must equal expected() (a self-check of the model). */
  recomputed(): Map<string, number> {
    const out = new Map<string, number>();
    for (const legs of this.legsOf.values()) {
      for (const l of legs) {
        const k = keyOf(l);
        const v = (out.get(k) ?? 0) + l.fen;
        if (v === 0) out.delete(k);
        else out.set(k, v);
      }
    }
    return out;
  }

  /** Every account where the model and the ledger disagree (accounts absent on one side count as 0). */
  static diff(model: Map<string, number>, ledger: Map<string, number>): AccountDiff[] {
    const out: AccountDiff[] = [];
    for (const k of [...new Set([...model.keys(), ...ledger.keys()])].sort()) {
      const m = model.get(k) ?? 0;
      const l = ledger.get(k) ?? 0;
      if (m !== l) out.push({ account: k, model: m, ledger: l });
    }
    return out;
  }

  static accountKey(city: string, kind: LedgerKind, retailerId: string | null): string {
    return keyOf({ city, kind, retailerId });
  }

  // -------------------------------------------------------------------------------------------- entities

  grant(city: string, amountFen: number): void {
    this.setLegs(`grant:${this.grants++}`, [
      { city, kind: 'granted', retailerId: null, fen: -amountFen },
      { city, kind: 'available', retailerId: null, fen: amountFen },
    ]);
  }

  addVoucher(v: MVoucher): void {
    this.vouchers.set(v.code, v);
    this.refreshVoucher(v);
  }

  setVoucherStatus(v: MVoucher, status: VoucherStatus): void {
    v.status = status;
    if (status !== 'open' && v.household.open === v) v.household.open = null;
    this.refreshVoucher(v);
  }

  private refreshVoucher(v: MVoucher): void {
    this.setLegs(`voucher:${v.code}`, v.status === 'open'
      ? [{ city: v.city, kind: 'reserved', retailerId: null, fen: v.reservedFen }, { city: v.city, kind: 'available', retailerId: null, fen: -v.reservedFen }]
      : []);
  }

  addClaim(c: MClaim): void {
    this.claims.set(c.id, c);
    c.household.claims.push(c);
    this.refreshClaim(c);
  }

  setClaimStatus(c: MClaim, status: ClaimStatus): void {
    c.status = status;
    this.refreshClaim(c);
  }

  /** Records (or updates) a recovery as the platform reports it. */
  setRecovery(r: MRecovery): void {
    const before = this.recoveries.get(r.id);
    if (before) Object.assign(before, r);
    else {
      this.recoveries.set(r.id, r);
      this.recoveriesOf.set(r.claimId, [...(this.recoveriesOf.get(r.claimId) ?? []), r]);
    }
  }

  recoveriesOfClaim(claimId: string): readonly MRecovery[] {
    return this.recoveriesOf.get(claimId) ?? [];
  }

  /** What the claim's recoveries have brought back so far (see the header). */
  recovered(c: MClaim): number {
    let sum = 0;
    for (const r of this.recoveriesOf.get(c.id) ?? []) {
      if (!r.active) continue;
      if (r.kind === 'returned') sum += r.amountFen;
      else if (r.kind === 'netted' && r.payoutId && this.payouts.get(r.payoutId)?.status === 'paid') sum += r.amountFen;
      else if (r.kind === 'reversal' && r.reversalId && this.reversals.get(r.reversalId)?.status === 'succeeded') sum += r.amountFen;
    }
    return sum;
  }

  refreshClaim(c: MClaim): void {
    const a = c.amountFen;
    const city = c.city;
    const leg = (kind: LedgerKind, fen: number, retailerId: string | null = null): Leg => ({ city, kind, retailerId, fen });
    let legs: Leg[];
    switch (c.status) {
      case 'pending_review':
        legs = [leg('reserved', a), leg('available', -a)];
        break;
      case 'approved':
      case 'in_payout':
      case 'payout_failed':
        legs = [leg('payable', a, c.retailerId), leg('available', -a)];
        break;
      case 'paid':
        legs = [leg('paid', a), leg('available', -a)];
        break;
      case 'clawed_back': {
        const owed = a - this.recovered(c);
        legs = [leg('paid', owed), leg('receivable', -owed, c.retailerId)];
        break;
      }
      default:
        legs = [];
    }
    this.setLegs(`claim:${c.id}`, legs.filter((l) => l.fen !== 0));
  }

  /** After recoveries, payouts or reversals changed: the clawed-back claims' legs follow. */
  refreshClawbacks(): void {
    for (const id of this.recoveriesOf.keys()) {
      const c = this.claims.get(id);
      if (c?.status === 'clawed_back') this.refreshClaim(c);
    }
  }

  /** Households that may take a voucher now: none open, no claim that counts against the limit of one. */
  liveClaims(h: MHousehold): number {
    return h.claims.filter((c) => c.status !== 'rejected' && c.status !== 'cancelled').length;
  }
}
