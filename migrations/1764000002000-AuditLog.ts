import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sealed, tamper-evident audit log (DESIGN.md "The audit log"; libs/audit-log/src/audit-sealer.service.ts
 * explains the sealing order).
 *
 * - `audit_events.tx_id`: the 64-bit id of the inserting transaction (`pg_current_xact_id()` is the top-level
 *   transaction's, also inside a savepoint). With the row's visibility it lets the sealer seal transactions in
 *   commit windows and keep each transaction's events together. xid8 never wraps around.
 * - `audit_events.leaf_index`: NULL until sealed, then the event's dense position in the Merkle log. Set
 *   once; a trigger refuses any other change to the row and any DELETE.
 * - `audit_tree_nodes`: every perfect-subtree hash (level 0 = the leaf hashes), written once when complete, so
 *   any root or proof is O(log n) primary-key reads (libs/audit-log/src/merkle/tree.ts).
 * - `audit_tree_heads`: one signed head per sealed batch; `timestamp` is kept as the exact string signed.
 * - `audit_seal_state`: the single sealer's position: sealed size and the commit window being sealed.
 */
export class AuditLog1764000002000 implements MigrationInterface {
  name = 'AuditLog1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`ALTER TABLE audit_events ADD COLUMN leaf_index bigint CHECK (leaf_index >= 0)`);
    await q.query(`CREATE UNIQUE INDEX audit_events_leaf_index ON audit_events (leaf_index) WHERE leaf_index IS NOT NULL`);
    // Only the not-yet-sealed tail is indexed for the sealer; rows leave this index as they are sealed.
    await q.query(`CREATE INDEX audit_events_unsealed ON audit_events (tx_id, id) WHERE leaf_index IS NULL`);

    await q.query(`
      CREATE TABLE audit_tree_nodes (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`
      CREATE TABLE audit_tree_heads (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
        "timestamp" text NOT NULL,
        signature bytea NOT NULL,
        key_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audit_seal_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        tree_size bigint NOT NULL CHECK (tree_size >= 0),
        seal_window pg_snapshot,
        last_tx_id xid8,
        last_event_id bigint,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO audit_seal_state (id, tree_size) VALUES (1, 0)`);

    // A sealed event is permanent: the only change ever allowed is the sealer giving an unsealed row its
    // index. Deleting or truncating is refused too. (Whoever owns the table can still disable the trigger;
    // that is what the signed tree heads and the offline verifier are for.)
    await q.query(`
      CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.leaf_index IS NULL AND NEW.leaf_index IS NOT NULL
           AND (NEW.id, NEW.occurred_at, NEW.actor, NEW.action, NEW.subject_type, NEW.subject_id, NEW.details, NEW.tx_id)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.occurred_at, OLD.actor, OLD.action, OLD.subject_type, OLD.subject_id, OLD.details, OLD.tx_id) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (%)', TG_OP USING ERRCODE = 'P0001';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_guard()`);
    for (const table of ['audit_events', 'audit_tree_nodes', 'audit_tree_heads']) {
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
    }
    for (const table of ['audit_tree_nodes', 'audit_tree_heads']) {
      await q.query(`CREATE TRIGGER ${table}_immutable BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    // Loses the seal (indices, tree, signed heads); the events themselves stay.
    await q.query(`DROP TABLE IF EXISTS audit_seal_state, audit_tree_heads, audit_tree_nodes`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events`);
    await q.query(`DROP FUNCTION IF EXISTS audit_events_guard()`);
    await q.query(`DROP INDEX IF EXISTS audit_events_unsealed`);
    await q.query(`DROP INDEX IF EXISTS audit_events_leaf_index`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN IF EXISTS leaf_index, DROP COLUMN IF EXISTS tx_id`);
  }
}
