import { Injectable } from '@nestjs/common';
import { TransactionService } from '@huanxin/database';
import { ClaimFilter, claimFilterSql, ClaimKey, CREATED_KEY_SQL } from '@huanxin/review';

export type SummaryGroupBy = 'city' | 'retailer' | 'day';

export interface SummaryRow {
  key: string;
  label: string;
  claims: number;
  subsidy_fen: string;
  paid_fen: string;
  claims_4k: number;
  claims_8k: number;
  subsidy_4k_fen: string;
  subsidy_8k_fen: string;
  grade1_claims: number;
  rejected_claims: number;
  rejections: { reason: string; count: number }[];
}

/** One line of the claims export, every value already text (times in Asia/Shanghai). */
export interface ExportRow {
  id: string;
  created_key: string;
  created_at: string;
  status: string;
  program_code: string;
  city: string;
  retailer_id: string;
  retailer_name: string;
  store_code: string;
  household_id: string;
  phone: string | null;
  voucher_code: string;
  model_code: string;
  resolution: string;
  energy_grade: number;
  serial_number: string;
  invoice_number: string;
  sale_price_fen: string;
  sold_at: string;
  amount_fen: string;
  rate_bp: number;
  capped: boolean;
  policy_version: number;
  flags: string[];
  review_reasons: string[];
  decided_at: string | null;
  decision_reason: string | null;
  cancel_reason: string | null;
}

/** Whitelisted grouping expressions: the group key and what a person reads for it. */
const GROUPS: Record<SummaryGroupBy, { key: string; label: string; join: string }> = {
  city: { key: 'c.city', label: 'c.city', join: '' },
  retailer: { key: 'c.retailer_id::text', label: 'r.name', join: 'JOIN retailers r ON r.id = c.retailer_id' },
  day: { key: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, label: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, join: '' },
};

/** Claims whose subsidy stands (owed or paid): not rejected, cancelled or clawed back. */
const STANDS = `status NOT IN ('rejected', 'cancelled', 'clawed_back')`;

const shanghai = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')`;

/** Reporting SQL: set-based aggregates and keyset batches, nothing per claim in Node. */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: TransactionService) {}

  async programId(code: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(`SELECT id FROM programs WHERE code = $1`, [code]);
    return rows[0]?.id;
  }

  /** One statement: the aggregates per group and, per group, the rejection reasons with their counts. */
  async summary(programId: string, groupBy: SummaryGroupBy, from?: Date, to?: Date): Promise<SummaryRow[]> {
    const g = GROUPS[groupBy];
    return this.db.manager.query(
      `WITH base AS (
         SELECT ${g.key} AS key, ${g.label} AS label, c.status, c.amount_fen, c.decision_reason, m.resolution, m.energy_grade
           FROM claims c
           JOIN catalog_models m ON m.model_code = c.model_code
           ${g.join}
          WHERE c.program_id = $1
            AND ($2::timestamptz IS NULL OR c.created_at >= $2)
            AND ($3::timestamptz IS NULL OR c.created_at < $3)
       ), agg AS (
         SELECT key, min(label) AS label,
                count(*)::int AS claims,
                coalesce(sum(amount_fen) FILTER (WHERE ${STANDS}), 0)::text AS subsidy_fen,
                coalesce(sum(amount_fen) FILTER (WHERE status = 'paid'), 0)::text AS paid_fen,
                count(*) FILTER (WHERE resolution = '4K')::int AS claims_4k,
                count(*) FILTER (WHERE resolution = '8K')::int AS claims_8k,
                coalesce(sum(amount_fen) FILTER (WHERE resolution = '4K' AND ${STANDS}), 0)::text AS subsidy_4k_fen,
                coalesce(sum(amount_fen) FILTER (WHERE resolution = '8K' AND ${STANDS}), 0)::text AS subsidy_8k_fen,
                count(*) FILTER (WHERE energy_grade = 1)::int AS grade1_claims,
                count(*) FILTER (WHERE status = 'rejected')::int AS rejected_claims
           FROM base
          GROUP BY key
       ), rej AS (
         SELECT key, json_agg(json_build_object('reason', reason, 'count', n) ORDER BY n DESC, reason COLLATE "C") AS rejections
           FROM (SELECT key, coalesce(nullif(btrim(decision_reason), ''), '(none)') AS reason, count(*)::int AS n
                   FROM base WHERE status = 'rejected' GROUP BY 1, 2) r
          GROUP BY key
       )
       SELECT agg.*, coalesce(rej.rejections, '[]'::json) AS rejections
         FROM agg LEFT JOIN rej USING (key)
        ORDER BY agg.key`,
      [programId, from ?? null, to ?? null],
    );
  }

  /** The last claim the filter matches now: an export stops there, however many claims arrive meanwhile. */
  async lastKey(filter: ClaimFilter): Promise<ClaimKey | undefined> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    const rows = await this.db.manager.query(
      `SELECT ${CREATED_KEY_SQL} AS created_key, c.id FROM claims c ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY c.created_at DESC, c.id DESC LIMIT 1`,
      params,
    );
    return rows[0] ? { createdKey: rows[0].created_key, id: rows[0].id } : undefined;
  }

  /** The next `limit` claims after `after` (oldest first), up to and including `end`. */
  async exportBatch(filter: ClaimFilter, end: ClaimKey, limit: number, after?: ClaimKey): Promise<ExportRow[]> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    conds.push(`(c.created_at, c.id) <= ($${params.push(end.createdKey)}::timestamptz, $${params.push(end.id)}::uuid)`);
    if (after) conds.push(`(c.created_at, c.id) > ($${params.push(after.createdKey)}::timestamptz, $${params.push(after.id)}::uuid)`);
    // The page is cut from claims alone (MATERIALIZED keeps the planner from joining first and sorting
    // everything), so each batch costs an index range scan of `limit` rows however large the table is.
    return this.db.manager.query(
      `WITH page AS MATERIALIZED (
         SELECT c.* FROM claims c
          WHERE ${conds.join(' AND ')}
          ORDER BY c.created_at, c.id
          LIMIT $${params.push(limit)}
       )
       SELECT c.id, ${CREATED_KEY_SQL} AS created_key, ${shanghai('c.created_at')} AS created_at, c.status, p.code AS program_code,
              c.city, c.retailer_id, r.name AS retailer_name, s.code AS store_code, c.household_id, u.phone, v.code AS voucher_code,
              c.model_code, m.resolution, m.energy_grade, c.serial_number, c.invoice_number, c.sale_price_fen::text AS sale_price_fen,
              ${shanghai('c.sold_at')} AS sold_at, c.amount_fen::text AS amount_fen, c.rate_bp, c.capped, c.policy_version, c.flags,
              c.review_reasons, ${shanghai('c.decided_at')} AS decided_at, c.decision_reason, c.cancel_reason
         FROM page c
         JOIN programs p ON p.id = c.program_id
         JOIN retailers r ON r.id = c.retailer_id
         JOIN stores s ON s.id = c.store_id
         JOIN users u ON u.id = c.household_id
         JOIN vouchers v ON v.id = c.voucher_id
         JOIN catalog_models m ON m.model_code = c.model_code
        ORDER BY c.created_at, c.id`,
      params,
    );
  }
}
