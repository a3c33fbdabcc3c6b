import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  canonicalJson,
  consistencyPlan,
  consistencyProof,
  EMPTY_ROOT,
  EMPTY_ROOT_HEX,
  eventLeafHash,
  Frontier,
  fromHex,
  inclusionPlan,
  inclusionProof,
  leafHash,
  MemoryTree,
  NodeFold,
  NodeKey,
  NodeReader,
  nodeHash,
  rootAt,
  textLeafHash,
  toHex,
  TreeNode,
  verifyConsistency,
  verifyInclusion,
} from './index';

// ---------------------------------------------------------------------------------------------
// Vector file

interface StructInclusion {
  size: number;
  index: number;
  want_error: boolean;
  nodes?: [number, number][];
  rehash?: [number, number] | null;
}
interface StructConsistency {
  size1: number;
  size2: number;
  want_error: boolean;
  nodes?: [number, number][];
  rehash?: [number, number] | null;
}
interface Vectors {
  hasher: { desc: string; kind: string; hash_hex: string; input_hex?: string; left_hex?: string; right_hex?: string }[];
  leaves_hex: string[];
  node_hashes: { level: number; index: number; leaf_range: [number, number]; hash_hex: string }[];
  roots: { size: number; root_hex: string }[];
  inclusion: { size: number; index: number; proof_hex: string[] }[];
  consistency: { size1: number; size2: number; proof_hex: string[] }[];
  proof_structure: { inclusion: StructInclusion[]; consistency: StructConsistency[] };
  verifier_probes: {
    inclusion: {
      file: string;
      desc: string;
      leaf_index: number;
      tree_size: number;
      root_hex: string;
      leaf_hash_hex: string;
      proof_hex: string[];
      want_error: boolean;
    }[];
    consistency: {
      file: string;
      desc: string;
      size1: number;
      size2: number;
      root1_hex: string;
      root2_hex: string;
      proof_hex: string[];
      want_error: boolean;
    }[];
  };
}

const vectors: Vectors = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../../shared/data/rfc6962_vectors.json'), 'utf8'),
);

const vectorTree = (): MemoryTree => {
  const tree = new MemoryTree();
  for (const hex of vectors.leaves_hex) tree.appendData(fromHex(hex));
  return tree;
};
const vectorRoot = (size: number): string => {
  const found = vectors.roots.find((r) => r.size === size);
  if (!found) throw new Error(`no vector root for size ${size}`);
  return found.root_hex;
};

// ---------------------------------------------------------------------------------------------
// Independent reference: RFC 6962 §2.1 MTH / PATH / SUBPROOF written as the RFC's recursion over a
// list of leaf hashes. Slow, obviously right, and shares nothing with tree.ts but nodeHash.

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class ReferenceTree {
  private readonly memo = new Map<string, Buffer>();
  constructor(private readonly leaves: Buffer[]) {}

  mth(begin: number, end: number): Buffer {
    const key = `${begin}:${end}`;
    let hash = this.memo.get(key);
    if (hash === undefined) {
      const n = end - begin;
      if (n === 0) hash = Buffer.from(EMPTY_ROOT);
      else if (n === 1) hash = this.leaves[begin];
      else {
        const k = largestPowerOfTwoBelow(n);
        hash = nodeHash(this.mth(begin, begin + k), this.mth(begin + k, end));
      }
      this.memo.set(key, hash);
    }
    return hash;
  }

  path(m: number, begin: number, end: number): Buffer[] {
    const n = end - begin;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    return m < k
      ? [...this.path(m, begin, begin + k), this.mth(begin + k, end)]
      : [...this.path(m - k, begin + k, end), this.mth(begin, begin + k)];
  }

  subproof(m: number, begin: number, end: number, complete: boolean): Buffer[] {
    const n = end - begin;
    if (m === n) return complete ? [] : [this.mth(begin, end)];
    const k = largestPowerOfTwoBelow(n);
    return m <= k
      ? [...this.subproof(m, begin, begin + k, complete), this.mth(begin + k, end)]
      : [...this.subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)];
  }

  root(size: number): string {
    return toHex(this.mth(0, size));
  }
  inclusion(index: number, size: number): string[] {
    return this.path(index, 0, size).map(toHex);
  }
  consistency(from: number, to: number): string[] {
    return this.subproof(from, 0, to, true).map(toHex);
  }
}

