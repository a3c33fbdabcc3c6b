import { canonicalJsonFast } from './fast-canonical';
import { EMPTY_ROOT_HEX, nodeHash, textLeafHash, toHex } from './merkle';
import { checkTreeHeadShape, SignedTreeHead, verifyTreeHeadSignature } from './tree-head';

/** The first export entry that does not match, and why. */
export interface ExportMismatch {
  /** the leaf index the line holds, or should hold when the line itself is broken */
  index: number;
  /** 1-based line number in the export */
  line: number;
  reason: string;
}

export interface TreeHeadReport {
  /** null when the head file is malformed */
  treeSize: number | null;
  rootHash: string;
  /** the root recomputed from the export's events at treeSize; null if the export is shorter */
  computedRoot: string | null;
  rootMatches: boolean;
  signature: 'valid' | 'invalid' | 'not_checked';
  /** why the signature or the head is not valid */
  reason?: string;
}

export interface ExportReport {
  ok: boolean;
  /** entries read and checked (stops early at a line that breaks the sequence) */
  entries: number;
  /** MTH of the leaves recomputed from the events read */
  rootHash: string;
  /** null when every entry matches its leaf hash and the sequence is complete */
  firstMismatch: ExportMismatch | null;
  /** entries whose sealed leafHash differs from their event's */
  mismatches: number;
  /** a line that ended the check early: not JSON, not an entry, or out of sequence */
  broken: boolean;
  treeHead: TreeHeadReport | null;
}

export interface ExportVerifyOptions {
  /** a signed tree head (`GET /v1/audit/tree-head`), parsed; its root is checked at its size */
  treeHead?: unknown;
  /** the platform's public JWK (`GET /v1/audit/public-key`), parsed; checks the head's signature */
  publicKey?: unknown;
  /** called every `progressEvery` entries (default 100,000) with the number done so far */
  onProgress?: (entries: number) => void;
  progressEvery?: number;
  /** lines per call of checkBatch (default 2,000) */
  batchSize?: number;
}

/** What checkBatch finds in a run of consecutive lines. */
export interface BatchCheck {
  /** the recomputed leaf hashes of the entries checked, 32 bytes each, in order */
  leaves: Uint8Array;
  /** entries checked: every non-blank line, or those before the line that broke the sequence */
  count: number;
  mismatches: number;
  firstMismatch: ExportMismatch | null;
  /** firstMismatch ended the check: the lines after it cannot be placed */
  broken: boolean;
}

const LEAF_HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * The right edge of the tree being rebuilt: what merkle's Frontier keeps, without the copies it makes of
 * every node it hands out (the verifier persists nothing). One perfect subtree per set bit of the size.
 */
class RightEdge {
  private readonly levels: number[] = [];
  private readonly hashes: Buffer[] = [];
  size = 0;

  append(leaf: Buffer): void {
    let hash = leaf;
    let level = 0;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      hash = nodeHash(this.hashes.pop() as Buffer, hash);
      level++;
    }
    this.levels.push(level);
    this.hashes.push(hash);
    this.size++;
  }

  root(): string {
    if (this.hashes.length === 0) return EMPTY_ROOT_HEX;
    let acc = this.hashes[this.hashes.length - 1];
    for (let k = this.hashes.length - 2; k >= 0; k--) acc = nodeHash(this.hashes[k], acc);
    return toHex(acc);
  }
}

/**
 * The per-line work: parses each line, checks it is the entry expected at its place (indices from
 * `firstIndex`, blank lines skipped), recomputes its leaf hash from the event and compares it with the sealed
 * leafHash. Stops at a line that breaks the sequence; a hash that differs is counted and the batch goes on.
 * Pure and independent of other batches, so it could be spread over worker threads (on the 2-core machine
 * measured, a second thread bought nothing; nearly all the time is JSON parsing, JCS and SHA-256).
 */
export function checkBatch(lines: string[], firstIndex: number, firstLine: number): BatchCheck {
  const leaves = new Uint8Array(32 * lines.length);
  let count = 0;
  let mismatches = 0;
  let firstMismatch: ExportMismatch | null = null;
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k];
    if (raw.trim() === '') continue;
    const expected = firstIndex + count;
    const at = (reason: string): ExportMismatch => ({ index: expected, line: firstLine + k, reason });
    let entry: { index?: unknown; event?: unknown; leafHash?: unknown };
    try {
      entry = JSON.parse(raw);
    } catch {
      return { leaves, count, mismatches, firstMismatch: firstMismatch ?? at('the line is not valid JSON'), broken: true };
    }
    if (!entry || typeof entry !== 'object' || !entry.event || typeof entry.event !== 'object' || Array.isArray(entry.event)) {
      return { leaves, count, mismatches, firstMismatch: firstMismatch ?? at('the line is not an entry {index, event, leafHash}'), broken: true };
    }
    if (entry.index !== expected) {
      const reason = typeof entry.index === 'number' && Number.isSafeInteger(entry.index) && entry.index > expected
        ? `entry ${expected} is missing (the next line holds index ${entry.index})`
        : `expected index ${expected}, found ${JSON.stringify(entry.index)}`;
      return { leaves, count, mismatches, firstMismatch: firstMismatch ?? at(reason), broken: true };
    }
    const computed = textLeafHash(canonicalJsonFast(entry.event));
    leaves.set(computed, 32 * count);
    count++;
    if (typeof entry.leafHash === 'string' && entry.leafHash.length === 64 && computed.toString('hex') === entry.leafHash) continue;
    mismatches++;
    firstMismatch ??= typeof entry.leafHash !== 'string' || !LEAF_HASH_HEX.test(entry.leafHash)
      ? at('leafHash is not 64 lower-case hex digits')
      : at(`the event does not match its sealed leafHash (sealed ${entry.leafHash}, event hashes to ${computed.toString('hex')})`);
  }
  return { leaves, count, mismatches, firstMismatch, broken: false };
}

