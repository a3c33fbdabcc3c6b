import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement (DESIGN.md "The flow", step 5; libs/settlement/src explains the flow):
 *
 * - `payout_runs`: one run per programme and trigger, with its control totals (payouts, claims, fen) and the
 *   retailers it held back.
 * - `payouts`: one per retailer and run (UNIQUE (run_id, retailer_id)), written before any gateway is called,
 *   each with its own stored idempotency key (UNIQUE) that every gateway call carries. Its control total is
 *   claim_count and gross − netted = amount.
 * - `payout_claims`: the claims of a payout. A claim is in at most one open payout (partial unique index);
 *   a failed payout closes its rows and the claims go back to `approved` for the next run.
 * - `clawback_recoveries`: how clawed-back claims were recovered: netted from a payout, reversed from an
 *   earlier Stripe transfer, or returned with a transfer that came back. Inactive once that fails.
 * - `payout_reversals`: Stripe transfer reversals for clawbacks a payout could not net.
 * - `stripe_events`: each webhook event id once, so a replay does nothing; `stripe_accounts`: what the
 *   webhooks told us about connected accounts (transfers capability).
 * - `payout_bank_files`, `payout_bank_imports`, `payout_bank_records`: the pain.001 files written and the
 *   bank statements / status reports imported (each file once, by its SHA-256).
 * - `payout_reconciliations`: results of the reconciliation job.
 */
