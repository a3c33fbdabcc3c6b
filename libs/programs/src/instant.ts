import { RFC3339_RE } from '@huanxin/core';

const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A strict RFC 3339 instant with an offset, or undefined. `Date.parse` alone is too lenient for a time that
 * decides which rules pay a sale: it rolls 2026-02-30 over into March and takes 24:00. Programme times are
 * kept to the second (the API answers whole seconds), so a fraction is dropped.
 */
export function parseInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !RFC3339_RE.test(value)) return undefined;
  const m = PARTS.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap(y) ? 29 : DAYS[mo - 1]) || h > 23 || mi > 59 || s > 59) return undefined;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000);
}

export const INSTANT_MESSAGE = 'must be an RFC 3339 time with an offset, e.g. 2026-11-11T10:00:00+08:00';
