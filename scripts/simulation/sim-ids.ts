import { creditCodeCheckChar, gtin13CheckDigit, residentIdCheckChar } from '@huanxin/core';

/**
 * Identifiers the simulated actors make up, as pure functions of a counter: valid (check digits right),
 * unique within a run's fresh database, and the same on every replay of a seed.
 */
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The n-th household's resident ID number (GB 11643), born 1950–2004, unique for n < 10^7. */
export function residentId(n: number): string {
  const year = 1950 + (n % 55);
  const month = 1 + (Math.floor(n / 55) % 12);
  const day = 1 + (Math.floor(n / 660) % 28);
  const seq = Math.floor(n / 18480) % 1000;
  // the region code varies with the rest of n, so that n → (region, birth date, sequence) stays one-to-one
  const region = 330100 + (Math.floor(n / 18480000) % 99) + 1;
  const body = `${region}${year}${pad(month, 2)}${pad(day, 2)}${pad(seq, 3)}`;
  return body + residentIdCheckChar(body);
}

export function phone(n: number): string {
  return `139${pad(n, 8)}`;
}

/** The n-th organisation's unified social credit code (GB 32100). */
export function creditCode(n: number): string {
  const body = `91330100${pad(n, 9)}`;
  return body + creditCodeCheckChar(body);
}

export function gtin(n: number): string {
  const body = `690${pad(n, 9)}`;
  return body + gtin13CheckDigit(body);
}
