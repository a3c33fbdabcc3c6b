import { Injectable } from '@nestjs/common';
import type { HeldClaim, PayableClaim } from '@huanxin/claims';
import { fenFromDb } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import type { CityMove } from './payouts.repository';

/** A clawed-back claim's debt not yet recovered. */
export interface OpenClawback {
  claimId: string;
  retailerId: string;
  city: string;
  openFen: number;
}

/** An earlier paid Stripe transfer and how much of it can still be reversed. */
export interface ReversibleTransfer {
  payoutId: string;
  retailerId: string;
  reversibleFen: number;
}

export interface NewRecovery {
  claimId: string;
  retailerId: string;
  city: string;
  amountFen: number;
  reversalId: string;
}

export interface NewReversal {
  id: string;
  payoutId: string;
  retailerId: string;
  amountFen: number;
}

/** A clawback reversal: part of an earlier transfer taken back for clawed-back claims. */
export interface Reversal {
  id: string;
  runId: string;
  payoutId: string;
  retailerId: string;
  amountFen: number;
  idempotencyKey: string;
  status: 'pending' | 'succeeded' | 'failed';
  gatewayRef: string | null;
  failureReason: string | null;
  attempts: number;
  /** The transfer it reverses (the payout's gateway reference). */
  transferId: string | null;
}

/** A recovery as a payout statement lists it. */
export interface StatementRecovery {
  payoutId: string;
  claimId: string;
  city: string;
  kind: 'netted' | 'returned';
  amountFen: number;
}

interface ReversalRow {
  id: string;
  run_id: string;
  payout_id: string;
  retailer_id: string;
  amount_fen: string;
  idempotency_key: string;
  status: Reversal['status'];
  gateway_ref: string | null;
  failure_reason: string | null;
  attempts: number;
  transfer_id: string | null;
}

const REVERSAL_SELECT = `
  SELECT v.id, v.run_id, v.payout_id, v.retailer_id, v.amount_fen::text, v.idempotency_key, v.status, v.gateway_ref,
         v.failure_reason, v.attempts, p.gateway_ref AS transfer_id
    FROM payout_reversals v JOIN payouts p ON p.id = v.payout_id`;

function toReversal(r: ReversalRow): Reversal {
  return {
    id: r.id, runId: r.run_id, payoutId: r.payout_id, retailerId: r.retailer_id, amountFen: fenFromDb(r.amount_fen, 'reversal amount'),
    idempotencyKey: r.idempotency_key, status: r.status, gatewayRef: r.gateway_ref, failureReason: r.failure_reason,
    attempts: r.attempts, transferId: r.transfer_id,
  };
}

/** Clawed-back claims as `unnest` parameters, in the order given (the claims library's: oldest clawback first). */
const clawedParams = (claims: PayableClaim[]) => [claims.map((c) => c.id), claims.map((c) => c.retailerId), claims.map((c) => c.city), claims.map((c) => c.amountFen)];

/**
 * How clawed-back claims are recovered (clawback_recoveries): netted from a payout, reversed from an earlier Stripe
 * transfer (payout_reversals), or returned with a payout's money. The clawed-back claims themselves come from the
 * claims library (ClaimSettlementRepository.clawedBack) as arrays; nothing here reads the claims table.
 */
