/** GTIN-13 / EAN-13 product numbers: twelve digits and a mod-10 check digit weighted 1, 3, 1, 3… from the left. */

const SHAPE = /^\d{13}$/;

/** The check digit for the first 12 digits; exported so factories can mint valid GTINs. */
export function gtin13CheckDigit(first12: string): string {
  if (!/^\d{12}$/.test(first12)) {
    throw new RangeError('gtin13CheckDigit expects exactly 12 digits');
  }
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  }
  return String((10 - (sum % 10)) % 10);
}

/** True for exactly 13 digits (no spaces, no GTIN-8/12/14 forms) with a matching check digit. */
export function isValidGtin13(s: unknown): boolean {
  if (typeof s !== 'string' || !SHAPE.test(s)) {
    return false;
  }
  return gtin13CheckDigit(s.slice(0, 12)) === s[12];
}
