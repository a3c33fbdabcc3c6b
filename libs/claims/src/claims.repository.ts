import { Injectable } from '@nestjs/common';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import { canTransition, LIVE_CLAIM_SQL } from './claim-states';

export type ClaimStatus = 'pending_review' | 'approved' | 'rejected' | 'cancelled' | 'in_payout' | 'paid' | 'payout_failed' | 'clawed_back';

export interface ClaimRow {
  id: string;
  program_id: string;
  program_code: string;
  city: string;
  retailer_id: string;
  store_code: string;
  household_id: string;
  voucher_code: string;
  model_code: string;
  serial_number: string;
  invoice_number: string;
  sale_price_fen: string;
  sold_at: Date;
  receipt_issuer: string;
  receipt_rid: string;
  receipt_issued_at: Date;
  policy_version: number;
  rate_bp: number;
  cap_fen: string;
  base_fen: string;
  amount_fen: string;
  capped: boolean;
  reserved_fen: string;
  status: ClaimStatus;
  flags: string[];
  review_reasons: string[];
  checks: unknown;
  decision_reason: string | null;
  decided_at: Date | null;
  cancel_reason: string | null;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What a move needs to book the claim's money. */
export interface MovedClaim {
  id: string;
  program_id: string;
  city: string;
  retailer_id: string;
  amount_fen: string;
}

export interface NewClaim {
  id: string;
  programId: string;
  city: string;
  retailerId: string;
  storeId: string;
  householdId: string;
  voucherId: string;
  modelCode: string;
  serialNumber: string;
  invoiceNumber: string;
  salePriceFen: number;
  soldAt: Date;
  receiptIssuer: string;
  receiptRid: string;
  receiptKid: string;
  receiptIssuedAt: Date;
  policyVersion: number;
  rateBp: number;
  capFen: number;
  baseFen: number;
  amountFen: number;
  capped: boolean;
  reservedFen: number;
  status: ClaimStatus;
  flags: string[];
  reviewReasons: string[];
  checks: unknown;
  createdAt: Date;
}

export const CLAIM_SELECT = `
  SELECT c.id, c.program_id, p.code AS program_code, c.city, c.retailer_id, s.code AS store_code, c.household_id,
         v.code AS voucher_code, c.model_code, c.serial_number, c.invoice_number, c.sale_price_fen, c.sold_at,
         c.receipt_issuer, c.receipt_rid, c.receipt_issued_at, c.policy_version, c.rate_bp, c.cap_fen, c.base_fen,
         c.amount_fen, c.capped, c.reserved_fen, c.status, c.flags, c.review_reasons, c.checks, c.decision_reason,
         c.decided_at, c.cancel_reason, c.cancelled_at, c.created_at, c.updated_at
    FROM claims c
    JOIN programs p ON p.id = c.program_id
    JOIN stores s ON s.id = c.store_id
    JOIN vouchers v ON v.id = c.voucher_id`;

@Injectable()
export class ClaimsRepository {
  constructor(private readonly db: TransactionService) {}

  async insert(tx: Tx, c: NewClaim): Promise<void> {
    await tx.query(
      `INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number,
         invoice_number, sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version,
         rate_bp, cap_fen, base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$28)`,
      [c.id, c.programId, c.city, c.retailerId, c.storeId, c.householdId, c.voucherId, c.modelCode, c.serialNumber,
        c.invoiceNumber, c.salePriceFen, c.soldAt, c.receiptIssuer, c.receiptRid, c.receiptKid, c.receiptIssuedAt,
        c.policyVersion, c.rateBp, c.capFen, c.baseFen, c.amountFen, c.capped, c.reservedFen, c.status, c.flags,
        c.reviewReasons, JSON.stringify(c.checks), c.createdAt],
    );
  }

  async liveSerialExists(tx: Tx | undefined, serial: string): Promise<boolean> {
    const rows = await (tx ?? this.db.manager).query(
      `SELECT 1 FROM claims WHERE serial_number = $1 AND ${LIVE_CLAIM_SQL} LIMIT 1`, [serial]);
    return rows.length > 0;
  }

  async liveInvoiceExists(tx: Tx, retailerId: string, invoice: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM claims WHERE retailer_id = $1 AND invoice_number = $2 AND ${LIVE_CLAIM_SQL} LIMIT 1`,
      [retailerId, invoice]);
    return rows.length > 0;
  }

  async liveReceiptExists(tx: Tx, issuer: string, rid: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM claims WHERE receipt_issuer = $1 AND receipt_rid = $2 AND ${LIVE_CLAIM_SQL} LIMIT 1`,
      [issuer, rid]);
    return rows.length > 0;
  }

