import { Injectable } from '@nestjs/common';
import { auditEventsCte } from '@huanxin/audit-log';
import { Actor, actorRef } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import type { StoredBankAccount } from '@huanxin/retailers';
import type { GatewayName, HeldRetailer, PayoutStatus, RunStatus, RunTrigger } from './settlement.types';

export interface RunRow {
  id: string;
  program_id: string;
  program_code: string;
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

export interface PayoutRow {
  id: string;
  run_id: string;
  program_id: string;
  retailer_id: string;
  gateway: GatewayName;
  status: PayoutStatus;
  idempotency_key: string;
  claim_count: number;
  gross_fen: string;
  netted_fen: string;
  amount_fen: string;
  reversed_fen: string;
  destination: string | null;
  gateway_ref: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
  paid_at: Date | null;
  failed_at: Date | null;
}

export interface ReversalRow {
  id: string;
  run_id: string;
  payout_id: string;
  retailer_id: string;
  amount_fen: string;
  idempotency_key: string;
  status: 'pending' | 'succeeded' | 'failed';
  gateway_ref: string | null;
  failure_reason: string | null;
  attempts: number;
  transfer_id: string | null;
}

export interface OpenClawback {
  claim_id: string;
  retailer_id: string;
  city: string;
  open_fen: string;
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

const RUN_COLUMNS = `r.id, r.program_id, pr.code AS program_code, r.gateway, r.status, r.trigger, r.payout_count, r.claim_count,
  r.gross_fen::text, r.netted_fen::text, r.total_fen::text, r.held, r.created_at, r.started_at, r.completed_at`;
const RUN_FROM = `payout_runs r JOIN programs pr ON pr.id = r.program_id`;
const RUN_SELECT = `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM}`;

export const PAYOUT_COLUMNS = `p.id, p.run_id, p.program_id, p.retailer_id, p.gateway, p.status, p.idempotency_key, p.claim_count,
  p.gross_fen::text, p.netted_fen::text, p.amount_fen::text, p.reversed_fen::text, p.destination, p.gateway_ref,
  p.failure_code, p.failure_reason, p.attempts, p.created_at, p.sent_at, p.paid_at, p.failed_at`;

/** Where each gateway pays a retailer, and why a retailer is held back instead (SQL over `retailers r`). */
const DESTINATION = `CASE WHEN $3::text = 'stripe' THEN r.stripe_account_id ELSE '****' || (r.bank->>'accountNumberLast4') END`;
const HOLD_REASON = `
  CASE WHEN r.status <> 'active' THEN 'retailer_suspended'
       WHEN $3::text = 'stripe' AND r.stripe_account_id IS NULL THEN 'no_payout_account'
       WHEN $3::text = 'bank-file' AND r.bank IS NULL THEN 'no_payout_account'
       WHEN $3::text = 'stripe' AND sa.transfers_capability = 'payouts_failed' THEN 'account_payouts_failing'
       WHEN $3::text = 'stripe' AND coalesce(sa.transfers_capability, 'active') <> 'active' THEN 'account_capability_lost'
  END`;

/**
 * Payout runs in set-based SQL: the cost of a run grows with the number of retailers, never with a query
 * per claim. Every statement here runs inside the caller's transaction.
 */
@Injectable()
export class PayoutRunsRepository {
  constructor(private readonly db: TransactionService) {}

  async programByCode(code: string): Promise<{ id: string; code: string } | undefined> {
    const rows = await this.db.manager.query(`SELECT id, code FROM programs WHERE code = $1`, [code]);
    return rows[0];
  }

  /** Programmes running now: the scheduler's list. */
  async runningPrograms(now: Date): Promise<{ id: string; code: string }[]> {
    return this.db.manager.query(`SELECT id, code FROM programs WHERE starts_at <= $1 ORDER BY code`, [now]);
  }

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

