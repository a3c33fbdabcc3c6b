import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { queryPrepared, returnedRows, TransactionService, Tx } from '@huanxin/database';
import { ClaimFilter, claimFilterSql, ClaimKey, CREATED_KEY_SQL } from './claim-filter';
import { canTransition, isAppealReinstatement, LIVE_CLAIM_SQL } from './claim-states';

export type ClaimStatus = 'pending_review' | 'approved' | 'rejected' | 'cancelled' | 'in_payout' | 'paid' | 'payout_failed' | 'clawed_back';

/** A claim as the platform reads it: camelCase, fen as numbers (parsed once, here). */
export interface Claim {
  id: string;
  programId: string;
  programCode: string;
  city: string;
  retailerId: string;
  storeCode: string;
  householdId: string;
  voucherCode: string;
  modelCode: string;
  serialNumber: string;
  invoiceNumber: string;
  salePriceFen: number;
  soldAt: Date;
  receiptIssuer: string;
  receiptRid: string;
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
  decidedBy: string | null;
  decisionReason: string | null;
  decidedAt: Date | null;
  cancelReason: string | null;
  cancelledAt: Date | null;
  /** issue 13: held from payout for unconfirmed dismantling, and how the hold ended (claim-dismantling.repository.ts) */
  dismantling: 'held' | 'confirmed' | 'released' | null;
  createdAt: Date;
  updatedAt: Date;
  /** `created_at` at full (microsecond) precision, for keyset cursors a JS Date would round. */
  createdKey: string;
}

/** What a move needs to book the claim's money. */
export interface MovedClaim {
  id: string;
  programId: string;
  city: string;
  retailerId: string;
  amountFen: number;
}

/** A claim as the trade-in records it: everything but what happens to it later, plus the rows it references. */
export type NewClaim = Omit<Claim, 'decidedBy' | 'decisionReason' | 'decidedAt' | 'cancelReason' | 'cancelledAt' | 'updatedAt' | 'createdKey' | 'dismantling'> & {
  storeId: string;
  voucherId: string;
  receiptKid: string;
};

/** What `saleFacts` answers: the trade-in's questions to claims and trade_in_failures. */
export interface SaleFacts {
  serialLive: boolean;
  invoiceLive: boolean;
  receiptLive: boolean;
  householdClaims: number;
  storeClaimsSince: number;
  priorRejections: boolean;
  retailerClaims: number;
}

/** The claims table alone: the codes a claim was submitted with are its own columns (migration 1764000008000). */
const CLAIM_SELECT = `
  SELECT c.id, c.program_id, c.program_code, c.city, c.retailer_id, c.store_code, c.household_id, c.voucher_code, c.model_code,
         c.serial_number, c.invoice_number, c.sale_price_fen, c.sold_at, c.receipt_issuer, c.receipt_rid, c.receipt_issued_at,
         c.policy_version, c.rate_bp, c.cap_fen, c.base_fen, c.amount_fen, c.capped, c.reserved_fen, c.status, c.flags,
         c.review_reasons, c.checks, c.decided_by, c.decision_reason, c.decided_at, c.cancel_reason, c.cancelled_at, c.created_at,
         c.updated_at, c.dismantling, ${CREATED_KEY_SQL} AS created_key
    FROM claims c`;

function toClaim(r: any): Claim {
  return {
    id: r.id, programId: r.program_id, programCode: r.program_code, city: r.city, retailerId: r.retailer_id, storeCode: r.store_code,
    householdId: r.household_id, voucherCode: r.voucher_code, modelCode: r.model_code, serialNumber: r.serial_number,
    invoiceNumber: r.invoice_number, salePriceFen: fenFromDb(r.sale_price_fen), soldAt: r.sold_at, receiptIssuer: r.receipt_issuer,
    receiptRid: r.receipt_rid, receiptIssuedAt: r.receipt_issued_at, policyVersion: r.policy_version, rateBp: r.rate_bp,
    capFen: fenFromDb(r.cap_fen), baseFen: fenFromDb(r.base_fen), amountFen: fenFromDb(r.amount_fen), capped: r.capped,
    reservedFen: fenFromDb(r.reserved_fen), status: r.status, flags: r.flags, reviewReasons: r.review_reasons, checks: r.checks,
    decidedBy: r.decided_by, decisionReason: r.decision_reason, decidedAt: r.decided_at, cancelReason: r.cancel_reason,
    cancelledAt: r.cancelled_at, dismantling: r.dismantling ?? null, createdAt: r.created_at, updatedAt: r.updated_at, createdKey: r.created_key,
  };
}

