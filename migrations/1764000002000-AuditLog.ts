import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sealed, tamper-evident audit log (DESIGN.md "The audit log"; libs/audit-log/src/audit-sealer.service.ts
 * explains the sealing order).
 *
 * - `audit_events` becomes strictly append-only: a trigger refuses every UPDATE and DELETE, TRUNCATE too.
 *   Sealing never touches its rows (no second write of every event, no dead tuples in the largest table).
 * - `audit_events.tx_id`: the 64-bit id of the inserting transaction (`pg_current_xact_id()`: the top-level
 *   transaction's, also inside a savepoint; xid8 never wraps around). With a stored snapshot it tells which
 *   events are not sealed yet, and keeps each transaction's events together.
 * - `audit_leaves`: leaf index → event, dense from 0; each event at most once.
 * - `audit_tree_nodes`: every perfect-subtree hash (level 0 = the leaf hashes), written once when complete, so
 *   any root or proof is O(log n) primary-key reads (libs/audit-log/src/merkle/tree.ts).
 * - `audit_tree_heads`: one signed head per sealed batch; `timestamp` is kept as the exact string signed.
 * - `audit_seal_state`: the single sealer's position: sealed size, the last fully sealed commit window and
 *   the one being sealed.
 */
export class AuditLog1764000002000 implements MigrationInterface {
  name = 'AuditLog1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX audit_events_tx ON audit_events (tx_id, id)`);

    await q.query(`
      CREATE TABLE audit_leaves (
        leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
        event_id bigint NOT NULL UNIQUE REFERENCES audit_events(id)
      )`);
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
        sealed_window pg_snapshot,
        seal_window pg_snapshot,
        last_tx_id xid8,
        last_event_id bigint,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO audit_seal_state (id, tree_size) VALUES (1, 0)`);

    // Sealed or not, an event is permanent. (Whoever owns the tables can still disable the triggers: that is
    // what the signed tree heads and the offline verifier are for.)
    for (const table of ['audit_events', 'audit_leaves', 'audit_tree_nodes', 'audit_tree_heads']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    // Loses the seal (indices, tree, signed heads); the events themselves stay.
    await q.query(`DROP TABLE IF EXISTS audit_seal_state, audit_tree_heads, audit_tree_nodes, audit_leaves`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events`);
    await q.query(`DROP INDEX IF EXISTS audit_events_tx`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN IF EXISTS tx_id`);
  }
}
