import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { fenFromDb } from '@huanxin/core';
import { ReadDatabase, withLiterals } from '@huanxin/database';
import { ClaimFilter, claimFilterSql } from '@huanxin/claims';
import { CLAIMS_CSV_COLUMNS } from './claims-csv.columns';

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

/** One recycler's dismantling record in a programme (ReportsRepository.dismantling). */
export interface DismantlingRow {
  recyclerId: string;
  name: string;
  /** live claims whose receipt this recycler issued */
  claims: number;
  /** of those, receipts confirmed dismantled */
  confirmed: number;
  /** of those, claims held from payout for unconfirmed dismantling */
  held: number;
  /** median hours from the later of sale and receipt issue to the confirmation; null when none was confirmed */
  medianDelayHours: number | null;
}

/** Whitelisted grouping expressions: the group key and what a person reads for it. */
const GROUPS: Record<SummaryGroupBy, { key: string; label: string; join: string }> = {
  city: { key: 'c.city', label: 'c.city', join: '' },
  retailer: { key: 'c.retailer_id::text', label: 'r.name', join: 'JOIN retailers r ON r.id = c.retailer_id' },
  day: { key: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, label: `to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`, join: '' },
};

/** The columns of claims.csv, named by their headers (COPY's HEADER line). */
const CSV_SELECT = CLAIMS_CSV_COLUMNS.map(([header, sql]) => `${sql} AS ${header}`).join(',\n         ');

/** Claims whose subsidy stands (owed or paid): not rejected, cancelled or clawed back. */
const STANDS = `status NOT IN ('rejected', 'cancelled', 'clawed_back')`;

/**
 * Reporting SQL: set-based aggregates and the export's COPY, nothing per claim in Node. Both read the read replica
 * (ReadDatabase: DATABASE_READ_URL; the primary when it is unset, behind or down): reports may be seconds old.
 */
@Injectable()
export class ReportsRepository {
  constructor(private readonly read: ReadDatabase, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** One statement, on the read replica: the aggregates per group and, per group, the rejection reasons with their counts. */
  async summary(programId: string, groupBy: SummaryGroupBy, from?: Date, to?: Date): Promise<SummaryRow[]> {
    const g = GROUPS[groupBy];
    const rows: SummaryDbRow[] = await this.read.run((m) => m.query(
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
    ));
    return rows.map(toSummaryRow);
  }

  /**
   * Dismantling per recycler (issue 13), one statement on the read replica: the programme's live claims (not rejected
   * or cancelled) by the recycler that issued their receipt, how many of those receipts were confirmed dismantled, and
   * the median delay from the later of the sale and the receipt's issue time to the confirmation (the platform's
   * clock, which a recycler cannot back-date). Worst confirmation rate first.
   */
  async dismantling(programId: string, from?: Date, to?: Date): Promise<DismantlingRow[]> {
    const rows: { recycler_id: string; name: string; claims: number; confirmed: number; held: number; median_delay_hours: number | null }[] =
      await this.read.run((m) => m.query(
        `SELECT c.receipt_issuer AS recycler_id, min(rc.name) AS name,
                count(*)::int AS claims,
                count(rg.dismantle_confirmed_at)::int AS confirmed,
                count(*) FILTER (WHERE c.dismantling = 'held')::int AS held,
                round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM rg.dismantle_confirmed_at - greatest(c.sold_at, c.receipt_issued_at)))
                       / 3600)::numeric, 1)::float8 AS median_delay_hours
           FROM claims c
           JOIN recyclers rc ON rc.id = c.receipt_issuer
           LEFT JOIN receipt_registrations rg ON rg.recycler_id = c.receipt_issuer AND rg.rid = c.receipt_rid
          WHERE c.program_id = $1 AND c.status NOT IN ('rejected', 'cancelled')
            AND ($2::timestamptz IS NULL OR c.created_at >= $2)
            AND ($3::timestamptz IS NULL OR c.created_at < $3)
          GROUP BY c.receipt_issuer`,
        [programId, from ?? null, to ?? null],
      ));
    return rows.map((r) => ({
      recyclerId: r.recycler_id, name: r.name, claims: r.claims, confirmed: r.confirmed, held: r.held,
      medianDelayHours: r.median_delay_hours === null ? null : Number(r.median_delay_hours),
    }));
  }

  /**
   * claims.csv as PostgreSQL writes it (csv.ts, claims-csv.columns.ts): one `COPY … TO STDOUT`, oldest claim
   * first, streamed from a connection of its own on the read replica (ReadDatabase.copyOut, TransactionService.copyOut's
   * twin: the primary's when the replica is not usable) at the reader's pace. One statement
   * is one snapshot: the export holds the claims that matched when it began, however many arrive meanwhile.
   * The plan is PostgreSQL's to choose. For a whole programme (issue 11's bench, 1,000,000 claims) it joins the
   * households by hash in parallel workers and sorts (in temporary files), which measured two to three times faster
   * than walking the (created_at, id) index with a key lookup of each household (about 5 µs of CPU a lookup on a
   * 1,000,000-row users table, the larger part of the export's cost); the first bytes then leave once the sort is
   * done, seconds in. A narrow filter walks an index and starts at once.
   */
  claimsCsv(filter: ClaimFilter): Promise<Readable> {
    const params: unknown[] = [];
    const conds = claimFilterSql(filter, params);
    const where = conds.length ? `WHERE ${withLiterals(conds.join(' AND '), params)}` : '';
    return this.read.copyOut(
      `COPY (
       SELECT ${CSV_SELECT}
         FROM claims c
         JOIN retailers r ON r.id = c.retailer_id
         JOIN catalog_models m ON m.model_code = c.model_code
         LEFT JOIN users u ON u.id = c.household_id
        ${where}
        ORDER BY c.created_at, c.id
     ) TO STDOUT WITH (FORMAT csv, HEADER)`,
      this.config.exportTimeoutMs,
    );
  }
}