// ---------------------------------------------------------------------------------------------
// Readers

/** Holds whatever rows were persisted, as a database would; missing rows fail loudly. */
class MapReader implements NodeReader {
  readonly rows = new Map<string, Buffer>();
  put(nodes: TreeNode[]): void {
    for (const n of nodes) {
      const id = `${n.level}:${n.index}`;
      if (this.rows.has(id)) throw new Error(`node ${id} written twice`);
      this.rows.set(id, n.hash);
    }
  }
  async getNodes(keys: NodeKey[]): Promise<Buffer[]> {
    return keys.map((k) => {
      const hash = this.rows.get(`${k.level}:${k.index}`);
      if (!hash) throw new Error(`missing node ${k.level}:${k.index}`);
      return hash;
    });
  }
}

/**
 * A consistent tree of any size without materialising it: leaf i is leafHash([i mod P]), so a
 * perfect node depends only on its level and on the residue of its first leaf, and there are at
 * most 54·P distinct nodes. Neighbouring subtrees differ, so a swapped left/right or an off-by-one
 * index changes the hash, which a constant-leaf fake would hide.
 */
class PeriodicReader implements NodeReader {
  private static readonly P = 7n;
  private readonly memo = new Map<string, Buffer>();
  calls = 0;
  keysRead = 0;

  leaf(index: number): string {
    return toHex(this.hash(0, Number(BigInt(index) % PeriodicReader.P)));
  }

  private hash(level: number, residue: number): Buffer {
    const id = `${level}:${residue}`;
    let h = this.memo.get(id);
    if (!h) {
      if (level === 0) h = leafHash(Buffer.of(residue));
      else {
        const rightResidue = Number((BigInt(residue) + 2n ** BigInt(level - 1)) % PeriodicReader.P);
        h = nodeHash(this.hash(level - 1, residue), this.hash(level - 1, rightResidue));
      }
      this.memo.set(id, h);
    }
    return h;
  }

  async getNodes(keys: NodeKey[]): Promise<Buffer[]> {
    this.calls++;
    this.keysRead += keys.length;
    return keys.map(({ level, index }) =>
      this.hash(level, Number((BigInt(index) * 2n ** BigInt(level)) % PeriodicReader.P)),
    );
  }

  reset(): void {
    this.calls = 0;
    this.keysRead = 0;
  }
}

// ---------------------------------------------------------------------------------------------

const fixtureLeaves = (n: number, salt = 'huanxin'): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`${salt}:${i}`).digest()));

const FIXTURE_SIZE = 300;
const fixture = {
  leaves: fixtureLeaves(FIXTURE_SIZE),
  tree: MemoryTree.fromLeafHashes(fixtureLeaves(FIXTURE_SIZE)),
  ref: new ReferenceTree(fixtureLeaves(FIXTURE_SIZE)),
};

/** The vectors' structural form: each node its own element except nodes[rehash) folded into one. */
function vectorElements(nodes: [number, number][], rehash: [number, number] | null | undefined): number[][][] {
  const out: number[][][] = [];
  for (let k = 0; k < nodes.length; k++) {
    if (rehash && k === rehash[0]) {
      out.push(nodes.slice(rehash[0], rehash[1]));
      k = rehash[1] - 1;
    } else out.push([nodes[k]]);
  }
  return out;
}
const planElements = (plan: NodeFold[]): number[][][] => plan.map((el) => el.map((k) => [k.level, k.index]));

function flipBit(hex: string, bit: number): string {
  const bytes = fromHex(hex);
  bytes[Math.floor(bit / 8)] ^= 1 << bit % 8;
  return toHex(bytes);
}

// ---------------------------------------------------------------------------------------------

