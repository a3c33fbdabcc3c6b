/**
 * Unified social credit codes (统一社会信用代码), GB 32100-2015: registration authority, organisation type,
 * six-digit division code, nine-character organisation code, one MOD 31 check character.
 */

// The 31-character alphabet leaves out I, O, Z, S and V, which are too easily read as 1, 0, 2, 5 and U.
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** Trims and upper-cases; as with resident IDs, store the normalised form so duplicates are caught. */
export function normaliseCreditCode(s: string): string {
  return s.trim().toUpperCase();
}

/** The check character for the first 17 characters; exported so factories can mint valid codes. */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== 17) {
    throw new RangeError('creditCodeCheckChar expects exactly 17 characters');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CHARSET.indexOf(first17[i]);
    if (value < 0) {
      throw new RangeError(`creditCodeCheckChar: '${first17[i]}' is not in the GB 32100 alphabet`);
    }
    sum += value * WEIGHTS[i];
  }
  // 31 - (sum mod 31) is 1..31; 31 wraps to the character for 0.
  return CHARSET[(31 - (sum % 31)) % 31];
}

/**
 * True for a canonical (upper-case, trimmed) 18-character code in the GB 32100 alphabet, digits in the
 * division-code positions 3-8, and a matching check character. Positions 1 and 2 are only checked against
 * the alphabet: the authority and type tables grow, and a stale table would reject real businesses.
 */
export function isValidCreditCode(s: unknown): boolean {
  if (typeof s !== 'string' || !SHAPE.test(s)) {
    return false;
  }
  return creditCodeCheckChar(s.slice(0, 17)) === s[17];
}