@Injectable()
export class ClawbacksRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * Nets each payout's retailer's clawbacks against the run's payouts: first its credits are given back in full
   * (claims over-recovered after a returned payout: a negative netting), then its open clawbacks, oldest first
   * across cities (the order of `clawed`), up to the gross amount plus the credits; what does not fit stays open
   * and carries over. The recoveries are recorded per clawed-back claim; the ledger moves when the payout is paid.
   */
  async netClawbacks(tx: Tx, runId: string, programId: string, clawed: PayableClaim[], now: Date): Promise<void> {
    if (!clawed.length) return;
    await tx.query(
      `WITH recovered AS (
         SELECT claim_id, sum(amount_fen) AS s FROM clawback_recoveries
          WHERE active AND program_id = $2 AND retailer_id IN (SELECT retailer_id FROM payouts WHERE run_id = $1)
          GROUP BY claim_id
       ), open AS (
         SELECT c.claim_id, c.retailer_id, c.city, c.amount_fen - coalesce(r.s, 0) AS open_fen, c.ord
           FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::bigint[]) WITH ORDINALITY AS c(claim_id, retailer_id, city, amount_fen, ord)
           LEFT JOIN recovered r ON r.claim_id = c.claim_id
          WHERE c.retailer_id IN (SELECT retailer_id FROM payouts WHERE run_id = $1)
       ), ranked AS (
         SELECT o.claim_id, o.retailer_id, o.city, o.open_fen, p.id AS payout_id, p.gross_fen,
                coalesce(sum(o.open_fen) OVER (PARTITION BY o.retailer_id ORDER BY o.open_fen > 0, o.ord
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
           FROM open o JOIN payouts p ON p.run_id = $1 AND p.retailer_id = o.retailer_id
          WHERE o.open_fen <> 0
       ), ins AS (
         INSERT INTO clawback_recoveries (claim_id, program_id, retailer_id, city, kind, amount_fen, payout_id, created_at)
         SELECT claim_id, $2, retailer_id, city, 'netted', CASE WHEN open_fen < 0 THEN open_fen ELSE least(open_fen, gross_fen - before) END, payout_id, $3
           FROM ranked WHERE open_fen < 0 OR before < gross_fen
         RETURNING payout_id, amount_fen
       )
       UPDATE payouts p SET netted_fen = t.s, amount_fen = p.gross_fen - t.s
         FROM (SELECT payout_id, sum(amount_fen)::bigint AS s FROM ins GROUP BY payout_id) t
        WHERE p.id = t.payout_id`,
      [runId, programId, now, ...clawedParams(clawed)],
    );
  }

  /**
   * Open (not yet recovered) clawbacks among `clawed` (the programme's clawed-back claims), per claim, in the order
   * given — of retailers without a credit: a retailer the programme owes money back has its debts netted against
   * that credit in its next payout, not reversed from its earlier transfers.
   */
  async openClawbacks(tx: Tx, programId: string, clawed: PayableClaim[]): Promise<OpenClawback[]> {
    if (!clawed.length) return [];
    const rows: { claim_id: string; retailer_id: string; city: string; open_fen: string }[] = await tx.query(
      `WITH clawed AS (
         SELECT c.claim_id, c.retailer_id, c.city, c.ord, c.amount_fen - coalesce(r.s, 0) AS open_fen
           FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::bigint[]) WITH ORDINALITY AS c(claim_id, retailer_id, city, amount_fen, ord)
           LEFT JOIN (SELECT claim_id, sum(amount_fen) AS s FROM clawback_recoveries WHERE active AND program_id = $1 GROUP BY claim_id) r
             ON r.claim_id = c.claim_id
       )
       SELECT claim_id, retailer_id, city, open_fen::text AS open_fen FROM clawed
        WHERE open_fen > 0 AND retailer_id NOT IN (SELECT retailer_id FROM clawed WHERE open_fen < 0)
        ORDER BY ord`,
      [programId, ...clawedParams(clawed)],
    );
    return rows.map((r) => ({ claimId: r.claim_id, retailerId: r.retailer_id, city: r.city, openFen: fenFromDb(r.open_fen, 'open clawback') }));
  }

  /** Earlier paid Stripe transfers of these retailers that can still be reversed, newest first. */
  async reversibleTransfers(tx: Tx, programId: string, retailerIds: string[]): Promise<ReversibleTransfer[]> {
    if (!retailerIds.length) return [];
    const rows: { payout_id: string; retailer_id: string; reversible: string }[] = await tx.query(
      `SELECT p.id AS payout_id, p.retailer_id,
              (p.amount_fen - p.reversed_fen - coalesce((SELECT sum(v.amount_fen) FROM payout_reversals v WHERE v.payout_id = p.id AND v.status = 'pending'), 0))::text AS reversible
         FROM payouts p
        WHERE p.program_id = $1 AND p.retailer_id = ANY($2::uuid[]) AND p.gateway = 'stripe' AND p.status = 'paid' AND p.gateway_ref IS NOT NULL
        ORDER BY p.retailer_id, p.paid_at DESC, p.id`,
      [programId, retailerIds],
    );
    return rows.map((r) => ({ payoutId: r.payout_id, retailerId: r.retailer_id, reversibleFen: fenFromDb(r.reversible, 'reversible') }));
  }

  async insertReversals(tx: Tx, runId: string, programId: string, reversals: NewReversal[], recoveries: NewRecovery[], now: Date): Promise<void> {
    if (!reversals.length) return;
    await tx.query(
      `INSERT INTO payout_reversals (id, run_id, payout_id, retailer_id, amount_fen, idempotency_key, status, next_attempt_at, created_at)
       SELECT v.id, $1, v.payout_id, v.retailer_id, v.amount_fen, 'hx-reversal-' || v.id::text, 'pending', $2, $2
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::bigint[]) AS v(id, payout_id, retailer_id, amount_fen)`,
      [runId, now, reversals.map((r) => r.id), reversals.map((r) => r.payoutId), reversals.map((r) => r.retailerId), reversals.map((r) => String(r.amountFen))],
    );
    await tx.query(
      `INSERT INTO clawback_recoveries (claim_id, program_id, retailer_id, city, kind, amount_fen, reversal_id, created_at)
       SELECT x.claim_id, $1, x.retailer_id, x.city, 'reversal', x.amount_fen, x.reversal_id, $2
         FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::uuid[]) AS x(claim_id, retailer_id, city, amount_fen, reversal_id)`,
      [programId, now, recoveries.map((r) => r.claimId), recoveries.map((r) => r.retailerId), recoveries.map((r) => r.city),
        recoveries.map((r) => String(r.amountFen)), recoveries.map((r) => r.reversalId)],
    );
  }

  /** The reversals a run planned, in the order written (read from the pool). */
  async findReversalsOfRun(runId: string): Promise<Reversal[]> {
    const rows: ReversalRow[] = await this.db.manager.query(`${REVERSAL_SELECT} WHERE v.run_id = $1 ORDER BY v.created_at, v.id`, [runId]);
    return rows.map(toReversal);
  }

  /** The next reversal due, locked for the caller's transaction (another worker skips it). */
  async lockNextReversal(tx: Tx, now: Date): Promise<Reversal | undefined> {
    const rows: ReversalRow[] = await tx.query(
      `${REVERSAL_SELECT}
        WHERE v.status = 'pending' AND v.next_attempt_at <= $1
        ORDER BY v.next_attempt_at, v.id
        LIMIT 1
          FOR UPDATE OF v SKIP LOCKED`,
      [now],
    );
    return rows[0] && toReversal(rows[0]);
  }

  /** A reversal that did not get an answer: tried again at `at`. */
  async retryLater(tx: Tx, reversalId: string, error: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE payout_reversals SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`,
      [reversalId, error.slice(0, 1000), at],
    );
  }

  /** The reversals of a payout pending or made (the webhook tells ours from someone else's). */
  async reversalsOfPayout(tx: Tx, payoutId: string): Promise<{ gatewayRef: string | null; amountFen: number; status: 'pending' | 'succeeded' }[]> {
    const rows: { gateway_ref: string | null; amount_fen: string; status: 'pending' | 'succeeded' }[] = await tx.query(
      `SELECT gateway_ref, amount_fen::text, status FROM payout_reversals WHERE payout_id = $1 AND status IN ('pending', 'succeeded')`,
      [payoutId],
    );
    return rows.map((r) => ({ gatewayRef: r.gateway_ref, amountFen: fenFromDb(r.amount_fen, 'reversal amount'), status: r.status }));
  }

  /** pending → succeeded; answers the reversal if this call changed it. */
  async markReversalSucceeded(tx: Tx, reversalId: string, reference: string, now: Date): Promise<NewReversal | undefined> {
    const rows: { id: string; payout_id: string; retailer_id: string; amount_fen: string }[] = returnedRows(await tx.query(
      `UPDATE payout_reversals SET status = 'succeeded', gateway_ref = $2, completed_at = $3
        WHERE id = $1 AND status = 'pending'
       RETURNING id, payout_id, retailer_id, amount_fen::text`,
      [reversalId, reference, now],
    ));
    return rows[0] && { id: rows[0].id, payoutId: rows[0].payout_id, retailerId: rows[0].retailer_id, amountFen: fenFromDb(rows[0].amount_fen, 'reversal amount') };
  }

  /** pending → failed; answers the reversal if this call changed it. Its recoveries are undone (the clawbacks open again). */
  async markReversalFailed(tx: Tx, reversalId: string, code: string, reason: string, now: Date): Promise<NewReversal | undefined> {
    const rows: { id: string; payout_id: string; retailer_id: string; amount_fen: string }[] = returnedRows(await tx.query(
      `UPDATE payout_reversals SET status = 'failed', failure_code = $2, failure_reason = $3, completed_at = $4
        WHERE id = $1 AND status = 'pending'
       RETURNING id, payout_id, retailer_id, amount_fen::text`,
      [reversalId, code.slice(0, 200), reason.slice(0, 1000), now],
    ));
    if (!rows[0]) return undefined;
    await tx.query(`UPDATE clawback_recoveries SET active = false WHERE reversal_id = $1`, [reversalId]);
    return { id: rows[0].id, payoutId: rows[0].payout_id, retailerId: rows[0].retailer_id, amountFen: fenFromDb(rows[0].amount_fen, 'reversal amount') };
  }

  /** What a reversal recovered, per city, for the ledger (the payout names the programme). */
  async recoverMoves(tx: Tx, reversalId: string, payoutId: string): Promise<CityMove[]> {
    const rows: { program_id: string; retailer_id: string; city: string; recovered: string }[] = await tx.query(
      `SELECT p.program_id, r.retailer_id, r.city, sum(r.amount_fen)::text AS recovered
         FROM clawback_recoveries r JOIN payouts p ON p.id = $2
        WHERE r.reversal_id = $1 AND r.active
        GROUP BY p.program_id, r.retailer_id, r.city
        ORDER BY r.city`,
      [reversalId, payoutId],
    );
    return rows.map((r) => ({
      payoutId, programId: r.program_id, retailerId: r.retailer_id, city: r.city, grossFen: 0, recoveredFen: fenFromDb(r.recovered, 'recovered'), undoneFen: 0,
    }));
  }

  /**
   * The clawed-back claims of a returned payout: their whole amount came back with the money (`claims`: as the
   * claims library holds them; those with nothing to recover are left out).
   */
  async insertReturned(tx: Tx, payoutId: string, claims: HeldClaim[], now: Date): Promise<void> {
    const back = claims.filter((c) => c.amountFen > 0);
    if (!back.length) return;
    await tx.query(
      `INSERT INTO clawback_recoveries (claim_id, program_id, retailer_id, city, kind, amount_fen, payout_id, created_at)
       SELECT x.claim_id, x.program_id, x.retailer_id, x.city, 'returned', x.amount_fen, $1, $2
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::bigint[]) AS x(claim_id, program_id, retailer_id, city, amount_fen)`,
      [payoutId, now, back.map((c) => c.id), back.map((c) => c.programId), back.map((c) => c.retailerId), back.map((c) => c.city), back.map((c) => c.amountFen)],
    );
  }

  /** The clawbacks these payouts netted are open again (the payouts failed or came back). */
  async undoNetted(tx: Tx, payoutIds: string[]): Promise<void> {
    if (!payoutIds.length) return;
    await tx.query(`UPDATE clawback_recoveries SET active = false WHERE payout_id = ANY($1::uuid[]) AND kind = 'netted' AND active`, [payoutIds]);
  }

  /** The recoveries of these payouts, for their statements, by payout in the order recorded (read from the pool). */
  async statementRecoveries(payoutIds: string[]): Promise<StatementRecovery[]> {
    if (!payoutIds.length) return [];
    const rows: { payout_id: string; claim_id: string; city: string; kind: 'netted' | 'returned'; amount_fen: string }[] = await this.db.manager.query(
      `SELECT payout_id, claim_id, city, kind, amount_fen::text FROM clawback_recoveries WHERE payout_id = ANY($1::uuid[]) ORDER BY payout_id, id`,
      [payoutIds],
    );
    return rows.map((r) => ({ payoutId: r.payout_id, claimId: r.claim_id, city: r.city, kind: r.kind, amountFen: fenFromDb(r.amount_fen, 'recovery amount') }));
  }
}
