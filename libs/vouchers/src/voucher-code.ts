import { randomInt } from 'node:crypto';

// No 0/O, 1/I/L: a code is read aloud at a till and typed on a phone.
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** `HX-XXXX-XXXX-XXXX`: 12 random symbols, about 59 bits — unguessable, and short enough to type. */
export function newVoucherCode(): string {
  let s = '';
  for (let i = 0; i < 12; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `HX-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** What a cashier types: any case, with or without the dashes. */
export function normaliseVoucherCode(input: string): string {
  const s = input.toUpperCase().replace(/[\s-]/g, '');
  const body = s.startsWith('HX') ? s.slice(2) : s;
  if (body.length !== 12) return input.trim().toUpperCase();
  return `HX-${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}`;
}