  /** Retailers with approved claims that this gateway cannot pay now, and why. */
  async heldRetailers(tx: Tx, programId: string, gateway: GatewayName): Promise<HeldRetailer[]> {
    const rows: { retailer_id: string; reason: HeldRetailer['reason']; n: number; s: string }[] = await tx.query(
      `SELECT r.id AS retailer_id, ${HOLD_REASON} AS reason, c.n, c.s
         FROM (SELECT retailer_id, count(*)::int AS n, sum(amount_fen)::text AS s
                 FROM claims WHERE program_id = $1 AND status = 'approved' GROUP BY retailer_id) c
         JOIN retailers r ON r.id = c.retailer_id
         LEFT JOIN stripe_accounts sa ON sa.account_id = r.stripe_account_id
        WHERE $2::uuid IS NOT NULL AND ${HOLD_REASON} IS NOT NULL
        ORDER BY r.id`,
      [programId, programId, gateway],
    );
    return rows.map((r) => ({ retailerId: r.retailer_id, reason: r.reason, claimCount: r.n, amountFen: Number(r.s) }));
  }

  /**
   * One statement: every approved claim of a payable retailer moves to in_payout (the conditional update is
   * the guard: a claim cancelled a moment ago is simply not taken), one payout per retailer is written with
   * its control total and its own idempotency key, each claim is tied to its payout, and each claim's move
   * gets its audit event (same columns as AuditService.append; nothing secret in it).
   */
  async createPayouts(tx: Tx, actor: Actor, runId: string, programId: string, gateway: GatewayName, now: Date): Promise<{ id: string; retailer_id: string; claim_count: number; gross_fen: string }[]> {
    return tx.query(
      `WITH eligible AS (
         SELECT r.id, ${DESTINATION} AS destination
           FROM retailers r
           LEFT JOIN stripe_accounts sa ON sa.account_id = r.stripe_account_id
          WHERE r.id IN (SELECT retailer_id FROM claims WHERE program_id = $2 AND status = 'approved')
            AND ${HOLD_REASON} IS NULL
       ), moved AS (
         UPDATE claims c SET status = 'in_payout', updated_at = $4
           FROM eligible e
          WHERE c.program_id = $2 AND c.status = 'approved' AND c.retailer_id = e.id
         RETURNING c.id, c.retailer_id, c.city, c.amount_fen
       ), per AS (
         SELECT retailer_id, gen_random_uuid() AS payout_id, count(*)::int AS n, sum(amount_fen)::bigint AS gross
           FROM moved GROUP BY retailer_id
       ), ins AS (
         INSERT INTO payouts (id, run_id, program_id, retailer_id, gateway, status, idempotency_key, claim_count, gross_fen,
                              netted_fen, amount_fen, destination, next_attempt_at, created_at, updated_at)
         SELECT per.payout_id, $1, $2, per.retailer_id, $3, 'pending', 'hx-payout-' || per.payout_id::text, per.n, per.gross,
                0, per.gross, e.destination, $4, $4, $4
           FROM per JOIN eligible e ON e.id = per.retailer_id
         RETURNING id, retailer_id, claim_count, gross_fen::text
       ), tied AS (
         INSERT INTO payout_claims (payout_id, claim_id, city, amount_fen)
         SELECT per.payout_id, m.id, m.city, m.amount_fen FROM moved m JOIN per USING (retailer_id)
       ), audited AS (
         ${auditEventsCte({
           from: 'moved m JOIN per USING (retailer_id)', actorParam: '$5', actionParam: `'claim.in_payout'`, subjectType: 'claim', subjectId: 'm.id',
           details: { from: `'approved'::text`, to: `'in_payout'::text`, payoutId: 'per.payout_id', runId: '$1::uuid', amountFen: 'm.amount_fen' },
         })}
       )
       SELECT * FROM ins ORDER BY retailer_id`,
      [runId, programId, gateway, now, JSON.stringify(actorRef(actor))],
    );
  }

