import { Injectable } from '@nestjs/common';
import { AUDIT_EVENT_COLUMNS, AuditEventRow } from './audit-event';
import { NodeKey, NodeReader, TreeNode } from './merkle';
import type { SignedTreeHead } from './tree-head';

/** Anything that runs SQL: a transaction's EntityManager or the DataSource itself. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** Advisory lock key of the sealer: one sealing transaction at a time across every worker process. */
const SEALER_LOCK = 727280;

export interface SealState {
  treeSize: number;
  /** pg_snapshot text of the last commit window sealed completely: every event visible in it is sealed */
  sealedWindow: string | null;
  /** pg_snapshot text of the commit window being sealed; null before the first batch */
  window: string | null;
  /** the last (tx_id, id) sealed from `window`: where the next batch of the same window resumes */
  after: { txId: string; eventId: string } | null;
}

/** id (bigint) and tx_id (xid8) come back from pg as decimal strings. */
export interface UnsealedEventRow extends AuditEventRow {
  id: string;
  tx_id: string;
}

export interface SealedEventRow extends AuditEventRow {
  leaf_index: string;
  leaf_hash: Buffer;
}

/** Perfect-subtree hashes from audit_tree_nodes: each call is one query, whatever the number of keys. */
export class DbNodeReader implements NodeReader {
  constructor(private readonly db: Queryable) {}

  async getNodes(keys: NodeKey[]): Promise<Buffer[]> {
    if (keys.length === 0) return [];
    const rows: { ord: string; hash: Buffer }[] = await this.db.query(
      `SELECT k.ord, n.hash
         FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS k(level, idx, ord)
         JOIN audit_tree_nodes n ON n.level = k.level AND n.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    if (rows.length !== keys.length) throw new Error(`audit_tree_nodes is missing ${keys.length - rows.length} of ${keys.length} nodes`);
    const out = new Array<Buffer>(keys.length);
    for (const row of rows) out[Number(row.ord) - 1] = row.hash;
    return out;
  }
}

/** SQL of the audit log's seal: state, unsealed events, tree nodes and signed heads. */
@Injectable()
export class AuditLogRepository {
  nodeReader(db: Queryable): NodeReader {
    return new DbNodeReader(db);
  }

  /** Waits for the sealer lock; released when the caller's transaction ends. */
  async lockSealer(tx: Queryable): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock($1)`, [SEALER_LOCK]);
  }

  async sealState(db: Queryable): Promise<SealState> {
    const [row] = await db.query(
      `SELECT tree_size, sealed_window::text AS sealed_window, seal_window::text AS seal_window,
              last_tx_id::text AS last_tx_id, last_event_id::text AS last_event_id
         FROM audit_seal_state WHERE id = 1`,
    );
    return {
      treeSize: Number(row.tree_size),
      sealedWindow: row.sealed_window,
      window: row.seal_window,
      after: row.last_tx_id === null ? null : { txId: row.last_tx_id, eventId: row.last_event_id },
    };
  }

  async saveSealState(tx: Queryable, state: SealState): Promise<void> {
    await tx.query(
      `UPDATE audit_seal_state
          SET tree_size = $1, sealed_window = $2::pg_snapshot, seal_window = $3::pg_snapshot, last_tx_id = $4::xid8,
              last_event_id = $5, updated_at = now()
        WHERE id = 1`,
      [state.treeSize, state.sealedWindow, state.window, state.after?.txId ?? null, state.after?.eventId ?? null],
    );
  }

  /** This statement's snapshot: the transactions it sees as committed make up the next commit window. */
  async currentSnapshot(tx: Queryable): Promise<string> {
    const [row] = await tx.query(`SELECT pg_current_snapshot()::text AS snapshot`);
    return row.snapshot;
  }