@Injectable()
export class ClaimsRepository {
  constructor(private readonly db: TransactionService) {}

  /** The trade-in's claim, as a prepared statement (`queryPrepared`: planned once per connection). */
  async insert(tx: Tx, c: NewClaim): Promise<void> {
    await queryPrepared(tx,
      `INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number,
         invoice_number, sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version,
         rate_bp, cap_fen, base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, created_at, updated_at,
         program_code, store_code, voucher_code)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$28,$29,$30,$31)`,
      [c.id, c.programId, c.city, c.retailerId, c.storeId, c.householdId, c.voucherId, c.modelCode, c.serialNumber,
        c.invoiceNumber, c.salePriceFen, c.soldAt, c.receiptIssuer, c.receiptRid, c.receiptKid, c.receiptIssuedAt,
        c.policyVersion, c.rateBp, c.capFen, c.baseFen, c.amountFen, c.capped, c.reservedFen, c.status, c.flags,
        c.reviewReasons, JSON.stringify(c.checks), c.createdAt, c.programCode, c.storeCode, c.voucherCode],
    );
  }

  async liveSerialExists(tx: Tx, serial: string): Promise<boolean> {
    const rows = await tx.query(
      `SELECT 1 FROM claims WHERE serial_number = $1 AND ${LIVE_CLAIM_SQL} LIMIT 1`, [serial]);
    return rows.length > 0;
  }

  /**
   * Everything the trade-in's checklist asks of claims and trade_in_failures, in one statement (its steps 6 to 9
   * then judge the answers in their order): whether the serial, the invoice (for this retailer) and the receipt
   * are in a live claim; the household's live claims in the programme; the store's claims since `since`; whether
   * the serial or the receipt was in a rejected claim or a failed submission before (prior_rejections); and the
   * retailer's claims. The counts stop at `countsUpTo`'s bounds — enough to compare with a limit, and a retailer
   * with 100,000 claims is not counted in full on every sale. An unknown receipt (`issuer` null) matches nothing.
   * A prepared statement (`queryPrepared`): planning its subqueries cost PostgreSQL several times running them.
   */
  async saleFacts(tx: Tx, q: {
    serial: string; retailerId: string; invoice: string; issuer: string | null; rid: string | null;
    programId: string; householdId: string; storeId: string; since: Date;
    countsUpTo: { household: number; store: number; retailer: number };
  }): Promise<SaleFacts> {
    const [r] = await queryPrepared(tx,
      `SELECT EXISTS (SELECT 1 FROM claims WHERE serial_number = $1 AND ${LIVE_CLAIM_SQL}) AS serial_live,
              EXISTS (SELECT 1 FROM claims WHERE retailer_id = $2 AND invoice_number = $3 AND ${LIVE_CLAIM_SQL}) AS invoice_live,
              EXISTS (SELECT 1 FROM claims WHERE receipt_issuer = $4 AND receipt_rid = $5 AND ${LIVE_CLAIM_SQL}) AS receipt_live,
              (SELECT count(*)::int FROM (SELECT 1 FROM claims WHERE program_id = $6 AND household_id = $7 AND ${LIVE_CLAIM_SQL} LIMIT $10) h) AS household_claims,
              (SELECT count(*)::int FROM (SELECT 1 FROM claims WHERE store_id = $8 AND created_at > $9 LIMIT $11) s) AS store_claims,
              EXISTS (SELECT 1 FROM claims WHERE phase = 'rejected' AND (serial_number = $1 OR (receipt_issuer = $4 AND receipt_rid = $5))
                      UNION ALL
                      SELECT 1 FROM trade_in_failures WHERE serial_number = $1 OR (receipt_issuer = $4::text AND receipt_rid = $5)) AS prior_rejections,
              (SELECT count(*)::int FROM (SELECT 1 FROM claims WHERE retailer_id = $2 LIMIT $12) r) AS retailer_claims`,
      [q.serial, q.retailerId, q.invoice, q.issuer, q.rid, q.programId, q.householdId, q.storeId, q.since,
        q.countsUpTo.household, q.countsUpTo.store, q.countsUpTo.retailer],
    );
    return {
      serialLive: r.serial_live, invoiceLive: r.invoice_live, receiptLive: r.receipt_live, householdClaims: r.household_claims,
      storeClaimsSince: r.store_claims, priorRejections: r.prior_rejections, retailerClaims: r.retailer_claims,
    };
  }