  /**
   * Nets each payout's retailer's clawbacks against the payout: first its credits are given back in full
   * (claims over-recovered after a returned payout: a negative netting), then its open clawbacks, oldest
   * first across cities, up to the gross amount plus the credits; what does not fit stays open and carries
   * over. The recoveries are recorded per clawed-back claim; the ledger moves when the payout is paid.
   */
  async netClawbacks(tx: Tx, runId: string, programId: string, now: Date): Promise<void> {
    await tx.query(
      `WITH recovered AS (
         SELECT claim_id, sum(amount_fen) AS s FROM clawback_recoveries
          WHERE active AND program_id = $2 AND retailer_id IN (SELECT retailer_id FROM payouts WHERE run_id = $1)
          GROUP BY claim_id
       ), open AS (
         SELECT c.id AS claim_id, c.retailer_id, c.city, c.amount_fen - coalesce(r.s, 0) AS open_fen, c.cancelled_at
           FROM claims c
           LEFT JOIN recovered r ON r.claim_id = c.id
          WHERE c.program_id = $2 AND c.status = 'clawed_back'
            AND c.retailer_id IN (SELECT retailer_id FROM payouts WHERE run_id = $1)
       ), ranked AS (
         SELECT o.claim_id, o.retailer_id, o.city, o.open_fen, p.id AS payout_id, p.gross_fen,
                coalesce(sum(o.open_fen) OVER (PARTITION BY o.retailer_id ORDER BY o.open_fen > 0, o.cancelled_at, o.claim_id
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
      [runId, programId, now],
    );
  }

  /**
   * Open (not yet recovered) clawbacks of the programme, per claim, oldest first — of retailers without a
   * credit: a retailer the programme owes money back has its debts netted against that credit in its next
   * payout, not reversed from its earlier transfers.
   */
  async openClawbacks(tx: Tx, programId: string): Promise<OpenClawback[]> {
    return tx.query(
      `WITH clawed AS (
         SELECT c.id AS claim_id, c.retailer_id, c.city, c.cancelled_at, c.amount_fen - coalesce(r.s, 0) AS open_fen
           FROM claims c
           LEFT JOIN (SELECT claim_id, sum(amount_fen) AS s FROM clawback_recoveries WHERE active AND program_id = $1 GROUP BY claim_id) r
             ON r.claim_id = c.id
          WHERE c.program_id = $1 AND c.status = 'clawed_back'
       )
       SELECT claim_id, retailer_id, city, open_fen::text AS open_fen FROM clawed
        WHERE open_fen > 0 AND retailer_id NOT IN (SELECT retailer_id FROM clawed WHERE open_fen < 0)
        ORDER BY retailer_id, cancelled_at, claim_id`,
      [programId],
    );
  }

  /** Earlier paid Stripe transfers of these retailers that can still be reversed, newest first. */
  async reversibleTransfers(tx: Tx, programId: string, retailerIds: string[]): Promise<{ payout_id: string; retailer_id: string; reversible: string }[]> {
    if (!retailerIds.length) return [];
    return tx.query(
      `SELECT p.id AS payout_id, p.retailer_id,
              (p.amount_fen - p.reversed_fen - coalesce((SELECT sum(v.amount_fen) FROM payout_reversals v WHERE v.payout_id = p.id AND v.status = 'pending'), 0))::text AS reversible
         FROM payouts p
         JOIN retailers r ON r.id = p.retailer_id AND r.stripe_account_id IS NOT NULL
        WHERE p.program_id = $1 AND p.retailer_id = ANY($2::uuid[]) AND p.gateway = 'stripe' AND p.status = 'paid' AND p.gateway_ref IS NOT NULL
        ORDER BY p.retailer_id, p.paid_at DESC, p.id`,
      [programId, retailerIds],
    );
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

  /** The run's control totals, from what was actually written; a run with nothing to do is complete at once. */
  async finishRun(tx: Tx, runId: string, held: HeldRetailer[], now: Date): Promise<RunRow> {
    await tx.query(
      `UPDATE payout_runs r
          SET payout_count = t.n, claim_count = t.claims, gross_fen = t.gross, netted_fen = t.netted, total_fen = t.total, held = $2::jsonb,
              status = CASE WHEN t.n = 0 AND NOT EXISTS (SELECT 1 FROM payout_reversals v WHERE v.run_id = r.id) THEN 'completed' ELSE 'created' END,
              completed_at = CASE WHEN t.n = 0 AND NOT EXISTS (SELECT 1 FROM payout_reversals v WHERE v.run_id = r.id) THEN $3::timestamptz END
         FROM (SELECT count(*)::int AS n, coalesce(sum(claim_count), 0)::int AS claims, coalesce(sum(gross_fen), 0) AS gross,
                      coalesce(sum(netted_fen), 0) AS netted, coalesce(sum(amount_fen), 0) AS total
                 FROM payouts WHERE run_id = $1) t
        WHERE r.id = $1`,
      [runId, JSON.stringify(held), now],
    );
    return (await this.findRun(runId, tx))!;
  }

  async findRun(id: string, tx?: Tx): Promise<RunRow | undefined> {
    const rows = await (tx ?? this.db.manager).query(`${RUN_SELECT} WHERE r.id = $1`, [id]);
    return rows[0];
  }

  /**
   * A page of runs, newest first on (created_at, id), optionally of one programme, each with its payouts
   * counted by state (read through the payouts' (run_id, retailer_id) index): one statement a page.
   */
  async listRuns(q: { programCode?: string; after?: { createdAt: Date; id: string }; limit: number }): Promise<(RunRow & { counts: Record<PayoutStatus, number> })[]> {
    return this.db.manager.query(
      `SELECT ${RUN_COLUMNS}, c.counts
         FROM ${RUN_FROM}
         CROSS JOIN LATERAL (
           SELECT json_build_object(
                    'pending', count(*) FILTER (WHERE p.status = 'pending'), 'sent', count(*) FILTER (WHERE p.status = 'sent'),
                    'paid', count(*) FILTER (WHERE p.status = 'paid'), 'failed', count(*) FILTER (WHERE p.status = 'failed')) AS counts
             FROM payouts p WHERE p.run_id = r.id) c
        WHERE ($1::text IS NULL OR pr.code = $1)
          AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT $4`,
      [q.programCode ?? null, q.after?.createdAt ?? null, q.after?.id ?? null, q.limit],
    );
  }

  async runPayouts(runId: string, tx?: Tx): Promise<PayoutRow[]> {
    return (tx ?? this.db.manager).query(`SELECT ${PAYOUT_COLUMNS} FROM payouts p WHERE p.run_id = $1 ORDER BY p.retailer_id`, [runId]);
  }

  async runReversals(runId: string, tx?: Tx): Promise<ReversalRow[]> {
    return (tx ?? this.db.manager).query(
      `SELECT v.id, v.run_id, v.payout_id, v.retailer_id, v.amount_fen::text, v.idempotency_key, v.status, v.gateway_ref,
              v.failure_reason, v.attempts, p.gateway_ref AS transfer_id
         FROM payout_reversals v JOIN payouts p ON p.id = v.payout_id
        WHERE v.run_id = $1 ORDER BY v.created_at, v.id`,
      [runId],
    );
  }

  /** created → processing, once; true if this call made the change. */
  async markStarted(tx: Tx, runId: string, now: Date): Promise<boolean> {
    const rows = returnedRows(await tx.query(
      `UPDATE payout_runs SET status = 'processing', started_at = $2 WHERE id = $1 AND status = 'created' RETURNING id`, [runId, now]));
    return rows.length > 0;
  }

  /** Runs with nothing left pending become completed; answers them with their counts. */
  async completeRuns(tx: Tx, now: Date): Promise<{ id: string; counts: Record<PayoutStatus, number> }[]> {
    const rows: { id: string; counts: Record<PayoutStatus, number> }[] = returnedRows(await tx.query(
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

  /**
   * The next Stripe payouts due, locked for the rest of the caller's transaction (the gateway calls included);
   * another worker skips them, so two workers never send one payout.
   */
  async lockNextStripePayouts(tx: Tx, now: Date, limit: number): Promise<(PayoutRow & { retailer_status: string; stripe_account_id: string | null; program_code: string; run_created_at: Date })[]> {
    return tx.query(
      `SELECT ${PAYOUT_COLUMNS}, r.status AS retailer_status, r.stripe_account_id, pr.code AS program_code, run.created_at AS run_created_at
         FROM payouts p
         JOIN retailers r ON r.id = p.retailer_id
         JOIN programs pr ON pr.id = p.program_id
         JOIN payout_runs run ON run.id = p.run_id
        WHERE p.status = 'pending' AND p.gateway = 'stripe' AND p.next_attempt_at <= $1
        ORDER BY p.next_attempt_at, p.created_at, p.id
        LIMIT $2
          FOR UPDATE OF p SKIP LOCKED`,
      [now, limit],
    );
  }

  async lockNextReversal(tx: Tx, now: Date): Promise<ReversalRow | undefined> {
    const rows = await tx.query(
      `SELECT v.id, v.run_id, v.payout_id, v.retailer_id, v.amount_fen::text, v.idempotency_key, v.status, v.gateway_ref,
              v.failure_reason, v.attempts, p.gateway_ref AS transfer_id
         FROM payout_reversals v JOIN payouts p ON p.id = v.payout_id
        WHERE v.status = 'pending' AND v.next_attempt_at <= $1
        ORDER BY v.next_attempt_at, v.id
        LIMIT 1
          FOR UPDATE OF v SKIP LOCKED`,
      [now],
    );
    return rows[0];
  }

  /** A bank-file run with payouts still pending, locked (the whole run is one file). */
  async lockNextBankRun(tx: Tx): Promise<{ id: string; program_code: string; created_at: Date } | undefined> {
    const rows = await tx.query(
      `SELECT r.id, pr.code AS program_code, r.created_at
         FROM payout_runs r JOIN programs pr ON pr.id = r.program_id
        WHERE r.gateway = 'bank-file' AND r.status <> 'completed'
          AND EXISTS (SELECT 1 FROM payouts p WHERE p.run_id = r.id AND p.status = 'pending')
        ORDER BY r.created_at, r.id
        LIMIT 1
          FOR UPDATE OF r SKIP LOCKED`,
    );
    return rows[0];
  }

  /** The pending payouts of a run with where to pay them (full bank account: for the file only). */
  async pendingWithAccounts(tx: Tx, runId: string): Promise<(PayoutRow & { retailer_status: string; stripe_account_id: string | null; bank: StoredBankAccount | null })[]> {
    return tx.query(
      `SELECT ${PAYOUT_COLUMNS}, r.status AS retailer_status, r.stripe_account_id, r.bank
         FROM payouts p JOIN retailers r ON r.id = p.retailer_id
        WHERE p.run_id = $1 AND p.status = 'pending'
        ORDER BY p.id
          FOR UPDATE OF p`,
      [runId],
    );
  }

  async retryLater(tx: Tx, table: 'payouts' | 'payout_reversals', id: string, error: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE ${table} SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3${table === 'payouts' ? ', updated_at = now()' : ''} WHERE id = $1`,
      [id, error.slice(0, 1000), at],
    );
  }

