/**
 * Chinese resident identity numbers (公民身份号码), GB 11643-1999: six-digit division code, eight-digit
 * birth date, three-digit sequence, one ISO 7064 MOD 11-2 check character.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;
// China has kept UTC+8 without daylight saving since 1991, so a fixed offset gives the Asia/Shanghai date.
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const MIN_BIRTH_YEAR = 1900;

/**
 * Trims and upper-cases, so a hand-typed trailing "x" matches the stored form. Validation is strict on the
 * canonical form: callers normalise first and store the normalised value, or uniqueness checks would see
 * "…002x" and "…002X" as two people.
 */
export function normaliseResidentId(s: string): string {
  return s.trim().toUpperCase();
}

/** The check character for the first 17 digits; exported so factories can mint valid numbers. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError('residentIdCheckChar expects exactly 17 digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17[i]) * WEIGHTS[i];
  }
  return CHECK_CHARS[sum % 11];
}

/**
 * True for a canonical (upper-case, trimmed) 18-character number whose check character matches and
 * whose birth date is a real date from 1900 up to today in Asia/Shanghai. `now` is injectable so tests
 * near midnight or in another zone stay deterministic.
 */
export function isValidResidentId(s: unknown, now: Date = new Date()): boolean {
  if (typeof s !== 'string' || !SHAPE.test(s)) {
    return false;
  }
  if (residentIdCheckChar(s.slice(0, 17)) !== s[17]) {
    return false;
  }
  return isPlausibleBirthDate(s.slice(6, 14), now);
}

/** Last four characters of the normalised number: what the API echoes back instead of the full number. */
export function residentIdLast4(s: string): string {
  return normaliseResidentId(s).slice(-4);
}

function isPlausibleBirthDate(yyyymmdd: string, now: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < MIN_BIRTH_YEAR || month < 1 || month > 12 || day < 1) {
    return false;
  }
  // Day 0 of the next month is the last day of this one; UTC avoids the host zone shifting the date.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) {
    return false;
  }
  const todayInShanghai = new Date(now.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');
  // Both are zero-padded YYYYMMDD, so string order is date order.
  return yyyymmdd <= todayInShanghai;
}
