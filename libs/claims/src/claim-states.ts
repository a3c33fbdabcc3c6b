import type { ClaimStatus } from './claims.repository';

/**
 * The claim state machine (DESIGN.md "Flow"), declared once. A claim is created `pending_review` or `approved`
 * (the trade-in), and only these moves exist afterwards; PostgreSQL enforces the same table with a trigger
 * (migration `ClaimStateMachine`), whichever library writes, and the service tests enumerate both.
 *
 *   pending_review → approved | rejected | cancelled        the auditor decides, or the TV came back
 *   approved       → in_payout | cancelled                  a payout run takes it, or the TV came back
 *   in_payout      → paid | approved | payout_failed        the money arrived, or the payout failed
 *   payout_failed  → approved | in_payout | cancelled       (a failed payout's claim waits for the next run)
 *   paid           → approved | clawed_back                 the bank returned the money, or a clawback
 *   rejected, cancelled, clawed_back                        final
 */
export const CLAIM_TRANSITIONS: Readonly<Record<ClaimStatus, readonly ClaimStatus[]>> = {
  pending_review: ['approved', 'rejected', 'cancelled'],
  approved: ['in_payout', 'cancelled'],
  in_payout: ['paid', 'approved', 'payout_failed'],
  payout_failed: ['approved', 'in_payout', 'cancelled'],
  paid: ['approved', 'clawed_back'],
  rejected: [],
  cancelled: [],
  clawed_back: [],
};

export const CLAIM_STATUSES = Object.keys(CLAIM_TRANSITIONS) as ClaimStatus[];

/**
 * The one way out of a final state (issue 13): an upheld appeal brings a rejected claim back as approved, with the
 * money movements of an approval (AppealReviewService). Not in CLAIM_TRANSITIONS, on purpose: nothing else may take
 * this edge, and PostgreSQL allows it only while the claim's appeal is upheld (migration Appeals), in the transaction
 * that upholds it.
 */
export const APPEAL_REINSTATEMENT = { from: 'rejected', to: 'approved' } as const satisfies { from: ClaimStatus; to: ClaimStatus };

export function isAppealReinstatement(from: ClaimStatus, to: ClaimStatus): boolean {
  return from === APPEAL_REINSTATEMENT.from && to === APPEAL_REINSTATEMENT.to;
}

/** A claim still counts (for one serial, one receipt, one invoice, a household's limit) unless rejected or cancelled. */
export const DEAD_CLAIM_STATUSES: readonly ClaimStatus[] = ['rejected', 'cancelled'];

/**
 * The states a payout moves a claim between (a run, the gateway's answer, a failure, a bank return). Together they are
 * one phase, `settlement`.
 */
export const SETTLEMENT_STATUSES: readonly ClaimStatus[] = ['approved', 'in_payout', 'paid', 'payout_failed'];

/** A claim's phase: its status, except that the payout states are one, `settlement`. */
export type ClaimPhase = Exclude<ClaimStatus, 'approved' | 'in_payout' | 'paid' | 'payout_failed'> | 'settlement';

/**
 * The phase of a status, as the stored generated column `claims.phase` computes it (migration HeapOnlyClaimMoves; a
 * service test checks the two agree for every status). No index on claims names `status`: every partial index is
 * written on `phase`, so a move within the settlement phase changes no indexed value and PostgreSQL rewrites the row in
 * place on its page (a heap-only tuple, HOT) without an entry in any of claims' indexes — a payout run's 100,000 moves
 * cost a row version each, not a row version and an entry in each of twelve indexes.
 */
export function claimPhase(status: ClaimStatus): ClaimPhase {
  if (!(status in CLAIM_TRANSITIONS)) throw new RangeError(`claims: no status ${String(status)}`);
  return SETTLEMENT_STATUSES.includes(status) ? 'settlement' : (status as ClaimPhase);
}

/**
 * The live-claim predicate as SQL, written exactly as the partial unique indexes on claims write it (so the planner
 * uses them): one serial, one receipt, one invoice per retailer among live claims.
 */
export const LIVE_CLAIM_SQL = `phase NOT IN (${DEAD_CLAIM_STATUSES.map((s) => `'${s}'`).join(', ')})`;

export function canTransition(from: ClaimStatus, to: ClaimStatus): boolean {
  return CLAIM_TRANSITIONS[from]?.includes(to) ?? false;
}
