import { EMPTY_ROOT_HEX, HASH_SIZE, nodeHash, toHex } from './hash';

/**
 * Storage model: the tree is kept as the hashes of its PERFECT subtrees only. Node (level, index)
 * is the hash of leaves [index·2^level, (index+1)·2^level); level 0 holds the leaf hashes. Such a
 * node is written once, when its last leaf arrives, and never changes, because the log is
 * append-only. Every RFC 6962 subtree that is not perfect lies on the right edge of some tree
 * size and is a fold of O(log n) perfect nodes, so any root or proof costs O(log n) node reads.
 *
 * Arithmetic on sizes and indices uses division and remainder, never `>>`/`&`/`|`: those coerce
 * to 32-bit integers and would silently wrap once a log passes 2^31 entries. Powers of two and
 * their multiples are exact in IEEE doubles, so everything below is exact up to 2^53 − 1.
 */
export interface NodeKey {
  level: number;
  index: number;
}

export interface TreeNode extends NodeKey {
  hash: Buffer;
}

/**
 * Source of perfect-subtree hashes. Batched so a database implementation answers one proof with
 * one query. Must return hashes in the order of `keys`, and reject if any node is missing.
 */
export interface NodeReader {
  getNodes(keys: NodeKey[]): Promise<Buffer[]>;
}

/**
 * One proof element (or root) as the perfect nodes that make it up, listed right to left
 * (rightmost, smallest subtree first). A single key is a stored node as is; several keys are a
 * ragged right-edge subtree whose hash is their fold: h = nodes[0]; h = H(nodes[i] ‖ h) for i ≥ 1.
 * Right-to-left matches the "rehash" ranges of the transparency-dev structural vectors.
 */
export type NodeFold = NodeKey[];

/** Largest tree size (and so index + 1) accepted: beyond it JavaScript numbers lose integers. */
export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER;

const pow2 = (level: number): number => 2 ** level;
const half = (x: number): number => Math.floor(x / 2);

export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function assertTreeSize(name: string, n: number): void {
  if (!isTreeSize(n)) throw new RangeError(`${name} must be an integer in [0, ${MAX_TREE_SIZE}], got ${n}`);
}

export function nodeKeyId(key: NodeKey): string {
  return `${key.level}:${key.index}`;
}

/**
 * The perfect nodes covering [begin, size), right to left. Only called for ranges that end at the
 * tree's right edge and start on a boundary aligned to a power of two ≥ their length (true of every
 * non-perfect RFC 6962 subtree), where this greedy cover is exactly the binary expansion of the
 * length and its fold is the subtree's MTH.
 */
function rightEdgeFold(begin: number, size: number): NodeFold {
  const leftToRight: NodeKey[] = [];
  let at = begin;
  while (at < size) {
    let level = 0;
    while (at % pow2(level + 1) === 0 && at + pow2(level + 1) <= size) level++;
    leftToRight.push({ level, index: at / pow2(level) });
    at += pow2(level);
  }
  return leftToRight.reverse();
}

/** Nodes whose fold is MTH of the first `treeSize` leaves; [] for the empty tree. */
export function rootPlan(treeSize: number): NodeFold {
  assertTreeSize('treeSize', treeSize);
  return rightEdgeFold(0, treeSize);
}

/**
 * Proof elements from the complete node (level, index) up to the root of a tree of `treeSize`:
 * at each level, the sibling of the current ancestor in the full binary tree, clipped to the
 * tree size. A sibling wholly inside is one stored node; one straddling the edge is a ragged fold;
 * one wholly outside does not exist in the RFC 6962 tree (its parent collapses), so it is skipped.
 */
function pathPlan(level: number, index: number, treeSize: number): NodeFold[] {
  const plan: NodeFold[] = [];
  let l = level;
  let i = index;
  while (!(i === 0 && pow2(l) >= treeSize)) {
    const width = pow2(l);
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    const start = sibling * width;
    if (start < treeSize) {
      plan.push(start + width <= treeSize ? [{ level: l, index: sibling }] : rightEdgeFold(start, treeSize));
    }
    i = half(i);
    l++;
  }
  return plan;
}

/** RFC 6962 PATH(index, D[treeSize]) as node folds, bottom-up. Throws RangeError unless 0 ≤ index < treeSize. */
export function inclusionPlan(index: number, treeSize: number): NodeFold[] {
  assertTreeSize('treeSize', treeSize);
  if (!isTreeSize(index) || index >= treeSize) {
    throw new RangeError(`index must be an integer in [0, treeSize), got ${index} for treeSize ${treeSize}`);
  }
  return pathPlan(0, index, treeSize);
}