export class Settlement1764000004000 implements MigrationInterface {
  name = 'Settlement1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payout_runs (
        id uuid PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES programs(id),
        gateway text NOT NULL CHECK (gateway IN ('stripe', 'bank-file')),
        status text NOT NULL CHECK (status IN ('created', 'processing', 'completed')),
        trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
        created_by text,
        payout_count integer NOT NULL DEFAULT 0 CHECK (payout_count >= 0),
        claim_count integer NOT NULL DEFAULT 0 CHECK (claim_count >= 0),
        gross_fen bigint NOT NULL DEFAULT 0 CHECK (gross_fen >= 0),
        netted_fen bigint NOT NULL DEFAULT 0 CHECK (netted_fen >= 0),
        total_fen bigint NOT NULL DEFAULT 0 CHECK (total_fen >= 0),
        held jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        completed_at timestamptz,
        CHECK (total_fen = gross_fen - netted_fen)
      )`);
    await q.query(`CREATE INDEX payout_runs_program ON payout_runs (program_id, created_at DESC)`);
    await q.query(`CREATE INDEX payout_runs_open ON payout_runs (created_at) WHERE status <> 'completed'`);

    await q.query(`
      CREATE TABLE payouts (
        id uuid PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES payout_runs(id),
        program_id uuid NOT NULL REFERENCES programs(id),
        retailer_id uuid NOT NULL REFERENCES retailers(id),
        gateway text NOT NULL CHECK (gateway IN ('stripe', 'bank-file')),
        status text NOT NULL CHECK (status IN ('pending', 'sent', 'paid', 'failed')),
        idempotency_key text NOT NULL,
        claim_count integer NOT NULL CHECK (claim_count > 0),
        gross_fen bigint NOT NULL CHECK (gross_fen >= 0),
        netted_fen bigint NOT NULL DEFAULT 0 CHECK (netted_fen >= 0 AND netted_fen <= gross_fen),
        amount_fen bigint NOT NULL,
        reversed_fen bigint NOT NULL DEFAULT 0 CHECK (reversed_fen >= 0),
        destination text,
        gateway_ref text,
        failure_code text,
        failure_reason text,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        arrived_at timestamptz,
        created_at timestamptz NOT NULL,
        sent_at timestamptz,
        paid_at timestamptz,
        failed_at timestamptz,
        updated_at timestamptz NOT NULL,
        CONSTRAINT payouts_idempotency_key UNIQUE (idempotency_key),
        CONSTRAINT payouts_one_per_retailer UNIQUE (run_id, retailer_id),
        CONSTRAINT payouts_control_total CHECK (amount_fen = gross_fen - netted_fen),
        CHECK (reversed_fen <= amount_fen)
      )`);
    await q.query(`CREATE INDEX payouts_pending ON payouts (next_attempt_at, created_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX payouts_retailer ON payouts (retailer_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX payouts_gateway_ref ON payouts (gateway_ref) WHERE gateway_ref IS NOT NULL`);
    await q.query(`CREATE INDEX payouts_destination ON payouts (destination, status) WHERE gateway = 'stripe'`);

    await q.query(`
      CREATE TABLE payout_claims (
        payout_id uuid NOT NULL,
        claim_id uuid NOT NULL,
        city text NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
        open boolean NOT NULL DEFAULT true,
        PRIMARY KEY (payout_id, claim_id)
      )`);
    // No foreign keys on payout_claims: its rows are written by the very statement that moves the claims and
    // writes the payouts (PayoutRunsRepository.createPayouts), neither is ever deleted, and two FK look-ups a
    // row would add a third to the cost of a 100,000-claim run.
    await q.query(`CREATE UNIQUE INDEX payout_claims_one_open ON payout_claims (claim_id) WHERE open`);

    await q.query(`
      CREATE TABLE payout_reversals (
        id uuid PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES payout_runs(id),
        payout_id uuid NOT NULL REFERENCES payouts(id),
        retailer_id uuid NOT NULL REFERENCES retailers(id),
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        idempotency_key text NOT NULL CONSTRAINT payout_reversals_idempotency_key UNIQUE,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        gateway_ref text,
        failure_code text,
        failure_reason text,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        created_at timestamptz NOT NULL,
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX payout_reversals_pending ON payout_reversals (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX payout_reversals_payout ON payout_reversals (payout_id)`);
    await q.query(`CREATE INDEX payout_reversals_run ON payout_reversals (run_id)`);

    await q.query(`
      CREATE TABLE clawback_recoveries (
        id bigserial PRIMARY KEY,
        claim_id uuid NOT NULL REFERENCES claims(id),
        program_id uuid NOT NULL REFERENCES programs(id),
        retailer_id uuid NOT NULL REFERENCES retailers(id),
        city text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('netted', 'reversal', 'returned')),
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        payout_id uuid REFERENCES payouts(id),
        reversal_id uuid REFERENCES payout_reversals(id),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL,
        CHECK ((kind = 'reversal') = (reversal_id IS NOT NULL)),
        CHECK ((kind <> 'reversal') = (payout_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX clawback_recoveries_claim ON clawback_recoveries (claim_id) WHERE active`);
    await q.query(`CREATE INDEX clawback_recoveries_payout ON clawback_recoveries (payout_id) WHERE payout_id IS NOT NULL`);
    await q.query(`CREATE INDEX clawback_recoveries_reversal ON clawback_recoveries (reversal_id) WHERE reversal_id IS NOT NULL`);
    // finding a retailer's open clawbacks without scanning every claim
    await q.query(`CREATE INDEX claims_clawed_back ON claims (program_id, retailer_id) WHERE status = 'clawed_back'`);
    await q.query(`CREATE INDEX claims_approved ON claims (program_id, retailer_id) WHERE status = 'approved'`);

    await q.query(`
      CREATE TABLE stripe_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        account text,
        object_id text,
        outcome text NOT NULL,
        event_created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE stripe_accounts (
        account_id text PRIMARY KEY,
        transfers_capability text NOT NULL,
        updated_at timestamptz NOT NULL
      )`);

    await q.query(`
      CREATE TABLE payout_bank_files (
        run_id uuid PRIMARY KEY REFERENCES payout_runs(id),
        file_name text NOT NULL,
        message_id text NOT NULL,
        sha256 text NOT NULL,
        nb_of_txs integer NOT NULL,
        ctrl_sum_fen bigint NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE payout_bank_imports (
        id uuid PRIMARY KEY,
        file_name text NOT NULL,
        sha256 text NOT NULL CONSTRAINT payout_bank_imports_sha256 UNIQUE,
        format text NOT NULL CHECK (format IN ('pain.002', 'camt.053', 'csv')),
        records integer NOT NULL,
        paid integer NOT NULL,
        failed integer NOT NULL,
        report jsonb NOT NULL,
        imported_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE payout_bank_records (
        id bigserial PRIMARY KEY,
        import_id uuid NOT NULL REFERENCES payout_bank_imports(id),
        payout_id uuid REFERENCES payouts(id),
        end_to_end_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('paid', 'failed', 'pending')),
        amount_fen bigint,
        reason text
      )`);
    await q.query(`CREATE INDEX payout_bank_records_payout ON payout_bank_records (payout_id)`);

    await q.query(`
      CREATE TABLE payout_reconciliations (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES payout_runs(id),
        balanced boolean NOT NULL,
        ledger_fen bigint NOT NULL,
        gateway_fen bigint NOT NULL,
        mismatches jsonb NOT NULL,
        checked_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX payout_reconciliations_run ON payout_reconciliations (run_id, checked_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS claims_clawed_back`);
    await q.query(`DROP INDEX IF EXISTS claims_approved`);
    for (const t of [
      'payout_reconciliations', 'payout_bank_records', 'payout_bank_imports', 'payout_bank_files', 'stripe_accounts',
      'stripe_events', 'clawback_recoveries', 'payout_reversals', 'payout_claims', 'payouts', 'payout_runs',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