describe('hashing', () => {
  const hasherResult = (kat: Vectors['hasher'][number]): Buffer => {
    if (kat.kind === 'empty') return EMPTY_ROOT;
    if (kat.kind === 'leaf') return leafHash(fromHex(kat.input_hex ?? ''));
    if (kat.kind === 'node') return nodeHash(fromHex(kat.left_hex ?? ''), fromHex(kat.right_hex ?? ''));
    throw new Error(`unknown hasher vector kind ${kat.kind}`);
  };

  it.each(vectors.hasher)('$desc', (kat) => {
    expect(toHex(hasherResult(kat))).toBe(kat.hash_hex);
  });

  it('leafHash, textLeafHash and nodeHash are SHA-256 over the prefixed bytes, for any input', () => {
    const sha = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      expect(toHex(leafHash(a))).toBe(sha(Buffer.from([0]), a));
      expect(toHex(nodeHash(a, b))).toBe(sha(Buffer.from([1]), a, b));
    }), { numRuns: 300 });
    // a string's UTF-8 bytes, non-ASCII and astral characters included, as Buffer.from encodes them
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      expect(toHex(textLeafHash(text))).toBe(toHex(leafHash(Buffer.from(text, 'utf8'))));
    }), { numRuns: 300 });
    expect(toHex(textLeafHash('{"city":"杭州","note":"📺 4K"}'))).toBe(sha(Buffer.from([0]), Buffer.from('{"city":"杭州","note":"📺 4K"}', 'utf8')));
    expect(toHex(textLeafHash(''))).toBe(sha(Buffer.from([0])));
  });

  it('EMPTY_ROOT is SHA-256 of the empty string', () => {
    expect(EMPTY_ROOT_HEX).toBe(createHash('sha256').digest('hex'));
    expect(toHex(EMPTY_ROOT)).toBe(EMPTY_ROOT_HEX);
  });

  it('fromHex refuses what Buffer.from would silently truncate', () => {
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
    expect(() => fromHex('00zz')).toThrow(TypeError);
    expect(toHex(fromHex('00FFab'))).toBe('00ffab');
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys recursively and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('formats numbers the ECMAScript way', () => {
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 100, 1.5])).toBe('[1e+21,1e-7,0.000001,0,100,1.5]');
  });

  it('keeps non-ASCII text as UTF-8, escaping only what JSON requires', () => {
    expect(canonicalJson({ city: '杭州', q: 'a"b\n' })).toBe('{"city":"杭州","q":"a\\"b\\n"}');
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ x: NaN })).toThrow();
    expect(() => canonicalJson({ x: Infinity })).toThrow();
  });

  it('eventLeafHash is the RFC 6962 leaf hash of the UTF-8 canonical JSON, independent of key order', () => {
    const event = { actor: 'u1', action: 'claim.approve', subject: 'c9', time: '2025-01-01T00:00:00Z', details: { city: '杭州' } };
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.of(0), Buffer.from(canonicalJson(event), 'utf8')]))
      .digest('hex');
    expect(eventLeafHash(event)).toBe(expected);
    const reordered = { details: { city: '杭州' }, time: event.time, subject: 'c9', action: event.action, actor: 'u1' };
    expect(eventLeafHash(reordered)).toBe(expected);
    expect(eventLeafHash({ ...event, subject: 'c10' })).not.toBe(expected);
  });
});

describe('RFC 6962 vectors', () => {
  const tree = vectorTree();

  it.each(vectors.node_hashes)('stores node ($level, $index) over leaves $leaf_range', (n) => {
    expect(toHex(tree.node(n.level, n.index) as Buffer)).toBe(n.hash_hex);
  });

  it.each(vectors.roots)('root of size $size', async ({ size, root_hex }) => {
    expect(tree.root(size)).toBe(root_hex);
    expect(await rootAt(tree, size)).toBe(root_hex);
  });

  it('Frontier reaches every vector root', () => {
    const frontier = Frontier.empty();
    expect(frontier.root()).toBe(vectorRoot(0));
    for (let i = 0; i < vectors.leaves_hex.length; i++) {
      frontier.append(leafHash(fromHex(vectors.leaves_hex[i])));
      expect(frontier.root()).toBe(vectorRoot(i + 1));
    }
  });

  it.each(vectors.inclusion)('inclusion proof for leaf $index of $size', async ({ size, index, proof_hex }) => {
    expect(await inclusionProof(tree, index, size)).toEqual(proof_hex);
    expect(tree.inclusionProof(index, size)).toEqual(proof_hex);
    const leaf = toHex(tree.node(0, index) as Buffer);
    expect(verifyInclusion(leaf, index, size, proof_hex, vectorRoot(size))).toBe(true);
  });

  it.each(vectors.consistency)('consistency proof from $size1 to $size2', async ({ size1, size2, proof_hex }) => {
    expect(await consistencyProof(tree, size1, size2)).toEqual(proof_hex);
    expect(tree.consistencyProof(size1, size2)).toEqual(proof_hex);
    expect(verifyConsistency(size1, size2, proof_hex, vectorRoot(size1), vectorRoot(size2))).toBe(true);
  });

  it('every size pair of the vector tree matches the RFC recursion and verifies', () => {
    const ref = new ReferenceTree(vectors.leaves_hex.map((hex) => leafHash(fromHex(hex))));
    for (let to = 1; to <= tree.size; to++) {
      for (let i = 0; i < to; i++) {
        expect(tree.inclusionProof(i, to)).toEqual(ref.inclusion(i, to));
      }
      for (let from = 1; from <= to; from++) {
        const proof = tree.consistencyProof(from, to);
        expect(proof).toEqual(ref.consistency(from, to));
        expect(verifyConsistency(from, to, proof, vectorRoot(from), vectorRoot(to))).toBe(true);
      }
    }
  });
});

