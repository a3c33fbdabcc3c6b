import { nodeHash, tryFromHex, tryHashFromHex } from './hash';
import { isTreeSize } from './tree';

/*
 * Client-side checks, RFC 9162 §2.1.3.2 and §2.1.4.2 step by step. They take untrusted input
 * (an API response, an export line) and answer true or false, never throw: a verifier that throws
 * on garbage invites callers to treat "threw" differently from "invalid".
 *
 * The RFC's "right-shift" and "LSB" are done with Math.floor(x / 2) and x % 2 so that sizes past
 * 2^31 work.
 */

// A valid proof for any tree up to 2^53 leaves has at most ~2·53 elements; anything longer is
// refused before hashing so a hostile proof cannot make us decode megabytes of hex.
const MAX_PROOF_LENGTH = 128;

const half = (x: number): number => Math.floor(x / 2);
const isOdd = (x: number): boolean => x % 2 === 1;

/** Every element must be exactly one SHA-256 digest in hex; otherwise null. */
function decodeProof(proof: unknown): Buffer[] | null {
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH) return null;
  const out: Buffer[] = [];
  for (const element of proof) {
    const hash = tryHashFromHex(element);
    if (hash === null) return null;
    out.push(hash);
  }
  return out;
}

/** True iff `proof` shows leaf `index` with hash `leafHashHex` is in the tree of `treeSize` with root `rootHex`. */
export function verifyInclusion(
  leafHashHex: string,
  index: number,
  treeSize: number,
  proof: readonly string[],
  rootHex: string,
): boolean {
  if (!isTreeSize(index) || !isTreeSize(treeSize) || index >= treeSize) return false;
  const leaf = tryHashFromHex(leafHashHex);
  const root = tryHashFromHex(rootHex);
  const path = decodeProof(proof);
  if (leaf === null || root === null || path === null) return false;

  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/**
 * True iff `proof` shows the tree of size `to` with root `newRootHex` extends the tree of size
 * `from` with root `oldRootHex`.
 *
 * - from == to: the proof must be empty and the roots byte-equal. Roots are compared as given
 *   (any valid hex), as transparency-dev does, since nothing is hashed.
 * - from == 0: false, even for 0 == 0. RFC 9162 defines the check only for 0 < from, and the
 *   project's vectors (transparency-dev: "consistency proof from empty tree is meaningless") want it
 *   refused. consistencyProof still returns [] for from == 0; a client whose old tree is empty has
 *   nothing to verify and should skip this call rather than treat its result as a proof.
 * - from > to, non-integer or unsafe sizes, malformed hex, elements that are not 32 bytes, a
 *   proof of the wrong length: false.
 */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly string[],
  oldRootHex: string,
  newRootHex: string,
): boolean {
  if (!isTreeSize(from) || !isTreeSize(to) || from > to || from === 0) return false;
  const path = decodeProof(proof);
  if (path === null) return false;

  if (from === to) {
    const oldRoot = tryFromHex(oldRootHex);
    const newRoot = tryFromHex(newRootHex);
    return path.length === 0 && oldRoot !== null && newRoot !== null && oldRoot.equals(newRoot);
  }

  const oldRoot = tryHashFromHex(oldRootHex);
  const newRoot = tryHashFromHex(newRootHex);
  if (oldRoot === null || newRoot === null || path.length === 0) return false;

  // When `from` is a power of two the old tree is a perfect subtree and the RFC omits it from the
  // proof, because the client already holds it as the old root.
  let fromIsPowerOfTwo = true;
  for (let x = from; x > 1; x = half(x)) if (isOdd(x)) fromIsPowerOfTwo = false;
  if (fromIsPowerOfTwo) path.unshift(oldRoot);

  let fn = from - 1;
  let sn = to - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}
