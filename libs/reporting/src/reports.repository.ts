import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { ClaimFilter, claimFilterSql, ClaimKey, CREATED_KEY_SQL, createdKeySql } from '@huanxin/claims';
import { CLAIMS_CSV_COLUMNS } from './claims-csv.columns';
import { csvLineSql } from './csv';

export type SummaryGroupBy = 'city' | 'retailer' | 'day';

/** One group's aggregates (SummaryReport's row, before the shares are worked out). */
export interface SummaryRow {
  key: string;
  label: string;
  /** Claims submitted in the period, whatever became of them. */
  claims: number;
  /** Subsidy on claims that stand (pending review, approved, in payout, paid, payout failed). */
  subsidyFen: number;
  /** Subsidy on claims paid out (and not clawed back). */
  paidFen: number;
  claims4k: number;
  claims8k: number;
  subsidy4kFen: number;
  subsidy8kFen: number;
  /** Claims on energy-grade-1 models. */
  grade1Claims: number;
  rejectedClaims: number;
  /** The auditors' reasons for rejecting, most frequent first. */
  rejections: { reason: string; count: number }[];
}

// a driver row of the summary statement: sums as int8 text
interface SummaryDbRow {
  key: string; label: string; claims: number; subsidy_fen: string; paid_fen: string; claims_4k: number; claims_8k: number;
  subsidy_4k_fen: string; subsidy_8k_fen: string; grade1_claims: number; rejected_claims: number; rejections: { reason: string; count: number }[];
}

function toSummaryRow(r: SummaryDbRow): SummaryRow {
  return {
    key: r.key, label: r.label, claims: r.claims, subsidyFen: fenFromDb(r.subsidy_fen), paidFen: fenFromDb(r.paid_fen),
    claims4k: r.claims_4k, claims8k: r.claims_8k, subsidy4kFen: fenFromDb(r.subsidy_4k_fen), subsidy8kFen: fenFromDb(r.subsidy_8k_fen),
    grade1Claims: r.grade1_claims, rejectedClaims: r.rejected_claims, rejections: r.rejections,
  };
}

/** One line of the claims export, built by PostgreSQL, with the keyset position of its claim. */
export interface ExportLine {
  id: string;
  created_key: string;
  line: string;
}

/** Whitelisted grouping expressions: the group key and what a person reads for it. */
const GROUPS: Record<SummaryGroupBy, { key: string; label: string; join: string }> = {
  city: { key: 'c.city', label: 'c.city', join: '' },
  retailer: { key: 'c.retailer_id::text', label: 'r.name', join: 'JOIN retailers r ON r.id = c.retailer_id' },
  day: { key: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, label: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, join: '' },
};

/** The export's line, built once: the columns of claims.csv over an export row `x`. */
const CSV_LINE_SQL = csvLineSql(CLAIMS_CSV_COLUMNS.map(([, sql]) => sql));

/** Claims whose subsidy stands (owed or paid): not rejected, cancelled or clawed back. */
const STANDS = `status NOT IN ('rejected', 'cancelled', 'clawed_back')`;

/** Reporting SQL: set-based aggregates and keyset batches, nothing per claim in Node. */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: TransactionService) {}

  /** One statement: the aggregates per group and, per group, the rejection reasons with their counts. */
  async summary(programId: string, groupBy: SummaryGroupBy, from?: Date, to?: Date): Promise<SummaryRow[]> {
    const g = GROUPS[groupBy];
    const rows: SummaryDbRow[] = await this.db.manager.query(
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
    return rows.map(toSummaryRow);
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

  /** The next `limit` claims after `after` (oldest first), up to and including `end`, as CSV lines. */
  async exportBatch(filter: ClaimFilter, end: ClaimKey, limit: number, after?: ClaimKey): Promise<ExportLine[]> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    conds.push(`(c.created_at, c.id) <= ($${params.push(end.createdKey)}::timestamptz, $${params.push(end.id)}::uuid)`);
    if (after) conds.push(`(c.created_at, c.id) > ($${params.push(after.createdKey)}::timestamptz, $${params.push(after.id)}::uuid)`);
    // The page is cut from claims alone (MATERIALIZED keeps the planner from joining first and sorting
    // everything), so a batch costs an index range scan of `limit` rows however large the table is; the two
    // large tables are then read by key for the page's rows, never scanned.
    return this.db.manager.query(
      `WITH page AS MATERIALIZED (
         SELECT c.* FROM claims c
          WHERE ${conds.join(' AND ')}
          ORDER BY c.created_at, c.id
          LIMIT $${params.push(limit)}
       ), x AS MATERIALIZED (
         SELECT c.*, r.name AS retailer_name, m.resolution, m.energy_grade,
                (SELECT u.phone_masked FROM users u WHERE u.id = c.household_id) AS phone
           FROM page c
           JOIN retailers r ON r.id = c.retailer_id
           JOIN catalog_models m ON m.model_code = c.model_code
       )
       SELECT x.id, ${createdKeySql('x')} AS created_key, ${CSV_LINE_SQL} AS line
         FROM x
        ORDER BY x.created_at, x.id`,
      params,
    );
  }
}
