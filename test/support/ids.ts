import { randomInt } from 'node:crypto';
import { creditCodeCheckChar, gtin13CheckDigit, residentIdCheckChar } from '@huanxin/core';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** A valid, random resident ID number (GB 11643) from a Zhejiang region. */
export function randomResidentId(): string {
  const year = 1950 + randomInt(55);
  const body = `330106${year}${pad(1 + randomInt(12), 2)}${pad(1 + randomInt(28), 2)}${pad(randomInt(1000), 3)}`;
  return body + residentIdCheckChar(body);
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** A valid, random unified social credit code (GB 32100). */
export function randomCreditCode(): string {
  let tail = '';
  for (let i = 0; i < 9; i++) tail += CREDIT_CHARS[randomInt(CREDIT_CHARS.length)];
  const body = `91330100${tail}`;
  return body + creditCodeCheckChar(body);
}

export function randomGtin(): string {
  let body = '69';
  for (let i = 0; i < 10; i++) body += randomInt(10);
  return body + gtin13CheckDigit(body);
}

export function randomPhone(): string {
  return `1${3 + randomInt(7)}${pad(randomInt(1e9), 9)}`;
}

export function uniq(prefix = ''): string {
  return `${prefix}${Date.now().toString(36)}${randomInt(1e9).toString(36)}`.toUpperCase();
}
