import { calculateJwkThumbprint, importJWK } from 'jose';
import { DomainError, FieldError } from '@huanxin/core';

/** The only key a recycler may register: an Ed25519 public key as an OKP JWK (RFC 8037). */
export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** Members of a private or symmetric JWK. Any of them means the request carries a secret: refuse it whole. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Optional public members that may come along with the key; checked, then dropped (only kty, crv and x are kept). */
const OPTIONAL_MEMBERS = ['kid', 'use', 'alg', 'key_ops', 'ext'];
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

function field(base: string, member: string): string {
  return `${base}.${member.length > 40 ? `${member.slice(0, 40)}…` : member}`;
}

/**
 * Checks the shape of a public Ed25519 JWK without touching crypto. Messages never repeat a member's value:
 * a private key sent by mistake must not come back in the answer or end up in a log.
 */
export function checkEd25519PublicJwk(jwk: unknown, base = 'publicKeyJwk', kid?: string): FieldError[] {
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) return [{ field: base, message: `${base} must be a JWK object` }];
  const j = jwk as Record<string, unknown>;
  const secret = PRIVATE_MEMBERS.filter((m) => m in j);
  if (secret.length) {
    return secret.map((m) => ({ field: field(base, m), message: `${base} must be a public key: private member "${m}" is refused and was not stored` }));
  }
  const errors: FieldError[] = [];
  if (j.kty !== 'OKP') errors.push({ field: field(base, 'kty'), message: 'kty must be "OKP" (an Ed25519 key)' });
  if (j.crv !== 'Ed25519') errors.push({ field: field(base, 'crv'), message: 'crv must be "Ed25519"' });
  if (typeof j.x !== 'string' || !B64URL_32_BYTES.test(j.x) || Buffer.from(j.x, 'base64url').toString('base64url') !== j.x) {
    errors.push({ field: field(base, 'x'), message: 'x must be the base64url encoding (no padding) of 32 bytes' });
  }
  if ('kid' in j && (typeof j.kid !== 'string' || (kid !== undefined && j.kid !== kid))) {
    errors.push({ field: field(base, 'kid'), message: 'kid, when present in the JWK, must equal the kid of the request' });
  }
  if ('use' in j && j.use !== 'sig') errors.push({ field: field(base, 'use'), message: 'use, when present, must be "sig"' });
  if ('alg' in j && j.alg !== 'EdDSA' && j.alg !== 'Ed25519') errors.push({ field: field(base, 'alg'), message: 'alg, when present, must be "EdDSA"' });
  if ('key_ops' in j && !(Array.isArray(j.key_ops) && j.key_ops.every((op) => op === 'verify'))) {
    errors.push({ field: field(base, 'key_ops'), message: 'key_ops, when present, may only contain "verify"' });
  }
  if ('ext' in j && typeof j.ext !== 'boolean') errors.push({ field: field(base, 'ext'), message: 'ext, when present, must be a boolean' });
  for (const m of Object.keys(j)) {
    if (!['kty', 'crv', 'x', ...OPTIONAL_MEMBERS].includes(m)) errors.push({ field: field(base, m), message: 'this member is not allowed in an Ed25519 public JWK' });
  }
  return errors;
}

/**
 * The canonical `{kty, crv, x}` of a valid Ed25519 public JWK, proven to import with jose as an EdDSA key;
 * otherwise `validation_failed` listing the members at fault.
 */
export async function parseEd25519PublicJwk(jwk: unknown, base = 'publicKeyJwk', kid?: string): Promise<Ed25519PublicJwk> {
  const errors = checkEd25519PublicJwk(jwk, base, kid);
  if (errors.length) throw new DomainError('validation_failed', 'The public key is not an Ed25519 public JWK', errors);
  const { x } = jwk as Ed25519PublicJwk;
  const key: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', x };
  try {
    const imported = await importJWK({ ...key }, 'EdDSA');
    if (imported instanceof Uint8Array || imported.type !== 'public') throw new Error('not a public key');
  } catch {
    throw new DomainError('validation_failed', 'The public key is not an Ed25519 public JWK', [
      { field: base, message: `${base} does not import as an Ed25519 public key` },
    ]);
  }
  return key;
}

/** RFC 7638 thumbprint (base64url SHA-256): names a public key in the audit log without the key itself. */
export function jwkThumbprint(key: Ed25519PublicJwk): Promise<string> {
  return calculateJwkThumbprint(key, 'sha256');
}
