import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal data that must be read back in full (a bank account number for the payment file) is kept
 * encrypted: AES-256-GCM under DATA_ENCRYPTION_KEY, a fresh 96-bit IV each time, and associated data
 * naming the row and field it belongs to, so a ciphertext copied onto another row does not decrypt.
 * Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
export function sealField(keyB64: string, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64url'), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

export function openField(keyB64: string, sealed: string, context: string): string {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== 'v1' || !iv || ct === undefined || !tag) throw new Error('not a sealed field');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(keyB64, 'base64url'), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * A keyed, deterministic look-up value for personal data that is only ever matched, never read back
 * (a phone number as a log-in name): HMAC-SHA256 under a secret, with a purpose prefix so one value's
 * hash can never stand for another kind's.
 */
export function lookupHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('hex');
}

/** 13800000001 → 138****0001: what review, exports and the household's own pages show. */
export function maskPhone(phone: string): string {
  return phone.length >= 8 ? `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}` : '*'.repeat(phone.length);
}