describe('proof structure vectors (which nodes make up a proof)', () => {
  const tree = MemoryTree.fromLeafHashes(fixtureLeaves(100, 'structure'));
  const ref = new ReferenceTree(fixtureLeaves(100, 'structure'));

  const validInclusion = vectors.proof_structure.inclusion.filter((v) => !v.want_error);
  const invalidInclusion = vectors.proof_structure.inclusion.filter((v) => v.want_error);

  it.each(validInclusion)('inclusion of $index in $size', ({ size, index, nodes, rehash }) => {
    const plan = inclusionPlan(index, size);
    expect(planElements(plan)).toEqual(vectorElements(nodes ?? [], rehash));
    expect(tree.inclusionProof(index, size)).toEqual(ref.inclusion(index, size));
  });

  it.each(invalidInclusion)('inclusion of $index in $size is refused', ({ size, index }) => {
    expect(() => inclusionPlan(index, size)).toThrow(RangeError);
  });

  const validConsistency = vectors.proof_structure.consistency.filter((v) => !v.want_error);
  it.each(validConsistency)('consistency $size1 → $size2', ({ size1, size2, nodes, rehash }) => {
    expect(planElements(consistencyPlan(size1, size2))).toEqual(vectorElements(nodes ?? [], rehash));
    expect(tree.consistencyProof(size1, size2)).toEqual(ref.consistency(size1, size2));
  });

  const invalidConsistency = vectors.proof_structure.consistency.filter((v) => v.want_error);
  it.each(invalidConsistency.filter((v) => v.size1 !== 0))('consistency $size1 → $size2 is refused', ({ size1, size2 }) => {
    expect(() => consistencyPlan(size1, size2)).toThrow(RangeError);
  });

  // Deliberate difference from transparency-dev's generator: a proof from the empty tree is the
  // empty list (nothing to prove), not an error. The verifier still refuses to call it a proof.
  it.each(invalidConsistency.filter((v) => v.size1 === 0))(
    'consistency 0 → $size2 yields [] (documented choice), which verifyConsistency does not accept',
    ({ size2 }) => {
      expect(consistencyPlan(0, size2)).toEqual([]);
      expect(verifyConsistency(0, size2, [], EMPTY_ROOT_HEX, tree.root(size2))).toBe(false);
    },
  );
});

