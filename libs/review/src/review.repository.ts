import { Injectable } from '@nestjs/common';
import type { ClaimRow } from '@huanxin/claims';
import { TransactionService } from '@huanxin/database';
import { ClaimFilter, claimFilterSql, ClaimKey, CREATED_KEY_SQL } from './claim-filter';

/** A claim as the auditor sees it: the retailer's view plus what review needs. */
export interface ReviewClaimRow extends ClaimRow {
  created_key: string;
  retailer_name: string;
  resolution: string;
  energy_grade: number;
  decided_by: string | null;
}

export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  actor: Record<string, string>;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: Record<string, unknown>;
}

export interface MovementRow {
  id: string;
  kind: string;
  reference: string | null;
  note: string | null;
  actor_id: string | null;
  created_at: Date;
  entries: { kind: string; retailer_id: string | null; amount_fen: string }[];
}


const REVIEW_SELECT = `
  SELECT c.id, c.program_id, p.code AS program_code, c.city, c.retailer_id, r.name AS retailer_name, s.code AS store_code,
         c.household_id, v.code AS voucher_code, c.model_code, m.resolution, m.energy_grade, c.serial_number, c.invoice_number,
         c.sale_price_fen, c.sold_at, c.receipt_issuer, c.receipt_rid, c.receipt_issued_at, c.policy_version, c.rate_bp, c.cap_fen,
         c.base_fen, c.amount_fen, c.capped, c.reserved_fen, c.status, c.flags, c.review_reasons, c.checks, c.decided_by,
         c.decision_reason, c.decided_at, c.cancel_reason, c.cancelled_at, c.created_at, c.updated_at, ${CREATED_KEY_SQL} AS created_key
    FROM claims c
    JOIN programs p ON p.id = c.program_id
    JOIN retailers r ON r.id = c.retailer_id
    JOIN stores s ON s.id = c.store_id
    JOIN vouchers v ON v.id = c.voucher_id
    JOIN catalog_models m ON m.model_code = c.model_code`;

@Injectable()
export class ReviewRepository {
  constructor(private readonly db: TransactionService) {}

  /** One keyset page in either direction; `limit` rows at most. */
  async page(filter: ClaimFilter, order: 'asc' | 'desc', limit: number, after?: ClaimKey): Promise<ReviewClaimRow[]> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    if (after) {
      conds.push(`(c.created_at, c.id) ${order === 'asc' ? '>' : '<'} ($${params.push(after.createdKey)}::timestamptz, $${params.push(after.id)}::uuid)`);
    }
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    return this.db.manager.query(
      `${REVIEW_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY c.created_at ${dir}, c.id ${dir} LIMIT $${params.push(limit)}`,
      params,
    );
  }

  async findById(id: string): Promise<ReviewClaimRow | undefined> {
    const rows = await this.db.manager.query(`${REVIEW_SELECT} WHERE c.id = $1`, [id]);
    return rows[0];
  }

  /** The claim's household as review may see it: the phone masked, the ID number's last four digits only. */
  async household(id: string): Promise<{ id: string; masked_phone: string | null; id_number_last4: string | null } | undefined> {
    const rows = await this.db.manager.query(
      `SELECT id, phone_masked AS masked_phone, id_number_last4 FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * The claim's audit trail, with its voucher's (the voucher's reservation is where the claim's money began), in
   * insertion order: by the bigint column (a bare `ORDER BY id` would sort the text alias, putting 1000 before 999).
   */
  async events(claimId: string, voucherCode: string): Promise<AuditEventRow[]> {
    return this.db.manager.query(
      `SELECT id::text AS id, occurred_at, actor, action, subject_type, subject_id, details
         FROM audit_events
        WHERE (subject_type = 'claim' AND subject_id = $1) OR (subject_type = 'voucher' AND subject_id = $2)
        ORDER BY audit_events.id`,
      [claimId, voucherCode],
    );
  }

  /** Ledger movements that name the claim (or its voucher) as their reference, in posting order. */
  async movements(programId: string, claimId: string, voucherCode: string): Promise<MovementRow[]> {
    return this.db.manager.query(
      `SELECT t.id::text AS id, t.kind, t.reference, t.note, t.actor_id, t.created_at,
              coalesce(json_agg(json_build_object('kind', a.kind, 'retailer_id', a.retailer_id, 'amount_fen', e.amount_fen::text)
                       ORDER BY e.id) FILTER (WHERE e.id IS NOT NULL), '[]') AS entries
         FROM ledger_transactions t
         LEFT JOIN ledger_entries e ON e.transaction_id = t.id
         LEFT JOIN ledger_accounts a ON a.id = e.account_id
        WHERE t.reference IN ($2, $3) AND t.program_id = $1
        GROUP BY t.id
        ORDER BY t.id`,
      [programId, claimId, voucherCode],
    );
  }


}
