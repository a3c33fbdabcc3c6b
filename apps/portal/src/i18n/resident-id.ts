const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export type IdCheck = { state: 'short'; missing: number } | { state: 'bad' } | { state: 'ok' };

/** GB 11643 as the household types: how many characters are missing, or whether the check digit is right. */
export function checkResidentId(raw: string): IdCheck {
  const id = raw.trim().toUpperCase();
  if (!/^\d{0,17}[\dX]?$/.test(id)) return { state: 'bad' };
  if (id.length < 18) return { state: 'short', missing: 18 - id.length };
  const sum = WEIGHTS.reduce((s, w, i) => s + w * Number(id[i]), 0);
  return CHECK[sum % 11] === id[17] ? { state: 'ok' } : { state: 'bad' };
}