describe('verifier probes', () => {
  const tree = vectorTree();

  it.each(vectors.verifier_probes.inclusion)('inclusion $file: $desc', (p) => {
    expect(verifyInclusion(p.leaf_hash_hex, p.leaf_index, p.tree_size, p.proof_hex, p.root_hex)).toBe(!p.want_error);
  });

  it.each(vectors.verifier_probes.consistency)('consistency $file: $desc', (p) => {
    expect(verifyConsistency(p.size1, p.size2, p.proof_hex, p.root1_hex, p.root2_hex)).toBe(!p.want_error);
  });

  // Positive probes built over the vector leaves must also be exactly what we would serve.
  const ours = (size: number, root: string): boolean => size <= tree.size && tree.root(size) === root;
  const servedInclusion = vectors.verifier_probes.inclusion.filter((p) => !p.want_error && ours(p.tree_size, p.root_hex));
  const servedConsistency = vectors.verifier_probes.consistency.filter((p) => !p.want_error && ours(p.size2, p.root2_hex));

  it.each(servedInclusion)('we serve the proof of $file', (p) => {
    expect(tree.inclusionProof(p.leaf_index, p.tree_size)).toEqual(p.proof_hex);
  });

  it.each(servedConsistency)('we serve the proof of $file', (p) => {
    expect(tree.root(p.size1)).toBe(p.root1_hex);
    expect(tree.consistencyProof(p.size1, p.size2)).toEqual(p.proof_hex);
  });

  it('regenerates the happy-path probes over the vector leaves', () => {
    expect(servedInclusion).toHaveLength(5);
    expect(servedConsistency).toHaveLength(5);
  });

  it('covers both outcomes', () => {
    const all = [...vectors.verifier_probes.inclusion, ...vectors.verifier_probes.consistency];
    expect(all.filter((p) => p.want_error).length).toBeGreaterThan(150);
    expect(all.filter((p) => !p.want_error).length).toBeGreaterThan(10);
  });
});

describe('edge cases', () => {
  const tree = MemoryTree.fromLeafHashes(fixtureLeaves(20));

  it('empty tree: root is EMPTY_ROOT, no inclusion proof exists', async () => {
    const empty = new MemoryTree();
    expect(empty.root()).toBe(EMPTY_ROOT_HEX);
    expect(await rootAt(empty, 0)).toBe(EMPTY_ROOT_HEX);
    expect(Frontier.empty().root()).toBe(EMPTY_ROOT_HEX);
    await expect(inclusionProof(empty, 0, 0)).rejects.toThrow(RangeError);
  });

  it('consistency: from == to and from == 0 give [], from > to throws', async () => {
    expect(await consistencyProof(tree, 7, 7)).toEqual([]);
    expect(await consistencyProof(tree, 0, 7)).toEqual([]);
    expect(await consistencyProof(tree, 0, 0)).toEqual([]);
    await expect(consistencyProof(tree, 8, 7)).rejects.toThrow(RangeError);
  });

  it('rejects indices and sizes that are not safe non-negative integers', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, 2 ** 64]) {
      expect(() => inclusionPlan(bad, 2 ** 40)).toThrow(RangeError);
      expect(() => consistencyPlan(bad, 2 ** 40)).toThrow(RangeError);
      expect(() => consistencyPlan(1, bad)).toThrow(RangeError);
    }
    expect(() => inclusionPlan(5, 5)).toThrow(RangeError);
  });

  it('asking a MemoryTree about a size beyond its leaves throws', () => {
    expect(() => tree.root(21)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 21)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 21)).toThrow(RangeError);
  });

  it('a reader that returns the wrong number of rows or a short hash is caught, not trusted', async () => {
    const short: NodeReader = { getNodes: async (keys) => keys.slice(1).map(() => Buffer.alloc(32)) };
    const truncated: NodeReader = { getNodes: async (keys) => keys.map(() => Buffer.alloc(31)) };
    await expect(inclusionProof(short, 3, 20)).rejects.toThrow(/returned/);
    await expect(rootAt(truncated, 20)).rejects.toThrow(/malformed/);
  });

  it('proof elements must be exactly 32 bytes of valid hex', () => {
    const root = tree.root(20);
    const leaf = toHex(tree.node(0, 5) as Buffer);
    const proof = tree.inclusionProof(5, 20);
    expect(verifyInclusion(leaf, 5, 20, proof, root)).toBe(true);
    const variants: unknown[][] = [
      [proof[0].slice(2), ...proof.slice(1)],
      [proof[0] + '00', ...proof.slice(1)],
      [proof[0].slice(0, 63) + 'g', ...proof.slice(1)],
      [proof[0].slice(0, 63), ...proof.slice(1)],
      [null, ...proof.slice(1)],
      [...proof, ''],
    ];
    for (const v of variants) expect(verifyInclusion(leaf, 5, 20, v as string[], root)).toBe(false);
    expect(verifyInclusion(leaf, 5, 20, 'nope' as unknown as string[], root)).toBe(false);
    expect(verifyInclusion(leaf.toUpperCase(), 5, 20, proof.map((p) => p.toUpperCase()), root.toUpperCase())).toBe(true);

    const cproof = tree.consistencyProof(6, 20);
    expect(verifyConsistency(6, 20, cproof, tree.root(6), root)).toBe(true);
    expect(verifyConsistency(6, 20, [cproof[0].slice(0, 62), ...cproof.slice(1)], tree.root(6), root)).toBe(false);
    expect(verifyConsistency(6, 20, cproof, tree.root(6).slice(2), root)).toBe(false);
  });

  it('verifiers answer false, never throw, on hostile sizes', () => {
    const leaf = toHex(tree.node(0, 0) as Buffer);
    const p = tree.inclusionProof(0, 20);
    for (const bad of [-1, 0.5, NaN, 2 ** 53, 2 ** 64, '3' as unknown as number]) {
      expect(verifyInclusion(leaf, bad, 20, p, tree.root(20))).toBe(false);
      expect(verifyInclusion(leaf, 0, bad, p, tree.root(20))).toBe(false);
      expect(verifyConsistency(bad, 20, [], tree.root(1), tree.root(20))).toBe(false);
      expect(verifyConsistency(1, bad, [], tree.root(1), tree.root(20))).toBe(false);
    }
    expect(verifyInclusion(leaf, 0, 20, Array(1000).fill(p[0]), tree.root(20))).toBe(false);
  });
});

