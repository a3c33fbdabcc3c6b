/**
 * Checking the audit log in the auditor's own browser, trusting nothing the server computed: the tree head's
 * Ed25519 signature over the RFC 8785 canonical JSON of {treeSize, rootHash, timestamp}, the key's RFC 7638
 * thumbprint against the head's keyId, the entry's leaf hash recomputed from its event (SHA-256(0x00 ‖ JCS)),
 * and the RFC 6962 / RFC 9162 §2.1.3.2 inclusion proof from that leaf to the signed root.
 *
 * Pure functions: the hashing and the signature check are injected (`CryptoDeps`), so the page passes WebCrypto
 * (`webCrypto(crypto.subtle)`) and the unit test passes node:crypto or Node's WebCrypto. Nothing here throws on
 * untrusted input: garbage is a failed check with a reason, as in libs/audit-log's verifier.
 */

/** Bytes backed by a plain ArrayBuffer (what WebCrypto takes). */
export type Bytes = Uint8Array<ArrayBuffer>;

export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

export interface CryptoDeps {
  sha256(data: Bytes): Promise<Bytes>;
  /** true iff `signature` is a valid Ed25519 signature of `message` by the key; false (not a throw) otherwise */
  verifyEd25519(key: Ed25519Jwk, signature: Bytes, message: Bytes): Promise<boolean>;
}

/** The parts of WebCrypto's SubtleCrypto used here (the browser's `crypto.subtle`, Node's `webcrypto.subtle`). */
export interface SubtleLike {
  digest(algorithm: 'SHA-256', data: Bytes): Promise<ArrayBuffer>;
  importKey(format: 'jwk', keyData: Ed25519Jwk, algorithm: { name: 'Ed25519' }, extractable: false, usages: ['verify']): Promise<unknown>;
  verify(algorithm: { name: 'Ed25519' }, key: never, signature: Bytes, data: Bytes): Promise<boolean>;
}

export function webCrypto(subtle: SubtleLike): CryptoDeps {
  return {
    sha256: async (data) => new Uint8Array(await subtle.digest('SHA-256', data)),
    verifyEd25519: async (jwk, signature, message) => {
      try {
        const key = await subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
        return await subtle.verify({ name: 'Ed25519' }, key as never, signature, message);
      } catch {
        return false;
      }
    },
  };
}

