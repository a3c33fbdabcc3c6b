import { DomainError } from './errors';
import { unsafeText } from './safety/text';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The page size asked for, kept within 1..MAX_PAGE_SIZE. */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/** Opaque keyset cursors: the last key of a page, base64url-encoded so clients do not build them. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  // a key we made never holds control characters, NUL or lone surrogates: one that does was forged
  if (!cursor || encodeCursor(key) !== cursor || unsafeText(key) || [...key].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new DomainError('validation_failed', 'The cursor is not one this API gave out', [{ field: 'cursor', message: 'cursor is not valid' }]);
  }
  return key;
}

/** A keyset page (API.md): `{ items, nextCursor }`, `nextCursor` null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The time of a keyset cursor, or undefined unless it is one a page of ours could have ended at: a valid
 * date within years 1..9999 (JavaScript dates reach far beyond what PostgreSQL's timestamptz can hold).
 */
export function cursorTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1 || year > 9999 ? undefined : d;
}

/** The refusal of a cursor no page of this list could have given out. */
export function invalidCursor(): DomainError {
  return new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list' }]);
}

/** A keyset cursor over (time, key), the order of most lists here: the last row's time (to the ms) and its key. */
export function encodeTimeCursor(at: Date, key: string): string {
  return encodeCursor(JSON.stringify([at.toISOString(), key]));
}

/**
 * The (time, key) of a cursor `encodeTimeCursor` made, or 400 validation_failed. The key is checked again after
 * JSON has unescaped it (an escaped NUL or control character would otherwise reach PostgreSQL), then by `validKey`.
 */
export function decodeTimeCursor(cursor: string, validKey: (key: string) => boolean): { at: Date; key: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch {
    throw invalidCursor();
  }
  const [time, key] = Array.isArray(parsed) && parsed.length === 2 ? parsed : [];
  const at = cursorTime(time);
  if (!at || typeof key !== 'string' || unsafeText(key) || [...key].some((c) => c.charCodeAt(0) < 0x20) || !validKey(key)) throw invalidCursor();
  return { at, key };
}
