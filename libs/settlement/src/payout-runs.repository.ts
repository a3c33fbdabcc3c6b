import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import type { GatewayName, HeldRetailer, PayoutStatus, RunStatus, RunTrigger } from './settlement.types';

/** A payout run as settlement reads it: camelCase, control totals in fen as numbers (parsed here, once). */
export interface Run {
  id: string;
  programId: string;
  gateway: GatewayName;
  status: RunStatus;
  trigger: RunTrigger;
  payoutCount: number;
  claimCount: number;
  grossFen: number;
  nettedFen: number;
  totalFen: number;
  held: HeldRetailer[];
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

export type PayoutCounts = Record<PayoutStatus, number>;

interface RunRow {
  id: string;
  program_id: string;
  gateway: GatewayName;
  status: RunStatus;
  trigger: RunTrigger;
  payout_count: number;
  claim_count: number;
  gross_fen: string;
  netted_fen: string;
  total_fen: string;
  held: HeldRetailer[];
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

const RUN_COLUMNS = `r.id, r.program_id, r.gateway, r.status, r.trigger, r.payout_count, r.claim_count,
  r.gross_fen::text, r.netted_fen::text, r.total_fen::text, r.held, r.created_at, r.started_at, r.completed_at`;

/** Payouts of a run counted by state (SQL over `payouts p`). */
const COUNTS = `json_build_object(
  'pending', count(*) FILTER (WHERE p.status = 'pending'), 'sent', count(*) FILTER (WHERE p.status = 'sent'),
  'paid', count(*) FILTER (WHERE p.status = 'paid'), 'failed', count(*) FILTER (WHERE p.status = 'failed'))`;

function toRun(r: RunRow): Run {
  return {
    id: r.id, programId: r.program_id, gateway: r.gateway, status: r.status, trigger: r.trigger, payoutCount: r.payout_count,
    claimCount: r.claim_count, grossFen: fenFromDb(r.gross_fen, 'run gross'), nettedFen: fenFromDb(r.netted_fen, 'run netted'),
    totalFen: fenFromDb(r.total_fen, 'run total'), held: r.held, createdAt: r.created_at, startedAt: r.started_at, completedAt: r.completed_at,
  };
}

/**
 * Payout runs and their reconciliations. The programme a run pays is named by id; its code is the programmes
 * library's (ProgramsRepository), looked up by whoever shows it.
 */
@Injectable()
export class PayoutRunsRepository {
  constructor(private readonly db: TransactionService) {}

  /** Runs of one programme are created one at a time (two API replicas or schedulers cannot interleave). */
  async lockProgramRuns(tx: Tx, programId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('huanxin:payout-run:' || $1::text, 0))`, [programId]);
  }

  async insertRun(tx: Tx, r: { id: string; programId: string; gateway: GatewayName; trigger: RunTrigger; createdBy: string; now: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO payout_runs (id, program_id, gateway, status, trigger, created_by, created_at) VALUES ($1, $2, $3, 'created', $4, $5, $6)`,
      [r.id, r.programId, r.gateway, r.trigger, r.createdBy, r.now],
    );
  }

  /** The run's control totals, from what was actually written; a run with nothing to do is complete at once. */
  async finishRun(tx: Tx, runId: string, held: HeldRetailer[], now: Date): Promise<Run> {
    const rows: RunRow[] = returnedRows(await tx.query(
      `UPDATE payout_runs r
          SET payout_count = t.n, claim_count = t.claims, gross_fen = t.gross, netted_fen = t.netted, total_fen = t.total, held = $2::jsonb,
              status = CASE WHEN t.n = 0 AND NOT EXISTS (SELECT 1 FROM payout_reversals v WHERE v.run_id = r.id) THEN 'completed' ELSE 'created' END,
              completed_at = CASE WHEN t.n = 0 AND NOT EXISTS (SELECT 1 FROM payout_reversals v WHERE v.run_id = r.id) THEN $3::timestamptz END
         FROM (SELECT count(*)::int AS n, coalesce(sum(claim_count), 0)::int AS claims, coalesce(sum(gross_fen), 0) AS gross,
                      coalesce(sum(netted_fen), 0) AS netted, coalesce(sum(amount_fen), 0) AS total
                 FROM payouts WHERE run_id = $1) t
        WHERE r.id = $1
       RETURNING ${RUN_COLUMNS}`,
      [runId, JSON.stringify(held), now],
    ));
    return toRun(rows[0]);
  }

  /** A run by id, read from the pool. */
  async findRun(id: string): Promise<Run | undefined> {
    const rows: RunRow[] = await this.db.manager.query(`SELECT ${RUN_COLUMNS} FROM payout_runs r WHERE r.id = $1`, [id]);
    return rows[0] && toRun(rows[0]);
  }