  async recordFailure(f: { retailerId?: string; serial?: string; issuer?: string; rid?: string; code: string }): Promise<void> {
    await this.db.manager.query(
      `INSERT INTO trade_in_failures (retailer_id, serial_number, receipt_issuer, receipt_rid, code) VALUES ($1, $2, $3, $4, $5)`,
      [f.retailerId ?? null, f.serial ?? null, f.issuer ?? null, f.rid ?? null, f.code],
    );
  }

  async findById(id: string): Promise<Claim | undefined> {
    const rows = await this.db.manager.query(`${CLAIM_SELECT} WHERE c.id = $1`, [id]);
    return rows[0] && toClaim(rows[0]);
  }

  /** Several claims by id, one query (a page of appeals shows its claims); unknown ids are absent. */
  async findMany(ids: string[]): Promise<Map<string, Claim>> {
    if (!ids.length) return new Map();
    const rows = await this.db.manager.query(`${CLAIM_SELECT} WHERE c.id = ANY($1::uuid[])`, [[...new Set(ids)]]);
    return new Map(rows.map((r: any) => [r.id, toClaim(r)]));
  }

  /** The claim, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockById(tx: Tx, id: string): Promise<Claim | undefined> {
    const rows = await tx.query(`${CLAIM_SELECT} WHERE c.id = $1 FOR UPDATE OF c`, [id]);
    return rows[0] && toClaim(rows[0]);
  }

  /** A retailer's or household's claims: keyset page, newest first. */
  async page(where: { retailerId?: string; householdId?: string; status?: ClaimStatus }, limit: number, after?: { createdAt: Date; id: string }): Promise<Claim[]> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (where.status) conds.push(`c.status = $${params.push(where.status)}`);
    if (where.retailerId) conds.push(`c.retailer_id = $${params.push(where.retailerId)}`);
    if (where.householdId) conds.push(`c.household_id = $${params.push(where.householdId)}`);
    if (after) conds.push(`(c.created_at, c.id) < ($${params.push(after.createdAt)}, $${params.push(after.id)})`);
    const rows = await this.db.manager.query(
      `${CLAIM_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toClaim);
  }

  /** The auditor's queue (claim-filter.ts): one keyset page in either direction, `limit` rows at most. */
  async filteredPage(filter: ClaimFilter, order: 'asc' | 'desc', limit: number, after?: ClaimKey): Promise<Claim[]> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    if (after) {
      conds.push(`(c.created_at, c.id) ${order === 'asc' ? '>' : '<'} ($${params.push(after.createdKey)}::timestamptz, $${params.push(after.id)}::uuid)`);
    }
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    const rows = await this.db.manager.query(
      `${CLAIM_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY c.created_at ${dir}, c.id ${dir} LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toClaim);
  }

  /**
   * One conditional move along the state machine (claim-states.ts): the claim moves only if it is `from` now, so
   * of any number of writers racing on one claim exactly one sees its row come back; the others wait on the row
   * lock, then find it moved and get nothing. A decision records who and why; a cancellation or clawback why.
   */
  async transition(tx: Tx, id: string, from: ClaimStatus, to: ClaimStatus, extra: { at: Date; decidedBy?: string; decisionReason?: string; cancelReason?: string }): Promise<MovedClaim | undefined> {
    // an upheld appeal's reinstatement (rejected → approved) is the one move outside the table; the trigger checks the appeal
    if (!canTransition(from, to) && !isAppealReinstatement(from, to)) throw new RangeError(`claims: no transition from ${from} to ${to}`);
    const rows = returnedRows<{ id: string; program_id: string; city: string; retailer_id: string; amount_fen: string }>(await tx.query(
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
    return rows[0] && { id: rows[0].id, programId: rows[0].program_id, city: rows[0].city, retailerId: rows[0].retailer_id, amountFen: fenFromDb(rows[0].amount_fen) };
  }

  /** The household's live claims in the programme other than `exceptId`, counted up to `upTo` (a limit's worth). */
  async householdLiveClaims(tx: Tx, q: { programId: string; householdId: string; exceptId: string; upTo: number }): Promise<number> {
    const [r] = await tx.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM claims
          WHERE program_id = $1 AND household_id = $2 AND id <> $3 AND ${LIVE_CLAIM_SQL} LIMIT $4) h`,
      [q.programId, q.householdId, q.exceptId, q.upTo]);
    return r.n;
  }

  async statusOf(tx: Tx, id: string): Promise<ClaimStatus | undefined> {
    const rows = await tx.query(`SELECT status FROM claims WHERE id = $1`, [id]);
    return rows[0]?.status;
  }
}
