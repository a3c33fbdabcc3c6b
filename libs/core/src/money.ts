/**
 * Money is integer fen (1 yuan = 100 fen) everywhere (DESIGN.md "Money"). A plain alias rather than a brand:
 * amounts flow through TypeORM columns, DTOs and arithmetic, and a brand would need casts at every one of
 * them without catching the real mistake (floats), which `assertFen` does at the boundaries.
 */
export type Fen = number;

const YUAN_PATTERN = /^(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Throws unless `n` is a safe integer. Negative amounts are allowed because ledger deltas and clawbacks
 * are negative; non-negativity is the caller's rule (see `IsFen` for request bodies). A failure here is a
 * bug, not bad input, so it is a plain RangeError and surfaces as a 500.
 */
export function assertFen(n: unknown, what = 'amount'): asserts n is Fen {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new RangeError(`${what} must be a safe integer number of fen, got ${String(n)}`);
  }
}

/** 119980 → "1,199.80"; -5 → "-0.05". Grouped with commas, always two decimals, no currency sign. */
export function formatYuan(fen: Fen): string {
  assertFen(fen, 'formatYuan');
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  // Exact: abs is a safe integer, so the division and remainder involve no rounding error.
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  const grouped = String(yuan).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${sign}${grouped}.${String(cents).padStart(2, '0')}`;
}

/**
 * "5999.00" → 599900, by string arithmetic so no float ever touches the amount. Accepts an optional
 * leading minus, correctly grouped commas (so it reads what `formatYuan` writes) and at most two decimals;
 * a third decimal is refused rather than rounded, because silently dropping a fen is how ledgers drift.
 */
export function yuanToFen(input: string): Fen {
  const match = YUAN_PATTERN.exec(input.trim());
  if (!match) {
    throw new RangeError(`not a yuan amount with at most two decimals: ${JSON.stringify(input)}`);
  }
  const [, minus, intPart, fracPart = ''] = match;
  const magnitude = BigInt(intPart.replace(/,/g, '') + fracPart.padEnd(2, '0'));
  if (magnitude > MAX_SAFE) {
    throw new RangeError(`yuan amount too large to hold exactly in fen: ${JSON.stringify(input)}`);
  }
  const fen = Number(magnitude);
  // `-0` would print and compare oddly in places (Object.is, JSON of some drivers); "-0.00" is zero.
  return minus && fen !== 0 ? -fen : fen;
}

/**
 * A bigint fen column as the driver hands it (pg returns int8 as text, to lose nothing) → a number, once, at the
 * repository edge. Throws (a bug, not bad input) if the value is not an integer or is beyond 2^53 fen.
 */
export function fenFromDb(value: unknown, what = 'amount'): Fen {
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  assertFen(n, what);
  return n;
}