/**
 * RFC 6962 PROOF(from, D[to]) as node folds, bottom-up.
 *
 * It is the inclusion path, within the tree of size `to`, of the largest perfect subtree that ends
 * at `from`, preceded by that subtree itself unless `from` is a power of two (then the subtree is
 * the old root, which the verifier already holds, and RFC 6962 SUBPROOF omits it).
 *
 * from == to and from == 0 give []: there is nothing to prove. RFC 9162 defines consistency proofs
 * only for 0 < from < to; every tree extends the empty one, whose root is the constant
 * EMPTY_ROOT, so the API answers `from=0` with an empty proof rather than an error. Note that
 * verifyConsistency rejects from == 0 (see there): a client holding the empty tree has nothing to
 * check and should not call it. from > to throws RangeError.
 */
export function consistencyPlan(from: number, to: number): NodeFold[] {
  assertTreeSize('from', from);
  assertTreeSize('to', to);
  if (from > to) throw new RangeError(`from (${from}) must not exceed to (${to})`);
  if (from === to || from === 0) return [];
  let level = 0;
  while (from % pow2(level + 1) === 0) level++;
  const index = from / pow2(level) - 1;
  const path = pathPlan(level, index, to);
  return index === 0 ? path : [[{ level, index }], ...path];
}

/** Hash of one fold given its node hashes in the fold's (right-to-left) order. */
function fold(hashes: Buffer[]): Buffer {
  let acc = hashes[0];
  for (let k = 1; k < hashes.length; k++) acc = nodeHash(hashes[k], acc);
  return acc;
}

/** Distinct keys of a plan, in first-seen order: what one batched read must fetch. */
export function planKeys(plan: NodeFold[]): NodeKey[] {
  const seen = new Map<string, NodeKey>();
  for (const element of plan) for (const key of element) seen.set(nodeKeyId(key), key);
  return [...seen.values()];
}

/**
 * Combines fetched hashes into one hash per plan element. Checks what the reader returned: a
 * reader that drops or reorders a row would otherwise produce a plausible but wrong proof.
 */
function combine(plan: NodeFold[], keys: NodeKey[], hashes: Buffer[]): Buffer[] {
  if (!Array.isArray(hashes) || hashes.length !== keys.length) {
    throw new Error(`NodeReader returned ${hashes?.length} hashes for ${keys.length} keys`);
  }
  const byId = new Map<string, Buffer>();
  keys.forEach((key, k) => {
    const hash = hashes[k];
    if (!Buffer.isBuffer(hash) || hash.length !== HASH_SIZE) {
      throw new Error(`NodeReader returned a malformed hash for node ${nodeKeyId(key)}`);
    }
    byId.set(nodeKeyId(key), hash);
  });
  return plan.map((element) => fold(element.map((key) => byId.get(nodeKeyId(key)) as Buffer)));
}

/** Resolves a plan with one synchronous batched lookup (in-memory trees). */
export function resolvePlanSync(lookup: (keys: NodeKey[]) => Buffer[], plan: NodeFold[]): Buffer[] {
  const keys = planKeys(plan);
  return keys.length === 0 ? [] : combine(plan, keys, lookup(keys));
}

/** Resolves a plan with exactly one reader call (none if the plan needs no nodes). */
export async function resolvePlan(reader: NodeReader, plan: NodeFold[]): Promise<Buffer[]> {
  const keys = planKeys(plan);
  return keys.length === 0 ? [] : combine(plan, keys, await reader.getNodes(keys));
}

/** Lower-case hex MTH of the first `treeSize` leaves; EMPTY_ROOT_HEX for 0. */
export async function rootAt(reader: NodeReader, treeSize: number): Promise<string> {
  const plan = rootPlan(treeSize);
  if (plan.length === 0) return EMPTY_ROOT_HEX;
  const [root] = await resolvePlan(reader, [plan]);
  return toHex(root);
}

/** RFC 6962 audit path for leaf `index` in the tree of `treeSize`, bottom-up, lower-case hex. */
export async function inclusionProof(reader: NodeReader, index: number, treeSize: number): Promise<string[]> {
  return (await resolvePlan(reader, inclusionPlan(index, treeSize))).map(toHex);
}

/** RFC 6962 consistency proof between tree sizes `from` ≤ `to`, bottom-up, lower-case hex. */
export async function consistencyProof(reader: NodeReader, from: number, to: number): Promise<string[]> {
  return (await resolvePlan(reader, consistencyPlan(from, to))).map(toHex);
}