  /**
   * A page of runs, newest first on (created_at, id), optionally of one programme, each with its payouts
   * counted by state (read through the payouts' (run_id, retailer_id) index): one statement a page.
   */
  async listRuns(q: { programId?: string; after?: { createdAt: Date; id: string }; limit: number }): Promise<(Run & { counts: PayoutCounts })[]> {
    const rows: (RunRow & { counts: PayoutCounts })[] = await this.db.manager.query(
      `SELECT ${RUN_COLUMNS}, c.counts
         FROM payout_runs r
         CROSS JOIN LATERAL (SELECT ${COUNTS} AS counts FROM payouts p WHERE p.run_id = r.id) c
        WHERE ($1::uuid IS NULL OR r.program_id = $1)
          AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $4`,
      [q.programId ?? null, q.after?.createdAt ?? null, q.after?.id ?? null, q.limit],
    );
    return rows.map((r) => ({ ...toRun(r), counts: r.counts }));
  }

  /** created → processing, once; true if this call made the change. */
  async markStarted(tx: Tx, runId: string, now: Date): Promise<boolean> {
    const rows = returnedRows(await tx.query(
      `UPDATE payout_runs SET status = 'processing', started_at = $2 WHERE id = $1 AND status = 'created' RETURNING id`, [runId, now]));
    return rows.length > 0;
  }

  /**
   * created → processing for every Stripe run with a payout due by `now`, in one statement; answers the runs this
   * call changed. Done in a short transaction before the processor's lanes take their batches, so no lane waits on a
   * run's row while another lane holds it for a whole batch.
   */
  async markDueStripeRunsStarted(tx: Tx, now: Date): Promise<string[]> {
    const rows: { id: string }[] = returnedRows(await tx.query(
      `UPDATE payout_runs r SET status = 'processing', started_at = $1
        WHERE r.status = 'created' AND r.gateway = 'stripe'
          AND EXISTS (SELECT 1 FROM payouts p WHERE p.run_id = r.id AND p.status = 'pending' AND p.next_attempt_at <= $1)
       RETURNING r.id`,
      [now],
    ));
    return rows.map((r) => r.id).sort();
  }

  /** Runs with nothing left pending become completed; answers them with their counts. */
  async completeRuns(tx: Tx, now: Date): Promise<{ id: string; counts: PayoutCounts }[]> {
    const rows: { id: string; counts: PayoutCounts }[] = returnedRows(await tx.query(
      `UPDATE payout_runs r SET status = 'completed', completed_at = $1
        WHERE r.status <> 'completed'
          AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.run_id = r.id AND p.status = 'pending')
          AND NOT EXISTS (SELECT 1 FROM payout_reversals v WHERE v.run_id = r.id AND v.status = 'pending')
       RETURNING r.id,
         (SELECT jsonb_build_object(
                   'pending', count(*) FILTER (WHERE status = 'pending'), 'sent', count(*) FILTER (WHERE status = 'sent'),
                   'paid', count(*) FILTER (WHERE status = 'paid'), 'failed', count(*) FILTER (WHERE status = 'failed'))
            FROM payouts p WHERE p.run_id = r.id) AS counts`,
      [now],
    ));
    return rows;
  }

  /** A bank-file run with payouts still pending, locked (the whole run is one file). */
  async lockNextBankRun(tx: Tx): Promise<{ id: string; programId: string; createdAt: Date } | undefined> {
    const rows: { id: string; program_id: string; created_at: Date }[] = await tx.query(
      `SELECT r.id, r.program_id, r.created_at
         FROM payout_runs r
        WHERE r.gateway = 'bank-file' AND r.status <> 'completed'
          AND EXISTS (SELECT 1 FROM payouts p WHERE p.run_id = r.id AND p.status = 'pending')
        ORDER BY r.created_at, r.id
        LIMIT 1
          FOR UPDATE OF r SKIP LOCKED`,
    );
    return rows[0] && { id: rows[0].id, programId: rows[0].program_id, createdAt: rows[0].created_at };
  }

  /** Runs completed in the 30 days before `now` and not reconciled within `intervalMs`, oldest first (read from the pool). */
  async dueForReconciliation(now: Date, intervalMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.manager.query(
      `SELECT r.id FROM payout_runs r
        WHERE r.status = 'completed' AND r.completed_at > $1::timestamptz - interval '30 days'
          AND NOT EXISTS (SELECT 1 FROM payout_reconciliations c WHERE c.run_id = r.id AND c.checked_at > $1::timestamptz - $2 * interval '1 millisecond')
        ORDER BY r.completed_at
        LIMIT $3`,
      [now, intervalMs, limit],
    );
    return rows.map((r) => r.id);
  }

  async insertReconciliation(tx: Tx, r: { runId: string; balanced: boolean; ledgerFen: number; gatewayFen: number; mismatches: unknown[]; checkedAt: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO payout_reconciliations (run_id, balanced, ledger_fen, gateway_fen, mismatches, checked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.runId, r.balanced, r.ledgerFen, r.gatewayFen, JSON.stringify(r.mismatches), r.checkedAt],
    );
  }
}