  async insertBankFile(tx: Tx, f: { runId: string; fileName: string; messageId: string; sha256: string; nbOfTxs: number; ctrlSumFen: number; now: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO payout_bank_files (run_id, file_name, message_id, sha256, nb_of_txs, ctrl_sum_fen, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id) DO UPDATE SET file_name = $2, message_id = $3, sha256 = $4, nb_of_txs = $5, ctrl_sum_fen = $6`,
      [f.runId, f.fileName, f.messageId, f.sha256, f.nbOfTxs, f.ctrlSumFen, f.now],
    );
  }

  async bankFile(runId: string): Promise<{ file_name: string; message_id: string; nb_of_txs: number; ctrl_sum_fen: string } | undefined> {
    const rows = await this.db.manager.query(`SELECT file_name, message_id, nb_of_txs, ctrl_sum_fen::text FROM payout_bank_files WHERE run_id = $1`, [runId]);
    return rows[0];
  }

  /**
   * Moves the open claims of these payouts from one state to another and appends one audit event per claim
   * moved, in one statement (a run can move a hundred thousand claims: no loop, no JSON of them all through
   * Node). Same columns as AuditService.append; nothing secret in it. Answers how many claims moved.
   */
  async moveClaims(tx: Tx, actor: Actor, action: string, payoutIds: string[], from: string, to: string, now: Date): Promise<number> {
    if (!payoutIds.length) return 0;
    const [row] = await tx.query(
      `WITH moved AS (
         UPDATE claims c SET status = $4, updated_at = $6
           FROM payout_claims pc
          WHERE pc.payout_id = ANY($5::uuid[]) AND pc.open AND c.id = pc.claim_id AND c.status = $3
         RETURNING c.id, pc.payout_id, pc.amount_fen
       ), audited AS (
         ${auditEventsCte({
           from: 'moved m JOIN payouts p ON p.id = m.payout_id', actorParam: '$1', actionParam: '$2', subjectType: 'claim', subjectId: 'm.id',
           details: { from: '$3::text', to: '$4::text', payoutId: 'm.payout_id', runId: 'p.run_id', amountFen: 'm.amount_fen' },
         })}
       )
       SELECT count(*)::int AS n FROM moved`,
      [JSON.stringify(actorRef(actor)), action, from, to, payoutIds, now],
    );
    return row.n;
  }
}