/**
 * What verifyExport keeps between batches: the tree folded so far from the recomputed leaves, in order, the root at
 * the tree head's size when it passes it, and the first mismatch. Batches are added in the export's order, from one
 * reader or from several threads' ranges put back in order (verifyExportFile).
 */
export class ExportFold {
  private readonly frontier = new RightEdge();
  private readonly every: number;
  private readonly headShape: ReturnType<typeof checkTreeHeadShape> | null;
  private readonly headSize: number;
  private rootAtHead: string | null;
  firstMismatch: ExportMismatch | null = null;
  mismatches = 0;
  broken = false;

  constructor(private readonly opts: ExportVerifyOptions = {}) {
    this.every = opts.progressEvery ?? 100_000;
    this.headShape = opts.treeHead === undefined ? null : checkTreeHeadShape(opts.treeHead);
    this.headSize = this.headShape?.ok ? (opts.treeHead as SignedTreeHead).treeSize : -1;
    this.rootAtHead = this.headSize === 0 ? EMPTY_ROOT_HEX : null;
  }

  /** entries folded so far: the index the next entry must hold */
  get size(): number {
    return this.frontier.size;
  }

  add(check: BatchCheck): void {
    for (let k = 0; k < check.count; k++) {
      this.frontier.append(Buffer.from(check.leaves.buffer, check.leaves.byteOffset + 32 * k, 32));
      if (this.frontier.size === this.headSize) this.rootAtHead = this.frontier.root();
      if (this.opts.onProgress && this.frontier.size % this.every === 0) this.opts.onProgress(this.frontier.size);
    }
    this.mismatches += check.mismatches;
    this.firstMismatch ??= check.firstMismatch;
    this.broken = check.broken;
  }

  report(): ExportReport {
    const head = this.opts.treeHead;
    let treeHead: TreeHeadReport | null = null;
    if (head !== undefined) {
      const h = head as SignedTreeHead;
      if (!this.headShape?.ok) {
        treeHead = {
          treeSize: null, rootHash: '', computedRoot: null, rootMatches: false, signature: 'not_checked',
          reason: this.headShape && !this.headShape.ok ? this.headShape.reason : 'malformed tree head',
        };
      } else {
        const sig = this.opts.publicKey === undefined ? null : verifyTreeHeadSignature(h, this.opts.publicKey);
        treeHead = {
          treeSize: h.treeSize,
          rootHash: h.rootHash,
          computedRoot: this.rootAtHead,
          rootMatches: this.rootAtHead !== null && this.rootAtHead === h.rootHash,
          signature: sig === null ? 'not_checked' : sig.ok ? 'valid' : 'invalid',
          ...(sig && !sig.ok ? { reason: sig.reason } : {}),
        };
      }
    }
    const headOk = treeHead === null || (treeHead.rootMatches && treeHead.signature !== 'invalid');
    return {
      ok: this.firstMismatch === null && headOk,
      entries: this.frontier.size,
      rootHash: this.frontier.root(),
      firstMismatch: this.firstMismatch,
      mismatches: this.mismatches,
      broken: this.broken,
      treeHead,
    };
  }
}

/**
 * The offline verifier's core (`npm run audit:verify`): reads an export line by line, recomputes every leaf
 * hash from its event (RFC 8785 canonical JSON, RFC 6962 leaf), checks it against the line's sealed leafHash
 * and that indices run 0, 1, 2, … without a gap, rebuilds the tree from the recomputed leaves in O(log n)
 * memory, and checks a signed tree head: its root at its size, and its Ed25519 signature when a key is given.
 *
 * An entry whose hash differs is counted and the walk goes on (the first one is named); a line that is not a
 * JSON entry or breaks the index sequence ends it, since every index after it would be off. The tree is
 * built from what the events say, not from the claimed hashes, so a changed event also changes the root and
 * fails the signed head even when its line's leafHash was changed to match.
 *
 * Lines are checked in batches (checkBatch); the tree is folded here, in order. verifyExportFile spreads a file's
 * lines over threads and gives the same report.
 */
export async function verifyExport(lines: AsyncIterable<string> | Iterable<string>, opts: ExportVerifyOptions = {}): Promise<ExportReport> {
  const batchSize = opts.batchSize ?? 2000;
  const fold = new ExportFold(opts);
  // Each batch is checked knowing the index its first entry must hold: the non-blank lines before it.
  let batch: string[] = [];
  let batchLine = 1;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    batch.push(raw);
    if (batch.length >= batchSize) {
      fold.add(checkBatch(batch, fold.size, batchLine));
      batch = [];
      batchLine = lineNo + 1;
      if (fold.broken) break;
    }
  }
  if (!fold.broken && batch.length > 0) fold.add(checkBatch(batch, fold.size, batchLine));
  return fold.report();
}
