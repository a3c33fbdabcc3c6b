import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Vouchers, daily quotas, claims and receipt revocations. Every promise that protects money is an index
 * or a constraint here: one open voucher per household and programme; a serial number, a receipt and an
 * invoice number each back at most one live claim; a voucher backs at most one claim; a day's quota can
 * never be over-issued.
 */
export class SubsidyCore1764000001000 implements MigrationInterface {
  name = 'SubsidyCore1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quota_days (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        day date NOT NULL,
        released integer NOT NULL CHECK (released >= 0),
        issued integer NOT NULL DEFAULT 0,
        PRIMARY KEY (program_id, city, day),
        CONSTRAINT quota_days_not_over_issued CHECK (issued >= 0 AND issued <= released)
      )`);

    await q.query(`
      CREATE TABLE vouchers (
        id uuid PRIMARY KEY,
        code text NOT NULL UNIQUE,
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        household_id uuid NOT NULL REFERENCES users(id),
        status text NOT NULL CHECK (status IN ('open', 'used', 'expired')),
        reserved_fen bigint NOT NULL CHECK (reserved_fen >= 0),
        policy_version integer NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        expired_at timestamptz,
        CHECK (expires_at > issued_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX vouchers_one_open ON vouchers (program_id, household_id) WHERE status = 'open'`);
    await q.query(`CREATE INDEX vouchers_household ON vouchers (household_id, issued_at DESC)`);
    await q.query(`CREATE INDEX vouchers_expiry ON vouchers (expires_at) WHERE status = 'open'`);

    await q.query(`
      CREATE TABLE claims (
        id uuid PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        retailer_id uuid NOT NULL REFERENCES retailers(id),
        store_id uuid NOT NULL REFERENCES stores(id),
        household_id uuid NOT NULL REFERENCES users(id),
        voucher_id uuid NOT NULL REFERENCES vouchers(id),
        model_code text NOT NULL REFERENCES catalog_models(model_code),
        serial_number text NOT NULL,
        invoice_number text NOT NULL,
        sale_price_fen bigint NOT NULL CHECK (sale_price_fen > 0),
        sold_at timestamptz NOT NULL,
        receipt_issuer uuid NOT NULL REFERENCES recyclers(id),
        receipt_rid text NOT NULL,
        receipt_kid text NOT NULL,
        receipt_issued_at timestamptz NOT NULL,
        policy_version integer NOT NULL,
        rate_bp integer NOT NULL,
        cap_fen bigint NOT NULL,
        base_fen bigint NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen >= 0 AND amount_fen <= cap_fen AND amount_fen <= sale_price_fen),
        capped boolean NOT NULL,
        reserved_fen bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('pending_review', 'approved', 'rejected', 'cancelled', 'in_payout', 'paid', 'payout_failed', 'clawed_back')),
        flags text[] NOT NULL DEFAULT '{}',
        review_reasons text[] NOT NULL DEFAULT '{}',
        checks jsonb NOT NULL,
        decided_by uuid,
        decided_at timestamptz,
        decision_reason text,
        cancelled_at timestamptz,
        cancel_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // "Never subsidised before, anywhere": among claims that are still alive. A rejected or cancelled
    // claim frees its serial, receipt and invoice (and leaves a prior_rejections trail).
    await q.query(`CREATE UNIQUE INDEX claims_serial_live ON claims (serial_number) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_receipt_live ON claims (receipt_issuer, receipt_rid) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice_live ON claims (retailer_id, invoice_number) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_voucher ON claims (voucher_id)`);
    await q.query(`CREATE INDEX claims_retailer ON claims (retailer_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX claims_household ON claims (household_id, program_id)`);
    await q.query(`CREATE INDEX claims_store_time ON claims (store_id, created_at)`);
    await q.query(`CREATE INDEX claims_status ON claims (program_id, status, created_at)`);
    await q.query(`CREATE INDEX claims_serial_any ON claims (serial_number)`);
    await q.query(`CREATE INDEX claims_receipt_any ON claims (receipt_issuer, receipt_rid)`);

    // Failed trade-in submissions, kept apart from the business tables (a failed request changes none of
    // them): repeated failures with one serial or receipt are a fraud signal (prior_rejections).
    await q.query(`
      CREATE TABLE trade_in_failures (
        id bigserial PRIMARY KEY,
        retailer_id uuid,
        serial_number text,
        receipt_issuer text,
        receipt_rid text,
        code text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX trade_in_failures_serial ON trade_in_failures (serial_number)`);
    await q.query(`CREATE INDEX trade_in_failures_receipt ON trade_in_failures (receipt_issuer, receipt_rid)`);

    await q.query(`
      CREATE TABLE receipt_revocations (
        recycler_id uuid NOT NULL REFERENCES recyclers(id),
        rid text NOT NULL,
        reason text,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (recycler_id, rid)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['receipt_revocations', 'trade_in_failures', 'claims', 'vouchers', 'quota_days']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
