import { canonicalJsonFast } from './fast-canonical';
import { textLeafHash } from './merkle';

/**
 * One audit event exactly as the API serves it (`GET /v1/audit/entries` items[].event, the export's lines)
 * and as its leaf commits to: the leaf's data is the RFC 8785 canonical JSON of this object.
 *
 * - No event id and no index: the position in the tree is bound by the Merkle path, and the database's
 *   bigserial id is an implementation detail that a restore may renumber.
 * - `subject.id` is null (not absent) when the event has no subject id, so the JSON has one shape.
 * - `time` is formatted by PostgreSQL from `occurred_at` in Asia/Shanghai with microseconds
 *   (`2026-11-11T10:00:00.123456+08:00`): lossless, where a JavaScript Date would drop the microseconds
 *   and make the sealed bytes depend on the reader.
 */
export interface AuditEvent {
  actor: Record<string, unknown>;
  action: string;
  subject: { type: string; id: string | null };
  time: string;
  details: Record<string, unknown>;
}

/** An event with its place in the log and its leaf hash (an entries item, an export line). */
export interface AuditEntry {
  index: number;
  event: AuditEvent;
  leafHash: string;
}

/** The columns eventFromRow reads, for `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events e`. */
export const AUDIT_EVENT_COLUMNS = `e.actor, e.action, e.subject_type, e.subject_id, e.details,
  to_char(e.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS.US"+08:00"') AS event_time`;

export interface AuditEventRow {
  actor: Record<string, unknown>;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: Record<string, unknown> | null;
  event_time: string;
}

export function eventFromRow(row: AuditEventRow): AuditEvent {
  return {
    actor: row.actor,
    action: row.action,
    subject: { type: row.subject_type, id: row.subject_id },
    time: row.event_time,
    details: row.details ?? {},
  };
}


/** SHA-256(0x00 ‖ JCS(event)): the leaf an event is sealed as (merkle's eventLeafHash, on the fast path). */
export function auditLeafHash(event: AuditEvent): Buffer {
  return textLeafHash(canonicalJsonFast(event));
}
