import { addDays, DomainError, RFC3339_RE, shanghaiInstant } from '@huanxin/core';
import { claimPhase } from './claim-states';
import type { ClaimStatus } from './claims.repository';


/** A Shanghai calendar date (`2026-11-11`) or an RFC 3339 instant. */
export const TIME_BOUND_RE = new RegExp(`^\\d{4}-\\d{2}-\\d{2}$|${RFC3339_RE.source}`);

/** The auditor's claim filters (API.md "Auditor"), as the query string gives them. */
export interface ClaimFilterInput {
  status?: ClaimStatus;
  city?: string;
  retailerId?: string;
  flag?: string;
  programCode?: string;
  from?: string;
  to?: string;
}

/** Resolved: `from` inclusive, `to` exclusive, both instants. */
export interface ClaimFilter {
  status?: ClaimStatus;
  city?: string;
  retailerId?: string;
  flag?: string;
  programCode?: string;
  /**
   * The programme code resolved by its owner (ProgramsRepository): null when no programme has the code, so the
   * filter matches nothing. Set whenever `programCode` is.
   */
  programId?: string | null;
  from?: Date;
  to?: Date;
}

function parseBound(field: 'from' | 'to', s: string): Date {
  let at: Date;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    // a date names the whole Shanghai day: `from` at its 00:00, `to` at the next day's 00:00 (exclusive)
    const valid = !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
    if (!valid) throw new DomainError('validation_failed', `${field} is not a date`, [{ field, message: `${field} must be a real date` }]);
    at = shanghaiInstant(field === 'to' ? addDays(s, 1) : s, '00:00');
  } else {
    at = new Date(s);
  }
  if (Number.isNaN(at.getTime())) throw new DomainError('validation_failed', `${field} is not a time`, [{ field, message: `${field} must be a date or an RFC 3339 time` }]);
  return at;
}

/**
 * Dates are Shanghai calendar days (`from=2026-11-01&to=2026-11-30` is all of November); instants are taken
 * as given (`from` inclusive, `to` exclusive). Both filter on when the claim was submitted.
 */
export function resolveClaimFilter(input: ClaimFilterInput): ClaimFilter {
  const f: ClaimFilter = {
    status: input.status, city: input.city, retailerId: input.retailerId?.toLowerCase(), flag: input.flag, programCode: input.programCode,
  };
  if (input.from) f.from = parseBound('from', input.from);
  if (input.to) f.to = parseBound('to', input.to);
  if (f.from && f.to && f.from >= f.to) {
    throw new DomainError('validation_failed', 'The period is empty', [{ field: 'to', message: 'to must be after from' }]);
  }
  return f;
}

/**
 * SQL conditions over `claims c` for a filter, pushing their values onto `params`. The programme is its id
 * (resolved beforehand, so the planner can use the (program_id, created_at, id) index); an unknown code
 * matches nothing.
 */
export function claimFilterSql(f: ClaimFilter, params: unknown[]): string[] {
  const conds: string[] = [];
  if (f.programCode) {
    if (f.programId === undefined) throw new Error('claimFilterSql: resolve programCode to programId first');
    conds.push(f.programId === null ? 'false' : `c.program_id = $${params.push(f.programId)}::uuid`);
  }
  // the phase too, as a literal: the partial indexes are written on it (claims_pending, claims_phase), not on status
  if (f.status) conds.push(`c.status = $${params.push(f.status)}`, `c.phase = '${claimPhase(f.status)}'`);
  if (f.city) conds.push(`c.city = $${params.push(f.city)}`);
  if (f.retailerId) conds.push(`c.retailer_id = $${params.push(f.retailerId)}::uuid`);
  if (f.flag) conds.push(`c.flags @> ARRAY[$${params.push(f.flag)}::text]`);
  if (f.from) conds.push(`c.created_at >= $${params.push(f.from)}`);
  if (f.to) conds.push(`c.created_at < $${params.push(f.to)}`);
  return conds;
}

/** Keyset position in claim lists: created_at at full (microsecond) precision, then id. */
export interface ClaimKey {
  createdKey: string;
  id: string;
}

/** `created_at` as UTC text with microseconds: a cursor that loses nothing a JS Date would round away. */
export const createdKeySql = (alias: string) => `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
export const CREATED_KEY_SQL = createdKeySql('c');

const CREATED_KEY_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isClaimKey(k: unknown): k is ClaimKey {
  const c = k as ClaimKey;
  return !!c && typeof c.createdKey === 'string' && CREATED_KEY_RE.test(c.createdKey) && typeof c.id === 'string' && UUID_RE.test(c.id);
}
