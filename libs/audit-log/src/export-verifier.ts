import { canonicalJson, EMPTY_ROOT_HEX, Frontier, leafHash } from './merkle';
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
}

const LEAF_HASH_HEX = /^[0-9a-f]{64}$/;

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
 */
export async function verifyExport(lines: AsyncIterable<string> | Iterable<string>, opts: ExportVerifyOptions = {}): Promise<ExportReport> {
  const every = opts.progressEvery ?? 100_000;
  const head = opts.treeHead;
  const headShape = head === undefined ? null : checkTreeHeadShape(head);
  const headSize = headShape?.ok ? (head as SignedTreeHead).treeSize : -1;

  const frontier = Frontier.empty();
  let rootAtHead: string | null = headSize === 0 ? EMPTY_ROOT_HEX : null;
  let firstMismatch: ExportMismatch | null = null;
  let mismatches = 0;
  let broken = false;
  let lineNo = 0;

  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    const at = (reason: string): ExportMismatch => ({ index: frontier.size, line: lineNo, reason });
    const expected = frontier.size;
    let entry: { index?: unknown; event?: unknown; leafHash?: unknown };
    try {
      entry = JSON.parse(raw);
    } catch {
      firstMismatch ??= at('the line is not valid JSON');
      broken = true;
      break;
    }
    if (!entry || typeof entry !== 'object' || !entry.event || typeof entry.event !== 'object' || Array.isArray(entry.event)) {
      firstMismatch ??= at('the line is not an entry {index, event, leafHash}');
      broken = true;
      break;
    }
    if (entry.index !== expected) {
      firstMismatch ??= at(
        typeof entry.index === 'number' && Number.isSafeInteger(entry.index) && entry.index > expected
          ? `entry ${expected} is missing (the next line holds index ${entry.index})`
          : `expected index ${expected}, found ${JSON.stringify(entry.index)}`,
      );
      broken = true;
      break;
    }
    const computed = leafHash(Buffer.from(canonicalJson(entry.event), 'utf8'));
    const computedHex = computed.toString('hex');
    if (typeof entry.leafHash !== 'string' || !LEAF_HASH_HEX.test(entry.leafHash)) {
      mismatches++;
      firstMismatch ??= at('leafHash is not 64 lower-case hex digits');
    } else if (entry.leafHash !== computedHex) {
      mismatches++;
      firstMismatch ??= at(`the event does not match its sealed leafHash (sealed ${entry.leafHash}, event hashes to ${computedHex})`);
    }
    frontier.append(computed);
    if (frontier.size === headSize) rootAtHead = frontier.root();
    if (opts.onProgress && frontier.size % every === 0) opts.onProgress(frontier.size);
  }

  let treeHead: TreeHeadReport | null = null;
  if (head !== undefined) {
    const h = head as SignedTreeHead;
    if (!headShape?.ok) {
      treeHead = {
        treeSize: null, rootHash: '', computedRoot: null, rootMatches: false, signature: 'not_checked',
        reason: headShape && !headShape.ok ? headShape.reason : 'malformed tree head',
      };
    } else {
      const sig = opts.publicKey === undefined ? null : verifyTreeHeadSignature(h, opts.publicKey);
      treeHead = {
        treeSize: h.treeSize,
        rootHash: h.rootHash,
        computedRoot: rootAtHead,
        rootMatches: rootAtHead !== null && rootAtHead === h.rootHash,
        signature: sig === null ? 'not_checked' : sig.ok ? 'valid' : 'invalid',
        ...(sig && !sig.ok ? { reason: sig.reason } : {}),
      };
    }
  }

  const headOk = treeHead === null || (treeHead.rootMatches && treeHead.signature !== 'invalid');
  return {
    ok: firstMismatch === null && headOk,
    entries: frontier.size,
    rootHash: frontier.root(),
    firstMismatch,
    mismatches,
    broken,
    treeHead,
  };
}
