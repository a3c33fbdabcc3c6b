import { EMPTY_ROOT_HEX, HASH_SIZE, leafHash, nodeHash, toHex } from './hash';
import {
  consistencyPlan,
  inclusionPlan,
  MAX_TREE_SIZE,
  NodeKey,
  NodeReader,
  resolvePlanSync,
  rootPlan,
} from './tree';

/**
 * The whole tree in memory, every perfect-subtree node in one array per level. For tests and the
 * offline verifier, which rebuilds the tree from an export; the server reads nodes from the
 * database instead. Answers for any earlier size too, since perfect nodes never change.
 */
export class MemoryTree implements NodeReader {
  private readonly levels: Buffer[][] = [[]];

  static fromLeafHashes(leafHashes: Iterable<Uint8Array>): MemoryTree {
    const tree = new MemoryTree();
    for (const hash of leafHashes) tree.append(hash);
    return tree;
  }

  get size(): number {
    return this.levels[0].length;
  }

  /** Appends a leaf hash (32 bytes) and completes every perfect subtree it closes. */
  append(hash: Uint8Array): void {
    if (hash.length !== HASH_SIZE) throw new RangeError(`leaf hash must be ${HASH_SIZE} bytes, got ${hash.length}`);
    if (this.size >= MAX_TREE_SIZE) throw new RangeError('tree is full');
    let node: Buffer = Buffer.from(hash);
    let level = 0;
    let index = this.size;
    for (;;) {
      (this.levels[level] ??= []).push(node);
      if (index % 2 === 0) return;
      node = nodeHash(this.levels[level][index - 1], node);
      level++;
      index = (index - 1) / 2;
    }
  }

  /** Appends a leaf by its data, hashing it as an RFC 6962 leaf. */
  appendData(data: Uint8Array): void {
    this.append(leafHash(data));
  }

  /** A stored node, or undefined if that perfect subtree is not complete yet. */
  node(level: number, index: number): Buffer | undefined {
    const hash = this.levels[level]?.[index];
    return hash === undefined ? undefined : Buffer.from(hash);
  }

  getNodesSync(keys: NodeKey[]): Buffer[] {
    return keys.map(({ level, index }) => {
      const hash = this.node(level, index);
      if (hash === undefined) throw new RangeError(`node ${level}:${index} is not in a tree of size ${this.size}`);
      return hash;
    });
  }

  async getNodes(keys: NodeKey[]): Promise<Buffer[]> {
    return this.getNodesSync(keys);
  }

  root(treeSize: number = this.size): string {
    this.assertWithin(treeSize);
    const plan = rootPlan(treeSize);
    if (plan.length === 0) return EMPTY_ROOT_HEX;
    return toHex(resolvePlanSync((keys) => this.getNodesSync(keys), [plan])[0]);
  }

  inclusionProof(index: number, treeSize: number = this.size): string[] {
    this.assertWithin(treeSize);
    return resolvePlanSync((keys) => this.getNodesSync(keys), inclusionPlan(index, treeSize)).map(toHex);
  }

  consistencyProof(from: number, to: number = this.size): string[] {
    this.assertWithin(to);
    return resolvePlanSync((keys) => this.getNodesSync(keys), consistencyPlan(from, to)).map(toHex);
  }

  private assertWithin(treeSize: number): void {
    if (treeSize > this.size) throw new RangeError(`tree size ${treeSize} exceeds the ${this.size} leaves held`);
  }
}
