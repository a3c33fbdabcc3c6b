import { Injectable } from '@nestjs/common';
import { Actor, actorRef } from '@huanxin/core';
import { queryPrepared, TransactionService, Tx } from '@huanxin/database';
import type { SignedTreeHead } from './tree-head';

/** An event as a subject's history shows it (before it is sealed, if it is not yet). */
export interface AuditHistoryEvent {
  id: string;
  occurredAt: Date;
  actor: Record<string, string>;
  action: string;
  subjectType: string;
  subjectId: string | null;
  details: Record<string, unknown>;
}

export interface AuditRecord {
  action: string;
  subjectType: string;
  subjectId?: string | null;
  details?: Record<string, unknown>;
}

const FORBIDDEN_KEYS = /password|secret|token|apikey|api_key|idnumber|id_number|privatekey|^key$/i;

/** Drops anything that looks like a secret, so a careless caller cannot put one in the permanent log. */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.test(k) && !/last4$/i.test(k)) continue;
      out[k] = scrub(v);
    }
    return out;
  }
  return value;
}

/**
 * For set-based writers that move many rows in one statement (a payout run moves 100,000 claims): the SQL of a
 * data-modifying CTE that appends one audit event per row of the CTE `from`, with the same columns as `append`.
 * The caller composes it into its own `WITH … ` statement and binds the actor (`actorRef`, JSON) and the action
 * to the parameters named. The details are built here from named SQL expressions, and a name that looks like a
 * secret is refused when the statement is built (what `append`'s scrubbing drops at run time), so the audit log
 * stays the only author of its table's SQL.
 */
export function auditEventsCte(o: { from: string; actorParam: string; actionParam: string; subjectType: string; subjectId: string; details: Record<string, string> }): string {
  for (const k of Object.keys(o.details)) {
    if (FORBIDDEN_KEYS.test(k) && !/last4$/i.test(k)) throw new Error(`audit: a detail named ${k} would be a secret in the permanent log`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) throw new Error(`audit: detail name ${k} is not a plain name`);
  }
  if (!/^[a-z_]+$/.test(o.subjectType)) throw new Error(`audit: subject type ${o.subjectType} is not a plain name`);
  const details = Object.entries(o.details).map(([k, expr]) => `'${k}', ${expr}`).join(', ');
  return `INSERT INTO audit_events (actor, action, subject_type, subject_id, details)
         SELECT ${o.actorParam}::jsonb, ${o.actionParam}, '${o.subjectType}', (${o.subjectId})::text, jsonb_build_object(${details})
           FROM ${o.from}`;
}

/**
 * Appends an audit event inside the caller's transaction: the change and its entry commit together or
 * not at all. The sealer (worker) later gives each event its leaf in the Merkle log.
 */
@Injectable()
export class AuditService {
  constructor(private readonly db: TransactionService) {}

  /**
   * The events about any of `subjects`, in insertion order: by the bigint column (a bare `ORDER BY id` would
   * sort the text alias, putting 1000 before 999).
   */
  async history(subjects: { type: string; id: string }[]): Promise<AuditHistoryEvent[]> {
    const rows = await this.db.manager.query(
      `SELECT id::text AS id, occurred_at, actor, action, subject_type, subject_id, details
         FROM audit_events
        WHERE (subject_type, subject_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        ORDER BY audit_events.id`,
      [subjects.map((s) => s.type), subjects.map((s) => s.id)],
    );
    return rows.map((e: { id: string; occurred_at: Date; actor: Record<string, string>; action: string; subject_type: string; subject_id: string | null; details: Record<string, unknown> }) => ({
      id: e.id, occurredAt: e.occurred_at, actor: e.actor, action: e.action, subjectType: e.subject_type, subjectId: e.subject_id, details: e.details,
    }));
  }

  async append(tx: Tx, actor: Actor, record: AuditRecord): Promise<void> {
    await queryPrepared(tx,
      `INSERT INTO audit_events (actor, action, subject_type, subject_id, details) VALUES ($1, $2, $3, $4, $5)`,
      [actorRef(actor), record.action, record.subjectType, record.subjectId ?? null, scrub(record.details ?? {})],
    );
  }

  /**
   * The first signed tree head whose signing time is at or after `at`, or undefined (none signed yet). Heads are
   * signed in size order under the sealer's lock, so their times grow with their sizes. The lottery (issue 13)
   * takes its root hash into a draw's seed: a value nobody controlled while the draw's entries were being made.
   */
  async firstHeadSignedAtOrAfter(tx: Tx, at: Date): Promise<SignedTreeHead | undefined> {
    const [row] = await tx.query(
      `SELECT tree_size, encode(root_hash, 'hex') AS root_hash, "timestamp", encode(signature, 'hex') AS signature, key_id
         FROM audit_tree_heads WHERE "timestamp"::timestamptz >= $1 ORDER BY tree_size LIMIT 1`,
      [at],
    );
    return row
      ? { treeSize: Number(row.tree_size), rootHash: row.root_hash, timestamp: row.timestamp, signature: row.signature, keyId: row.key_id }
      : undefined;
  }

  /** Many events in one statement, for batch jobs (set-based, no loop of inserts). */
  async appendMany(tx: Tx, actor: Actor, records: AuditRecord[]): Promise<void> {
    if (!records.length) return;
    await tx.query(
      `INSERT INTO audit_events (actor, action, subject_type, subject_id, details)
       SELECT $1::jsonb, r.action, r.subject_type, r.subject_id, r.details
         FROM jsonb_to_recordset($2::jsonb) AS r(action text, subject_type text, subject_id text, details jsonb)`,
      [
        actorRef(actor),
        JSON.stringify(records.map((r) => ({ action: r.action, subject_type: r.subjectType, subject_id: r.subjectId ?? null, details: scrub(r.details ?? {}) }))),
      ],
    );
  }
}
