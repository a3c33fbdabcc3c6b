import { EMPTY_ROOT_HEX, HASH_SIZE, nodeHash, toHex } from './hash';
import { MAX_TREE_SIZE, NodeKey, NodeReader, TreeNode, nodeKeyId, rootPlan } from './tree';

/**
 * Compact range over [0, size): only the perfect subtrees on the right edge, one per set bit of
 * size, so O(log n) memory. This is all a sealer needs to extend the log: each append reports the
 * perfect nodes it completes, which are exactly the rows to persist for the NodeReader model.
 */
export class Frontier {
  // Left to right, strictly decreasing levels.
  private constructor(
    private count: number,
    private readonly edge: TreeNode[],
  ) {}

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  /** The node keys fromNodes needs for a given size, left to right (largest subtree first). */
  static requiredKeys(size: number): NodeKey[] {
    return rootPlan(size).reverse();
  }

  /**
   * Restores the frontier of a tree of `size` from stored nodes. Extra nodes are ignored, so a
   * caller may pass any superset of requiredKeys(size).
   */
  static fromNodes(size: number, nodes: readonly TreeNode[]): Frontier {
    const byId = new Map(nodes.map((node) => [nodeKeyId(node), node.hash]));
    const edge = Frontier.requiredKeys(size).map((key) => {
      const hash = byId.get(nodeKeyId(key));
      if (hash === undefined) throw new RangeError(`node ${nodeKeyId(key)} is needed to restore size ${size}`);
      if (hash.length !== HASH_SIZE) throw new RangeError(`node ${nodeKeyId(key)} is not a ${HASH_SIZE}-byte hash`);
      return { ...key, hash: Buffer.from(hash) };
    });
    return new Frontier(size, edge);
  }

  /** Restores the frontier with one batched read. */
  static async fromReader(reader: NodeReader, size: number): Promise<Frontier> {
    const keys = Frontier.requiredKeys(size);
    const hashes = keys.length === 0 ? [] : await reader.getNodes(keys);
    return Frontier.fromNodes(
      size,
      keys.map((key, k) => ({ ...key, hash: hashes[k] })),
    );
  }

  get size(): number {
    return this.count;
  }

  /**
   * Appends one leaf hash. Returns the new perfect nodes, the leaf itself first, then each parent
   * it completes, bottom-up. Persisting exactly these rows keeps the node store complete.
   */
  append(leafHash: Uint8Array): TreeNode[] {
    if (leafHash.length !== HASH_SIZE) throw new RangeError(`leaf hash must be ${HASH_SIZE} bytes, got ${leafHash.length}`);
    if (this.count >= MAX_TREE_SIZE) throw new RangeError('tree is full');
    let node: TreeNode = { level: 0, index: this.count, hash: Buffer.from(leafHash) };
    const created: TreeNode[] = [node];
    // Two equal-level neighbours on the edge are siblings: the left one's index is even.
    while (this.edge.length > 0 && this.edge[this.edge.length - 1].level === node.level) {
      const left = this.edge.pop() as TreeNode;
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      created.push(node);
    }
    this.edge.push(node);
    this.count++;
    return created.map((n) => ({ ...n, hash: Buffer.from(n.hash) }));
  }

  /** Lower-case hex root of the current tree. */
  root(): string {
    if (this.edge.length === 0) return EMPTY_ROOT_HEX;
    let acc = this.edge[this.edge.length - 1].hash;
    for (let k = this.edge.length - 2; k >= 0; k--) acc = nodeHash(this.edge[k].hash, acc);
    return toHex(acc);
  }

  /** Copies of the right-edge nodes, left to right. */
  nodes(): TreeNode[] {
    return this.edge.map((n) => ({ ...n, hash: Buffer.from(n.hash) }));
  }
}