  /**
   * The next unsealed events of `window`, in (tx_id, id) order from just after `after`: those whose
   * transactions had committed when `window` was taken but not yet when `sealedWindow` was (every event
   * visible in that one is sealed). "Not visible in a snapshot" is exactly: tx_id ≥ its xmax, or tx_id among
   * its in-progress xids; so the query is an index range scan plus a few point lookups on audit_events_tx,
   * merged in order, and its cost does not grow with the log, nor while a long transaction stays open.
   */
  unsealedInWindow(tx: Queryable, window: string, sealedWindow: string | null, after: SealState['after'], limit: number): Promise<UnsealedEventRow[]> {
    const params: unknown[] = [window, limit];
    let resume = '';
    if (after) {
      params.push(after.txId, after.eventId);
      resume = `AND (e.tx_id, e.id) > ($3::xid8, $4::bigint)`;
    }
    const select = (where: string) =>
      `SELECT e.id, e.tx_id, ${AUDIT_EVENT_COLUMNS}
         FROM audit_events e
        WHERE ${where} AND pg_visible_in_snapshot(e.tx_id, $1::pg_snapshot) ${resume}
        ORDER BY e.tx_id, e.id
        LIMIT $2`;
    if (sealedWindow === null) return tx.query(select('TRUE'), params);
    params.push(sealedWindow);
    const sealed = `$${params.length}::pg_snapshot`;
    return tx.query(
      `SELECT * FROM (
         (${select(`e.tx_id >= pg_snapshot_xmax(${sealed})`)})
         UNION ALL
         (${select(`e.tx_id = ANY (ARRAY(SELECT pg_snapshot_xip(${sealed})))`)})
       ) c
       ORDER BY c.tx_id, c.id
       LIMIT $2`,
      params,
    );
  }

  /** Gives the events leaves [firstIndex, firstIndex + n); an event sealed twice violates a unique key. */
  async insertLeaves(tx: Queryable, eventIds: string[], firstIndex: number): Promise<void> {
    await tx.query(
      `INSERT INTO audit_leaves (leaf_index, event_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])`,
      [eventIds.map((_, k) => firstIndex + k), eventIds],
    );
  }

  async insertNodes(tx: Queryable, nodes: TreeNode[]): Promise<void> {
    if (nodes.length === 0) return;
    await tx.query(
      `INSERT INTO audit_tree_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash)],
    );
  }

  /**
   * Stores a signed head. Sizes only grow under the sealer lock, so a clash is a bug and throws, except for
   * the empty tree's head, which the API and the sealer may both sign first (`ifAbsent`: the first one stays).
   */
  async insertHead(db: Queryable, head: SignedTreeHead, opts: { ifAbsent?: boolean } = {}): Promise<void> {
    await db.query(
      `INSERT INTO audit_tree_heads (tree_size, root_hash, "timestamp", signature, key_id)
       VALUES ($1, decode($2, 'hex'), $3, decode($4, 'hex'), $5) ${opts.ifAbsent ? 'ON CONFLICT (tree_size) DO NOTHING' : ''}`,
      [head.treeSize, head.rootHash, head.timestamp, head.signature, head.keyId],
    );
  }

  async latestHead(db: Queryable): Promise<SignedTreeHead | null> {
    const [row] = await db.query(
      `SELECT tree_size, encode(root_hash, 'hex') AS root_hash, "timestamp", encode(signature, 'hex') AS signature, key_id
         FROM audit_tree_heads ORDER BY tree_size DESC LIMIT 1`,
    );
    return row
      ? { treeSize: Number(row.tree_size), rootHash: row.root_hash, timestamp: row.timestamp, signature: row.signature, keyId: row.key_id }
      : null;
  }

  /**
   * Sealed entries [from, min(from + limit, below)) in index order, with their sealed (stored) leaf hashes.
   * The page of leaves is cut first, so the plan is `limit` primary-key probes whatever the statistics say
   * (with the LIMIT outside, stale estimates made PostgreSQL join the whole range: seconds, not milliseconds).
   */
  sealedEntries(db: Queryable, from: number, limit: number, below: number): Promise<SealedEventRow[]> {
    return db.query(
      `SELECT l.leaf_index::text AS leaf_index, n.hash AS leaf_hash, ${AUDIT_EVENT_COLUMNS}
         FROM (SELECT leaf_index, event_id FROM audit_leaves WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index LIMIT $3) l
         JOIN audit_events e ON e.id = l.event_id
         JOIN audit_tree_nodes n ON n.level = 0 AND n.idx = l.leaf_index
        ORDER BY l.leaf_index`,
      [from, below, limit],
    );
  }

  async sealedEvent(db: Queryable, index: number): Promise<AuditEventRow | null> {
    const [row] = await db.query(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_leaves l JOIN audit_events e ON e.id = l.event_id WHERE l.leaf_index = $1`,
      [index],
    );
    return row ?? null;
  }
}