  /** prior_rejections: the serial or the receipt was in a rejected claim or a failed submission before. */
  async priorRejections(tx: Tx, serial: string, issuer: string, rid: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM claims WHERE status = 'rejected' AND (serial_number = $1 OR (receipt_issuer = $2 AND receipt_rid = $3))
       UNION ALL
       SELECT 1 FROM trade_in_failures WHERE serial_number = $1 OR (receipt_issuer = $2::text AND receipt_rid = $3)
       LIMIT 1`,
      [serial, issuer, rid]);
    return rows.length > 0;
  }

  async storeClaimsSince(tx: Tx, storeId: string, since: Date): Promise<number> {
    const [r] = await tx.query(`SELECT count(*)::int AS n FROM claims WHERE store_id = $1 AND created_at > $2`, [storeId, since]);
    return r.n;
  }

  async retailerClaimCount(tx: Tx, retailerId: string): Promise<number> {
    const [r] = await tx.query(`SELECT count(*)::int AS n FROM claims WHERE retailer_id = $1`, [retailerId]);
    return r.n;
  }

  async recordFailure(f: { retailerId?: string; serial?: string; issuer?: string; rid?: string; code: string }): Promise<void> {
    await this.db.manager.query(
      `INSERT INTO trade_in_failures (retailer_id, serial_number, receipt_issuer, receipt_rid, code) VALUES ($1, $2, $3, $4, $5)`,
      [f.retailerId ?? null, f.serial ?? null, f.issuer ?? null, f.rid ?? null, f.code],
    );
  }

  async findById(id: string, tx?: Tx): Promise<ClaimRow | undefined> {
    const rows = await (tx ?? this.db.manager).query(`${CLAIM_SELECT} WHERE c.id = $1`, [id]);
    return rows[0];
  }

  /** The claim, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockById(tx: Tx, id: string): Promise<ClaimRow | undefined> {
    const rows = await tx.query(`${CLAIM_SELECT} WHERE c.id = $1 FOR UPDATE OF c`, [id]);
    return rows[0];
  }

  /** Keyset page, newest first. */
  async page(where: { retailerId?: string; householdId?: string; status?: ClaimStatus }, limit: number, after?: { createdAt: Date; id: string }): Promise<ClaimRow[]> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (where.status) conds.push(`c.status = $${params.push(where.status)}`);
    if (where.retailerId) conds.push(`c.retailer_id = $${params.push(where.retailerId)}`);
    if (where.householdId) conds.push(`c.household_id = $${params.push(where.householdId)}`);
    if (after) conds.push(`(c.created_at, c.id) < ($${params.push(after.createdAt)}, $${params.push(after.id)})`);
    return this.db.manager.query(
      `${CLAIM_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id DESC LIMIT $${params.push(limit)}`,
      params,
    );
  }

  /**
   * One conditional move along the state machine (claim-states.ts): the claim moves only if it is `from` now, so
   * of any number of writers racing on one claim exactly one sees its row come back; the others wait on the row
   * lock, then find it moved and get nothing. A decision records who and why; a cancellation or clawback why.
   */
  async transition(tx: Tx, id: string, from: ClaimStatus, to: ClaimStatus, extra: { at: Date; decidedBy?: string; decisionReason?: string; cancelReason?: string }): Promise<MovedClaim | undefined> {
    if (!canTransition(from, to)) throw new RangeError(`claims: no transition from ${from} to ${to}`);
    const rows = returnedRows<MovedClaim>(await tx.query(
      `UPDATE claims
          SET status = $3, updated_at = $4,
              decided_by = coalesce($5::uuid, decided_by), decision_reason = coalesce($6, decision_reason),
              decided_at = CASE WHEN $5::uuid IS NOT NULL THEN $4 ELSE decided_at END,
              cancel_reason = coalesce($7, cancel_reason),
              cancelled_at = CASE WHEN $3 IN ('cancelled', 'clawed_back') THEN $4 ELSE cancelled_at END
        WHERE id = $1 AND status = $2
        RETURNING id, program_id, city, retailer_id, amount_fen::text AS amount_fen`,
      [id, from, to, extra.at, extra.decidedBy ?? null, extra.decisionReason ?? null, extra.cancelReason ?? null],
    ));
    return rows[0];
  }

  async statusOf(tx: Tx, id: string): Promise<ClaimStatus | undefined> {
    const rows = await tx.query(`SELECT status FROM claims WHERE id = $1`, [id]);
    return rows[0]?.status;
  }


}
