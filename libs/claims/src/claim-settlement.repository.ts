import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import { canTransition } from './claim-states';
import type { ClaimStatus } from './claims.repository';

/** A claim as settlement pays it: whose, in which city, how much. */
export interface PayableClaim {
  id: string;
  retailerId: string;
  city: string;
  amountFen: number;
}

/** A claim held by a payout's return, as it is now. */
export interface HeldClaim extends PayableClaim {
  programId: string;
  status: ClaimStatus;
}

/** A retailer's approved claims in one programme, counted and summed. */
export interface RetailerClaimTotal {
  retailerId: string;
  claimCount: number;
  amountFen: number;
}

/** What a payout statement shows of a claim besides its payout line. */
export interface StatementClaimLine {
  id: string;
  storeCode: string;
  invoiceNumber: string;
  soldAt: Date;
}

function guard(from: ClaimStatus, to: ClaimStatus): void {
  if (!canTransition(from, to)) throw new RangeError(`claims: no transition from ${from} to ${to}`);
}

const toPayable = (r: { id: string; retailer_id: string; city: string; amount_fen: string }): PayableClaim => ({
  id: r.id, retailerId: r.retailer_id, city: r.city, amountFen: fenFromDb(r.amount_fen, 'claim amount'),
});

/**
 * The claims side of settlement (libs/settlement): set-based reads and moves along the state machine
 * (claim-states.ts), never a statement per claim — a payout run moves 100,000 claims. Settlement keeps its own
 * tables (payouts, payout_claims, clawback_recoveries) and passes claim ids here; nothing here reads them.
 */
@Injectable()
export class ClaimSettlementRepository {
  constructor(private readonly db: TransactionService) {}

  /** Approved claims of a programme per retailer (what a run would pay each), in retailer id order. */
  async approvedTotals(tx: Tx, programId: string): Promise<RetailerClaimTotal[]> {
    const rows: { retailer_id: string; n: number; s: string }[] = await tx.query(
      `SELECT retailer_id, count(*)::int AS n, sum(amount_fen)::text AS s
         FROM claims WHERE program_id = $1 AND status = 'approved'
        GROUP BY retailer_id ORDER BY retailer_id`,
      [programId],
    );
    return rows.map((r) => ({ retailerId: r.retailer_id, claimCount: r.n, amountFen: fenFromDb(r.s, 'approved total') }));
  }

  /**
   * approved → in_payout for every approved claim of these retailers in the programme, in one statement; the
   * conditional update is the guard (a claim cancelled a moment ago is simply not taken). Answers the claims moved.
   */
  async moveForPayout(tx: Tx, programId: string, retailerIds: string[], at: Date): Promise<PayableClaim[]> {
    guard('approved', 'in_payout');
    if (!retailerIds.length) return [];
    const rows: { id: string; retailer_id: string; city: string; amount_fen: string }[] = returnedRows(await tx.query(
      `UPDATE claims SET status = 'in_payout', updated_at = $3
        WHERE program_id = $1 AND status = 'approved' AND retailer_id = ANY($2::uuid[])
       RETURNING id, retailer_id, city, amount_fen::text AS amount_fen`,
      [programId, retailerIds, at],
    ));
    return rows.map(toPayable);
  }

  /**
   * Moves those of `ids` that are `from` now to `to`, in one statement (the others are left as they are).
   * Answers the ids moved.
   */
  async moveMany(tx: Tx, ids: string[], from: ClaimStatus, to: ClaimStatus, at: Date): Promise<string[]> {
    guard(from, to);
    if (!ids.length) return [];
    const rows: { id: string }[] = returnedRows(await tx.query(
      `UPDATE claims
          SET status = $3, updated_at = $4,
              cancelled_at = CASE WHEN $3 IN ('cancelled', 'clawed_back') THEN $4 ELSE cancelled_at END
        WHERE id = ANY($1::uuid[]) AND status = $2
       RETURNING id`,
      [ids, from, to, at],
    ));
    return rows.map((r) => r.id);
  }

  /**
   * The claims, held until `tx` ends (FOR UPDATE, in id order), as they are once held: a cancellation or clawback
   * racing the caller either committed first (and is read here) or waits for the caller.
   */
  async lockMany(tx: Tx, ids: string[]): Promise<HeldClaim[]> {
    if (!ids.length) return [];
    const rows: { id: string; program_id: string; retailer_id: string; city: string; amount_fen: string; status: ClaimStatus }[] = await tx.query(
      `SELECT id, program_id, retailer_id, city, amount_fen::text AS amount_fen, status
         FROM claims WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return rows.map((r) => ({ ...toPayable(r), programId: r.program_id, status: r.status }));
  }

  /**
   * Clawed-back claims of the programme (of these retailers, or all), per retailer oldest clawback first
   * (cancelled_at, then id): the order their debts are recovered in.
   */
  async clawedBack(tx: Tx, programId: string, retailerIds: string[] | null): Promise<PayableClaim[]> {
    if (retailerIds && !retailerIds.length) return [];
    const rows: { id: string; retailer_id: string; city: string; amount_fen: string }[] = await tx.query(
      `SELECT id, retailer_id, city, amount_fen::text AS amount_fen
         FROM claims
        WHERE program_id = $1 AND status = 'clawed_back' AND ($2::uuid[] IS NULL OR retailer_id = ANY($2::uuid[]))
        ORDER BY retailer_id, cancelled_at, id`,
      [programId, retailerIds],
    );
    return rows.map(toPayable);
  }

  /** Store, invoice and sale time of these claims, for payout statements (read from the pool). */
  async statementLines(ids: string[]): Promise<StatementClaimLine[]> {
    if (!ids.length) return [];
    const rows: { id: string; store_code: string; invoice_number: string; sold_at: Date }[] = await this.db.manager.query(
      `SELECT id, store_code, invoice_number, sold_at FROM claims WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => ({ id: r.id, storeCode: r.store_code, invoiceNumber: r.invoice_number, soldAt: r.sold_at }));
  }
}
