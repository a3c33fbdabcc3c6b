import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson, isHashHex, isTreeSize } from './merkle';

/** What a tree head commits to; the signature covers exactly these three fields (API.md). */
export interface TreeHead {
  treeSize: number;
  /** lower-case hex MTH of the first treeSize leaves (EMPTY_ROOT_HEX for 0) */
  rootHash: string;
  /** RFC 3339, the sealer's clock when it signed; kept as the exact string signed */
  timestamp: string;
}

/** `GET /v1/audit/tree-head`: the head, its Ed25519 signature (lower-case hex, 64 bytes) and the key's id. */
export interface SignedTreeHead extends TreeHead {
  signature: string;
  keyId: string;
}

/** `GET /v1/audit/public-key`: an OKP JWK; `kid` is its RFC 7638 thumbprint, the tree heads' keyId. */
export interface AuditPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** The signed bytes: UTF-8 of the RFC 8785 canonical JSON of {treeSize, rootHash, timestamp}, nothing else. */
export function treeHeadMessage(head: TreeHead): Buffer {
  return Buffer.from(canonicalJson({ treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp }), 'utf8');
}

/** RFC 7638 thumbprint of an Ed25519 public key: base64url SHA-256 of {"crv","kty","x"} in that order. */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}

export function publicJwkOf(key: KeyObject): AuditPublicJwk {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 key');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: ed25519Thumbprint(jwk.x), alg: 'EdDSA', use: 'sig' };
}

export function signTreeHead(head: TreeHead, privateKey: KeyObject, keyId: string): SignedTreeHead {
  const signature = sign(null, treeHeadMessage(head), privateKey).toString('hex');
  return { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp, signature, keyId };
}

export type HeadCheck = { ok: true } | { ok: false; reason: string };

/** A tree head as read from a file or an answer: the fields a client relies on, with their types. */
export function checkTreeHeadShape(head: unknown): HeadCheck {
  const h = head as Partial<SignedTreeHead> | null;
  if (!h || typeof h !== 'object') return { ok: false, reason: 'the tree head is not a JSON object' };
  if (!isTreeSize(h.treeSize)) return { ok: false, reason: 'treeSize must be a non-negative integer' };
  if (!isHashHex(h.rootHash) || h.rootHash !== h.rootHash.toLowerCase()) return { ok: false, reason: 'rootHash must be 64 lower-case hex digits' };
  if (typeof h.timestamp !== 'string') return { ok: false, reason: 'timestamp must be a string' };
  return { ok: true };
}

/**
 * Checks a signed tree head against a public JWK (as `GET /v1/audit/public-key` serves it). Never throws:
 * garbage in either argument is a failed check with a reason.
 */
export function verifyTreeHeadSignature(head: unknown, publicJwk: unknown): HeadCheck {
  const shape = checkTreeHeadShape(head);
  if (!shape.ok) return shape;
  const h = head as SignedTreeHead;
  const jwk = publicJwk as Partial<AuditPublicJwk> | null;
  if (!jwk || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    return { ok: false, reason: 'the public key is not an Ed25519 JWK (kty OKP, crv Ed25519, x)' };
  }
  if (jwk.kid !== undefined && h.keyId !== undefined && jwk.kid !== h.keyId) {
    return { ok: false, reason: `the head was signed with key ${h.keyId}, not with ${jwk.kid}` };
  }
  if (typeof h.signature !== 'string' || !/^[0-9a-f]{128}$/.test(h.signature)) {
    return { ok: false, reason: 'signature must be 128 lower-case hex digits (64 bytes)' };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  } catch {
    return { ok: false, reason: 'the public key is not a valid Ed25519 key' };
  }
  const valid = verify(null, treeHeadMessage(h), key, Buffer.from(h.signature, 'hex'));
  return valid ? { ok: true } : { ok: false, reason: 'the signature does not verify with this key' };
}