describe('properties', () => {
  const { tree, ref, leaves } = fixture;
  const size = fc.integer({ min: 1, max: FIXTURE_SIZE });

  it('roots, inclusion and consistency proofs match the RFC recursion and verify, for every index and old size', () => {
    fc.assert(
      fc.property(size, (n) => {
        const root = tree.root(n);
        expect(root).toBe(ref.root(n));
        for (let i = 0; i < n; i++) {
          const proof = tree.inclusionProof(i, n);
          expect(proof).toEqual(ref.inclusion(i, n));
          expect(verifyInclusion(toHex(leaves[i]), i, n, proof, root)).toBe(true);
        }
        for (let m = 1; m <= n; m++) {
          const proof = tree.consistencyProof(m, n);
          expect(proof).toEqual(ref.consistency(m, n));
          expect(verifyConsistency(m, n, proof, tree.root(m), root)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the reader-based functions agree with the in-memory ones', async () => {
    await fc.assert(
      fc.asyncProperty(size, fc.nat(), fc.nat(), async (n, a, b) => {
        const i = a % n;
        const m = b % (n + 1);
        expect(await rootAt(tree, n)).toBe(tree.root(n));
        expect(await inclusionProof(tree, i, n)).toEqual(tree.inclusionProof(i, n));
        expect(await consistencyProof(tree, m, n)).toEqual(tree.consistencyProof(m, n));
      }),
    );
  });

  it('flipping any bit of an inclusion proof, the leaf or the root makes it fail', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: FIXTURE_SIZE }), fc.nat(), fc.nat(), fc.nat({ max: 255 }), (n, a, e, bit) => {
        const i = a % n;
        const proof = tree.inclusionProof(i, n);
        const root = tree.root(n);
        const leaf = toHex(leaves[i]);
        const k = e % proof.length;
        const tampered = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
        expect(verifyInclusion(leaf, i, n, tampered, root)).toBe(false);
        expect(verifyInclusion(flipBit(leaf, bit), i, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof, flipBit(root, bit))).toBe(false);
      }),
    );
  });

  it('flipping any bit of a consistency proof or either root makes it fail', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: FIXTURE_SIZE }), fc.nat(), fc.nat(), fc.nat({ max: 255 }), (n, a, e, bit) => {
        const m = 1 + (a % (n - 1)); // 0 < m < n, so the proof is never empty
        const proof = tree.consistencyProof(m, n);
        const oldRoot = tree.root(m);
        const newRoot = tree.root(n);
        const k = e % proof.length;
        const tampered = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
        expect(verifyConsistency(m, n, tampered, oldRoot, newRoot)).toBe(false);
        expect(verifyConsistency(m, n, proof, flipBit(oldRoot, bit), newRoot)).toBe(false);
        expect(verifyConsistency(m, n, proof, oldRoot, flipBit(newRoot, bit))).toBe(false);
      }),
    );
  });

  // Not "any other size": a proof fixes only the path's shape, so e.g. leaf 0's proof in a tree of
  // 129 leaves also checks out as size 130 against the same root. The root is what binds the size.
  it('a proof does not verify for any other index, or when truncated or extended', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: FIXTURE_SIZE }), fc.nat(), fc.nat(), (n, a, b) => {
        const i = a % n;
        const j = (i + 1 + (b % (n - 1))) % n; // any index but i
        const proof = tree.inclusionProof(i, n); // non-empty, as n >= 2
        const leaf = toHex(leaves[i]);
        expect(verifyInclusion(leaf, j, n, proof, tree.root(n))).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof.slice(1), tree.root(n))).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof.slice(0, -1), tree.root(n))).toBe(false);
        expect(verifyInclusion(leaf, i, n, [...proof, proof[0]], tree.root(n))).toBe(false);
      }),
    );
  });

  it('Frontier: same root as MemoryTree at every size, and its emitted nodes are exactly the stored tree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: FIXTURE_SIZE }), fc.nat(), async (datas, pick) => {
        const memory = new MemoryTree();
        const frontier = Frontier.empty();
        const store = new MapReader();
        for (const data of datas) {
          const hash = leafHash(data);
          memory.append(hash);
          const created = frontier.append(hash);
          store.put(created);
          for (const node of created) expect(node.hash.equals(memory.node(node.level, node.index) as Buffer)).toBe(true);
          expect(frontier.root()).toBe(memory.root());
          expect(frontier.size).toBe(memory.size);
        }
        // Every perfect node of the memory tree was emitted exactly once (store.put refuses repeats).
        let total = 0;
        for (let level = 0; memory.node(level, 0); level++) {
          for (let index = 0; memory.node(level, index); index++) total++;
        }
        expect(store.rows.size).toBe(total);

        const n = datas.length;
        const s = 1 + (pick % n);
        const i = pick % s;
        expect(await rootAt(store, s)).toBe(memory.root(s));
        expect(await inclusionProof(store, i, s)).toEqual(memory.inclusionProof(i, s));
        expect(await consistencyProof(store, 1 + (pick % s), n)).toEqual(memory.consistencyProof(1 + (pick % s), n));
      }),
      { numRuns: 40 },
    );
  });

  it('Frontier restored from the stored right edge continues exactly like the original', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: FIXTURE_SIZE - 1 }), fc.integer({ min: 1, max: 40 }), async (k, more) => {
        const store = new MapReader();
        const original = Frontier.empty();
        for (let i = 0; i < k; i++) store.put(original.append(leaves[i]));
        const keys = Frontier.requiredKeys(k);
        expect(keys.length).toBeLessThanOrEqual(Math.ceil(Math.log2(k + 1)));
        const restored = await Frontier.fromReader(store, k);
        const fromRows = Frontier.fromNodes(
          k,
          [...store.rows].map(([id, hash]) => {
            const [level, index] = id.split(':').map(Number);
            return { level, index, hash };
          }),
        );
        expect(restored.root()).toBe(tree.root(k));
        expect(fromRows.root()).toBe(tree.root(k));
        for (let i = k; i < Math.min(FIXTURE_SIZE, k + more); i++) {
          const a = original.append(leaves[i]);
          const b = restored.append(leaves[i]);
          expect(b).toEqual(a);
          expect(restored.root()).toBe(tree.root(i + 1));
        }
      }),
    );
  });

  it('Frontier.fromNodes refuses an incomplete right edge', () => {
    const f = Frontier.empty();
    const nodes = fixture.leaves.slice(0, 13).flatMap((h) => f.append(h));
    const edge = f.nodes();
    expect(edge.map((n) => [n.level, n.index])).toEqual([
      [3, 0],
      [2, 2],
      [0, 12],
    ]);
    expect(() => Frontier.fromNodes(13, nodes.filter((n) => !(n.level === 2 && n.index === 2)))).toThrow(RangeError);
    expect(() => Frontier.fromNodes(13, [...edge.slice(0, 2), { ...edge[2], hash: Buffer.alloc(31) }])).toThrow(RangeError);
  });
});

