import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * National ID numbers are kept only as a keyed hash (HMAC-SHA256 with a secret from config) plus the
 * last four digits: equality look-ups work, a stolen table does not give the numbers back.
 */
export function hashIdNumber(secret: string, idNumber: string): string {
  return createHmac('sha256', secret).update(idNumber.trim().toUpperCase()).digest('hex');
}

/** Refresh tokens and API keys are 256-bit random strings, so a plain SHA-256 is enough to store them. */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
