import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts, programme set-up, the budget ledger's skeleton, idempotency and the audit event table.
 * Uniqueness that protects money or identity is a constraint here, never a check in Node.
 */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS citext`);

    await q.query(`
      CREATE TABLE retailers (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        credit_code char(18) NOT NULL UNIQUE,
        city text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        status_reason text,
        stripe_account_id text,
        bank jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE stores (
        id uuid PRIMARY KEY,
        retailer_id uuid NOT NULL REFERENCES retailers(id),
        code text NOT NULL,
        name text NOT NULL,
        city text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (retailer_id, code)
      )`);

    await q.query(`
      CREATE TABLE recyclers (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        credit_code char(18) NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'certified' CHECK (status IN ('certified', 'decertified')),
        certified_at timestamptz NOT NULL DEFAULT now(),
        decertified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE recycler_keys (
        recycler_id uuid NOT NULL REFERENCES recyclers(id),
        kid text NOT NULL,
        public_key_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoke_reason text CHECK (revoke_reason IN ('retired', 'compromised')),
        PRIMARY KEY (recycler_id, kid)
      )`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('household', 'retailer', 'auditor', 'admin')),
        email citext UNIQUE,
        phone text UNIQUE,
        password_hash text NOT NULL,
        name text NOT NULL,
        city text,
        id_number_hash text UNIQUE,
        id_number_last4 char(4),
        retailer_id uuid REFERENCES retailers(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz,
        CHECK (email IS NOT NULL OR phone IS NOT NULL),
        CHECK (role <> 'household' OR (phone IS NOT NULL AND id_number_hash IS NOT NULL AND city IS NOT NULL)),
        CHECK (role <> 'retailer' OR retailer_id IS NOT NULL)
      )`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id),
        family_id uuid NOT NULL,
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        owner_type text NOT NULL CHECK (owner_type IN ('retailer', 'recycler')),
        retailer_id uuid REFERENCES retailers(id),
        recycler_id uuid REFERENCES recyclers(id),
        key_hash text NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        last_used_at timestamptz,
        CHECK ((owner_type = 'retailer') = (retailer_id IS NOT NULL)),
        CHECK ((owner_type = 'recycler') = (recycler_id IS NOT NULL))
      )`);

    await q.query(`
      CREATE TABLE catalog_models (
        model_code text PRIMARY KEY,
        gtin char(13) NOT NULL UNIQUE,
        brand text NOT NULL,
        name text NOT NULL,
        category text NOT NULL,
        resolution text NOT NULL CHECK (resolution IN ('4K', '8K', 'FHD')),
        energy_grade smallint NOT NULL CHECK (energy_grade BETWEEN 1 AND 5),
        screen_inches smallint NOT NULL CHECK (screen_inches > 0),
        reference_price_fen bigint NOT NULL CHECK (reference_price_fen > 0),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved')),
        approved_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE programs (
        id uuid PRIMARY KEY,
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        voucher_validity_days integer NOT NULL CHECK (voucher_validity_days > 0),
        per_household_limit integer NOT NULL CHECK (per_household_limit > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
      )`);
    await q.query(`
      CREATE TABLE policy_versions (
        program_id uuid NOT NULL REFERENCES programs(id),
        version integer NOT NULL,
        effective_from timestamptz NOT NULL,
        rules jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_id, version),
        UNIQUE (program_id, effective_from)
      )`);
    // A published version is immutable: the database refuses updates and deletes, not just the code.
    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
      END $$`);
    await q.query(`CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON policy_versions
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TABLE quotas (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        daily_vouchers integer NOT NULL CHECK (daily_vouchers >= 0),
        release_time char(5) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_id, city)
      )`);

    // Double-entry ledger. Every account belongs to one programme and city so that no money movement
    // ever spans two shards (DESIGN.md "Scale"). Signed amounts: each transaction's entries sum to zero.
    await q.query(`
      CREATE TABLE ledger_accounts (
        id bigserial PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('granted', 'available', 'reserved', 'payable', 'paid', 'receivable')),
        retailer_id uuid REFERENCES retailers(id),
        balance_fen bigint NOT NULL DEFAULT 0,
        CHECK ((kind IN ('payable', 'receivable')) = (retailer_id IS NOT NULL)),
        -- the guard that makes overspending impossible, whichever process races whichever
        CONSTRAINT ledger_balance_non_negative CHECK (kind IN ('granted', 'receivable') OR balance_fen >= 0),
        CONSTRAINT ledger_contra_non_positive CHECK (kind NOT IN ('granted', 'receivable') OR balance_fen <= 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_city ON ledger_accounts (program_id, city, kind) WHERE retailer_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_retailer ON ledger_accounts (program_id, city, kind, retailer_id) WHERE retailer_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE ledger_transactions (
        id bigserial PRIMARY KEY,
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        kind text NOT NULL,
        reference text,
        note text,
        actor_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_entries (
        id bigserial PRIMARY KEY,
        transaction_id bigint NOT NULL REFERENCES ledger_transactions(id),
        account_id bigint NOT NULL REFERENCES ledger_accounts(id),
        amount_fen bigint NOT NULL CHECK (amount_fen <> 0)
      )`);
    await q.query(`CREATE INDEX ledger_entries_tx ON ledger_entries (transaction_id)`);
    await q.query(`CREATE INDEX ledger_entries_account ON ledger_entries (account_id)`);
    await q.query(`CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
        response_status integer,
        response_body jsonb,
        locked_until timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`);

    // Appended in the same transaction as the change it records; the sealer gives it a leaf index later.
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor jsonb NOT NULL,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'audit_events', 'idempotency_keys', 'ledger_entries', 'ledger_transactions', 'ledger_accounts', 'quotas',
      'policy_versions', 'programs', 'catalog_models', 'api_keys', 'refresh_tokens', 'users', 'recycler_keys',
      'recyclers', 'stores', 'retailers',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS refuse_change()`);
  }
}