describe('cost and large trees', () => {
  const reader = new PeriodicReader();
  const bound = (n: number): number => 2 * Math.log2(n) + 2;

  async function expectInclusionWorks(i: number, n: number): Promise<void> {
    const root = await rootAt(reader, n);
    reader.reset();
    const proof = await inclusionProof(reader, i, n);
    expect(reader.calls).toBeLessThanOrEqual(1);
    expect(reader.keysRead).toBeLessThanOrEqual(bound(n));
    expect(verifyInclusion(reader.leaf(i), i, n, proof, root)).toBe(true);
  }

  async function expectConsistencyWorks(m: number, n: number): Promise<void> {
    const [oldRoot, newRoot] = [await rootAt(reader, m), await rootAt(reader, n)];
    reader.reset();
    const proof = await consistencyProof(reader, m, n);
    expect(reader.calls).toBeLessThanOrEqual(1);
    expect(reader.keysRead).toBeLessThanOrEqual(bound(n));
    expect(verifyConsistency(m, n, proof, oldRoot, newRoot)).toBe(true);
  }

  it('the periodic fake is a real tree (agrees with a materialised one)', async () => {
    const n = 77;
    const memory = MemoryTree.fromLeafHashes(Array.from({ length: n }, (_, i) => fromHex(reader.leaf(i))));
    for (let s = 1; s <= n; s++) {
      expect(await rootAt(reader, s)).toBe(memory.root(s));
      expect(await inclusionProof(reader, s - 1, n)).toEqual(memory.inclusionProof(s - 1, n));
      expect(await consistencyProof(reader, s, n)).toEqual(memory.consistencyProof(s, n));
    }
  });

  const N = 2 ** 20 + 12345;

  it(`reads O(log n) nodes in one batch for any proof at size 2^20+12345`, async () => {
    reader.reset();
    await rootAt(reader, N);
    expect(reader.calls).toBe(1);
    expect(reader.keysRead).toBe(7); // popcount(2^20 + 12345)
    for (const i of [0, 1, 12344, 12345, 2 ** 19, 2 ** 20, 2 ** 20 - 1, N - 2, N - 1]) await expectInclusionWorks(i, N);
    for (const m of [1, 2, 3, 12345, 2 ** 19, 2 ** 20, 2 ** 20 + 1, N - 1, N]) await expectConsistencyWorks(m, N);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 1, max: N }), async (i, m) => {
        await expectInclusionWorks(i, N);
        await expectConsistencyWorks(m, N);
      }),
      { numRuns: 200 },
    );
  });

  it('indices and sizes past 2^31 and 2^32 (where 32-bit bit operators wrap) up to 2^53 − 1', async () => {
    const cases: [number, number][] = [
      [2 ** 31 - 1, 2 ** 31 + 1],
      [2 ** 31, 2 ** 32 + 3],
      [2 ** 32 + 5, 2 ** 33 - 1],
      [12345, 2 ** 40 + 2 ** 31 + 7],
      [2 ** 52 + 2 ** 31, Number.MAX_SAFE_INTEGER],
      [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    ];
    for (const [i, n] of cases) {
      await expectInclusionWorks(i, n);
      await expectConsistencyWorks(Math.max(1, i), n);
    }
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1, noNaN: true }), async (n, t) => {
        const i = Math.min(n - 1, Math.floor(t * n));
        await expectInclusionWorks(i, n);
        await expectConsistencyWorks(Math.max(1, i), n);
      }),
      { numRuns: 200 },
    );
  });

  it('a Frontier past 2^32 emits nodes with exact indices', async () => {
    const k = 2 ** 32 + 2 ** 31 + 7; // low bits 111: the next leaf completes three parents
    const frontier = await Frontier.fromReader(reader, k);
    expect(frontier.root()).toBe(await rootAt(reader, k));
    const created = frontier.append(fromHex(reader.leaf(k)));
    expect(created.map((n) => [n.level, n.index])).toEqual([
      [0, k],
      [1, (k - 1) / 2],
      [2, (k - 3) / 4],
      [3, (k - 7) / 8],
    ]);
    const expected = await reader.getNodes(created);
    created.forEach((n, j) => expect(n.hash.equals(expected[j])).toBe(true));
    expect(frontier.root()).toBe(await rootAt(reader, k + 1));
  });
});