// ---- bytes ----

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
export const HASH_SIZE = 32;
/** SHA-256(""), the root of the empty tree (RFC 6962 §2.1). */
export const EMPTY_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Strict hex: an even number of hex digits, or null (never a silently shortened decode). */
export function fromHex(hex: unknown): Bytes | null {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Exactly one SHA-256 digest in hex, or null. */
export function hashFromHex(hex: unknown): Bytes | null {
  const b = fromHex(hex);
  return b !== null && b.length === HASH_SIZE ? b : null;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function utf8(text: string): Bytes {
  return Uint8Array.from(new TextEncoder().encode(text));
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [B64URL[(n >> 18) & 63], B64URL[(n >> 12) & 63], B64URL[(n >> 6) & 63], B64URL[n & 63]];
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join('');
  }
  return out;
}

// ---- RFC 8785 canonical JSON ----

/**
 * RFC 8785 (JCS): object members sorted by their names' UTF-16 code units, no whitespace, strings escaped as
 * ECMAScript's JSON.stringify does, numbers in ECMAScript's shortest form (what JSON.stringify writes).
 * Members whose value is undefined are left out, as JSON.stringify does; non-finite numbers have no JSON form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a non-finite number has no JSON form');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`a ${typeof value} has no JSON form`);
}

// ---- RFC 6962 hashing ----

/** SHA-256(0x00 ‖ data). */
export function leafHash(deps: Pick<CryptoDeps, 'sha256'>, data: Uint8Array): Promise<Bytes> {
  return deps.sha256(concat(Uint8Array.of(0x00), data));
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(deps: Pick<CryptoDeps, 'sha256'>, left: Uint8Array, right: Uint8Array): Promise<Bytes> {
  return deps.sha256(concat(Uint8Array.of(0x01), left, right));
}

/** The leaf an audit event is sealed as: lower-case hex SHA-256(0x00 ‖ utf8(JCS(event))). */
export async function eventLeafHash(deps: Pick<CryptoDeps, 'sha256'>, event: unknown): Promise<string> {
  return toHex(await leafHash(deps, utf8(canonicalJson(event))));
}

// a valid proof for any tree below 2^53 leaves has at most 53 elements; longer ones are refused unhashed
const MAX_PROOF_LENGTH = 64;
const isSize = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/**
 * RFC 9162 §2.1.3.2: true iff `proof` (bottom-up, hex) leads from leaf `index` with hash `leafHashHex` to
 * `rootHex` in the tree of `treeSize` leaves. Never throws.
 */
export async function verifyInclusion(
  deps: Pick<CryptoDeps, 'sha256'>, leafHashHex: unknown, index: unknown, treeSize: unknown, proof: unknown, rootHex: unknown,
): Promise<boolean> {
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false;
  const leaf = hashFromHex(leafHashHex);
  const root = hashFromHex(rootHex);
  if (leaf === null || root === null || !Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH) return false;
  const path: Bytes[] = [];
  for (const p of proof) {
    const h = hashFromHex(p);
    if (h === null) return false;
    path.push(h);
  }
  let fn = index;
  let sn = treeSize - 1;
  let r: Bytes = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(deps, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(deps, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// ---- tree heads ----

export interface SignedTreeHead {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  signature: string;
  keyId: string;
}

/** The signed bytes: UTF-8 of the canonical JSON of {treeSize, rootHash, timestamp}, nothing else. */
export function treeHeadMessage(head: Pick<SignedTreeHead, 'treeSize' | 'rootHash' | 'timestamp'>): Bytes {
  return utf8(canonicalJson({ treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp }));
}

/** RFC 7638 thumbprint of an Ed25519 key: base64url SHA-256 of {"crv","kty","x"} in that order. */
export async function ed25519Thumbprint(deps: Pick<CryptoDeps, 'sha256'>, x: string): Promise<string> {
  return base64url(await deps.sha256(utf8(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))));
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

/** Why a check failed, as stable codes the page words in the reader's language. */
export type FailReason =
  | 'head_malformed' | 'key_malformed' | 'key_mismatch' | 'signature_invalid'
  | 'entry_malformed' | 'leaf_mismatch' | 'sealed_leaf_mismatch' | 'proof_mismatch' | 'proof_invalid';

const fail = (reason: FailReason): CheckResult => ({ ok: false, reason });

function isJwk(k: unknown): k is Ed25519Jwk & { kid?: unknown } {
  const j = k as Partial<Ed25519Jwk> | null;
  return !!j && typeof j === 'object' && j.kty === 'OKP' && j.crv === 'Ed25519' && typeof j.x === 'string' && /^[A-Za-z0-9_-]{43}$/.test(j.x);
}

function isHead(h: unknown): h is SignedTreeHead {
  const x = h as Partial<SignedTreeHead> | null;
  return !!x && typeof x === 'object' && isSize(x.treeSize) && typeof x.rootHash === 'string' && /^[0-9a-f]{64}$/.test(x.rootHash)
    && typeof x.timestamp === 'string' && typeof x.signature === 'string' && typeof x.keyId === 'string';
}

/** The key is the one the head names (its thumbprint is the keyId, and so is its kid if it has one). */
export async function checkKey(deps: CryptoDeps, head: unknown, jwk: unknown): Promise<CheckResult> {
  if (!isHead(head)) return fail('head_malformed');
  if (!isJwk(jwk)) return fail('key_malformed');
  const thumbprint = await ed25519Thumbprint(deps, jwk.x);
  if (thumbprint !== head.keyId || (jwk.kid !== undefined && jwk.kid !== head.keyId)) return fail('key_mismatch');
  return { ok: true };
}

/** The head's Ed25519 signature over its canonical JSON, with this key. */
export async function checkTreeHeadSignature(deps: CryptoDeps, head: unknown, jwk: unknown): Promise<CheckResult> {
  if (!isHead(head)) return fail('head_malformed');
  if (!isJwk(jwk)) return fail('key_malformed');
  const signature = /^[0-9a-f]{128}$/.test(head.signature) ? fromHex(head.signature) : null;
  if (signature === null) return fail('signature_invalid');
  return (await deps.verifyEd25519({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, signature, treeHeadMessage(head))) ? { ok: true } : fail('signature_invalid');
}

export interface AuditEntryLike {
  index: number;
  event: unknown;
  /** the sealed leaf hash the log serves beside the event */
  leafHash: string;
}

export interface InclusionProofLike {
  index: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
}

export interface EntryVerification {
  /** true only when every check passed: the entry is in the log the signed head commits to, unchanged */
  ok: boolean;
  /** the recomputed leaf hash (hex), when the event could be hashed */
  leafHash?: string;
  key: CheckResult;
  signature: CheckResult;
  leaf: CheckResult;
  inclusion: CheckResult;
}

/**
 * Everything an auditor needs to trust one entry without trusting the server: (a) the head is signed by the
 * platform's key, (b) the entry's event hashes to the leaf, and the proof leads from that leaf to the head's
 * signed root at the head's size.
 */
export async function verifyEntry(deps: CryptoDeps, input: { head: unknown; publicKey: unknown; entry: unknown; proof: unknown }): Promise<EntryVerification> {
  const { head, publicKey } = input;
  const key = await checkKey(deps, head, publicKey);
  const signature = await checkTreeHeadSignature(deps, head, publicKey);
  const entry = input.entry as Partial<AuditEntryLike> | null;
  const proof = input.proof as Partial<InclusionProofLike> | null;

  let leaf: CheckResult;
  let inclusion: CheckResult;
  let computed: string | undefined;
  if (!entry || typeof entry !== 'object' || !isSize(entry.index) || typeof entry.event !== 'object' || entry.event === null) {
    leaf = fail('entry_malformed');
    inclusion = fail('entry_malformed');
  } else {
    try {
      computed = await eventLeafHash(deps, entry.event);
    } catch {
      computed = undefined;
    }
    if (computed === undefined) leaf = fail('entry_malformed');
    else if (computed !== entry.leafHash) leaf = fail('sealed_leaf_mismatch');
    else if (!proof || proof.leafHash !== computed) leaf = fail('leaf_mismatch');
    else leaf = { ok: true };

    if (!isHead(head)) inclusion = fail('head_malformed');
    else if (!proof || typeof proof !== 'object' || proof.index !== entry.index || proof.treeSize !== head.treeSize) inclusion = fail('proof_mismatch');
    else if (computed === undefined) inclusion = fail('entry_malformed');
    else inclusion = (await verifyInclusion(deps, computed, entry.index, head.treeSize, proof.auditPath, head.rootHash)) ? { ok: true } : fail('proof_invalid');
  }
  return { ok: key.ok && signature.ok && leaf.ok && inclusion.ok, leafHash: computed, key, signature, leaf, inclusion };
}
