import { createHash, createHmac } from 'node:crypto';
import { MemoryTree } from '@huanxin/audit-log';

/** The published name of the draw algorithm below; a draw export says which one it used. */
export const DRAW_ALGORITHM = 'huanxin-draw-v1';

const HEX64 = /^[0-9a-f]{64}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * huanxin-draw-v1 — how a lottery draw picks its winners, so that anyone can recompute them offline
 * (`npm run draw:verify -- draw.json`). All hashes are SHA-256; "hex" is lower-case hexadecimal.
 *
 * 1. Secret and commitment. The platform's secret for a draw is 32 bytes,
 *      secret = HMAC-SHA256(LOTTERY_SECRET, "huanxin-draw-secret-v1|" + programId + "|" + city + "|" + drawDate)
 *    (a deterministic derivation, so no secret is stored before the draw). When the entry window opens the
 *    platform logs commitment = hex(SHA-256(secret)) as an audit event (`lottery.committed`); at the draw it logs
 *    reveal = hex(secret) (`lottery.drawn`). Check: SHA-256(fromHex(reveal)) = commitment.
 * 2. Entries. Each entry's id is hex(HMAC-SHA256(LOTTERY_SECRET, "huanxin-lottery-entry-v1|" + programId + "|" +
 *    city + "|" + drawDate + "|" + householdId)): pseudonymous, different in every draw. The entries of a draw are
 *    sorted ascending as strings (byte order of their hex = numeric order of the 32-byte values).
 * 3. entriesRoot = the RFC 6962 Merkle tree hash over the sorted entries, leaf i's data being the 32 raw bytes of
 *    entry i (leaf hash SHA-256(0x00 ‖ bytes), node hash SHA-256(0x01 ‖ left ‖ right); no entries: SHA-256("")).
 * 4. seed = SHA-256( reveal(32 bytes) ‖ entriesRoot(32 bytes) ‖ treeHead.rootHash(32 bytes) ‖ str(programCode) ‖
 *    str(city) ‖ str(drawDate) ), where str(s) = the length of UTF-8(s) as a 2-byte big-endian integer, then
 *    UTF-8(s); treeHead is the first signed audit-log tree head whose timestamp is at or after the window's close.
 * 5. Random integers. A stream of 32-bit words: block k (k = 0, 1, 2, …) is SHA-256(seed ‖ k as 8-byte big-endian),
 *    read as 8 big-endian uint32 words, in order. uniform(n), for 1 ≤ n ≤ 2^32: limit = 2^32 − (2^32 mod n); take
 *    the next word w, again while w ≥ limit (rejection sampling: no modulo bias); answer w mod n.
 * 6. Shuffle (Fisher–Yates, forward): a = the sorted entries; for i = 0 … N−2: j = i + uniform(N − i); swap a[i]
 *    and a[j]. The winners are a[0 … K−1], in that order, K = the number of winners (at most the day's quota;
 *    fewer when there are fewer entries, or when the city's available budget covers fewer vouchers — the draw
 *    export states K, the quota and why). Only the first K steps decide the winners, so an implementation may
 *    stop after them.
 */
export function drawSecret(key: string, programId: string, city: string, drawDate: string): Buffer {
  return createHmac('sha256', key).update(`huanxin-draw-secret-v1|${programId}|${city}|${drawDate}`).digest();
}

export function drawCommitment(secret: Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A household's pseudonymous entry id in one draw (step 2). */
export function lotteryEntryId(key: string, programId: string, city: string, drawDate: string, householdId: string): string {
  return createHmac('sha256', key).update(`huanxin-lottery-entry-v1|${programId}|${city}|${drawDate}|${householdId}`).digest('hex');
}

/** Step 3: the RFC 6962 root over the sorted entry ids (each 32 bytes). */
export function entriesRoot(sortedEntries: readonly string[]): string {
  const tree = new MemoryTree();
  for (const id of sortedEntries) tree.appendData(Buffer.from(id, 'hex'));
  return tree.root();
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

/** Step 4. */
export function drawSeed(i: { reveal: string; entriesRoot: string; treeRootHash: string; programCode: string; city: string; drawDate: string }): string {
  return createHash('sha256')
    .update(Buffer.from(i.reveal, 'hex')).update(Buffer.from(i.entriesRoot, 'hex')).update(Buffer.from(i.treeRootHash, 'hex'))
    .update(str(i.programCode)).update(str(i.city)).update(str(i.drawDate))
    .digest('hex');
}

/** Step 5: the seed's stream of unbiased random integers. */
export class SeedStream {
  private counter = 0n;
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly seed: Buffer) {
    if (seed.length !== 32) throw new RangeError('a seed is 32 bytes');
  }

  private word(): number {
    if (this.offset >= this.block.length) {
      const k = Buffer.alloc(8);
      k.writeBigUInt64BE(this.counter++);
      this.block = createHash('sha256').update(this.seed).update(k).digest();
      this.offset = 0;
    }
    const w = this.block.readUInt32BE(this.offset);
    this.offset += 4;
    return w;
  }

  /** A uniform integer in [0, n). */
  uniform(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`uniform(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }
}

/** Step 6: the first `k` entries of the seed's Fisher–Yates shuffle of `sortedEntries`. */
export function drawWinners(seedHex: string, sortedEntries: readonly string[], k: number): string[] {
  const a = [...sortedEntries];
  const stream = new SeedStream(Buffer.from(seedHex, 'hex'));
  const steps = Math.min(k, a.length - 1);
  for (let i = 0; i < steps; i++) {
    const j = i + stream.uniform(a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, Math.min(k, a.length));
}

/** What the public draw page answers (GET /v1/public/programs/{code}/draws/{city}/{date}) and draw:verify reads. */
export interface DrawExport {
  algorithm: string;
  programCode: string;
  city: string;
  drawDate: string;
  status: 'open' | 'drawn';
  entryOpensAt: string;
  entryClosesAt: string;
  drawAt: string;
  commitment: string;
  reveal: string | null;
  treeHead: { treeSize: number; rootHash: string; timestamp: string; signature: string; keyId: string } | null;
  entriesRoot: string | null;
  seed: string | null;
  quota: number | null;
  /** Why fewer than `quota` won: `entries` (fewer entries), `budget` (the budget covered fewer), or null. */
  limitedBy: 'entries' | 'budget' | null;
  entries: string[];
  winners: string[];
}

export type DrawCheck = { ok: true; winners: number; entries: number } | { ok: false; problems: string[] };

const isSorted = (xs: readonly string[]) => xs.every((x, i) => i === 0 || xs[i - 1] < x);

/**
 * Recomputes a drawn draw from its export: the commitment against the reveal, the entries' order and root, the
 * tree head's time against the window's close, the seed, and the winners. Answers every mismatch found.
 */
export function verifyDraw(input: unknown): DrawCheck {
  const problems: string[] = [];
  const d = input as Partial<DrawExport> | null;
  if (!d || typeof d !== 'object') return { ok: false, problems: ['the export is not a JSON object'] };
  if (d.algorithm !== DRAW_ALGORITHM) problems.push(`algorithm is ${JSON.stringify(d.algorithm)}, this verifier knows ${DRAW_ALGORITHM}`);
  if (typeof d.programCode !== 'string' || typeof d.city !== 'string' || typeof d.drawDate !== 'string' || !DATE_RE.test(d.drawDate)) {
    problems.push('programCode, city and drawDate (YYYY-MM-DD) are required');
  }
  if (d.status !== 'drawn' || typeof d.reveal !== 'string') problems.push('the draw has not been drawn yet (no reveal)');
  if (typeof d.commitment !== 'string' || !HEX64.test(d.commitment)) problems.push('commitment is not 64 hex digits');
  if (typeof d.reveal === 'string' && !HEX64.test(d.reveal)) problems.push('reveal is not 64 hex digits');
  const th = d.treeHead;
  if (!th || typeof th !== 'object' || typeof th.rootHash !== 'string' || !HEX64.test(th.rootHash) || typeof th.timestamp !== 'string') {
    problems.push('treeHead with rootHash and timestamp is required');
  }
  if (!Array.isArray(d.entries) || !d.entries.every((e) => typeof e === 'string' && HEX64.test(e))) problems.push('entries must be 64-hex-digit ids');
  if (!Array.isArray(d.winners) || !d.winners.every((e) => typeof e === 'string')) problems.push('winners must be a list of entry ids');
  if (typeof d.quota !== 'number' || !Number.isSafeInteger(d.quota) || d.quota < 0) problems.push('quota must be a non-negative integer');
  if (problems.length) return { ok: false, problems };

  const entries = d.entries!;
  const winners = d.winners!;
  if (drawCommitment(Buffer.from(d.reveal!, 'hex')) !== d.commitment) problems.push('commitment mismatch: SHA-256(reveal) is not the commitment logged when the window opened');
  if (!isSorted(entries)) problems.push('entries are not sorted ascending without duplicates');
  const root = entriesRoot(entries);
  if (d.entriesRoot !== root) problems.push(`entriesRoot mismatch: the entries give ${root}, the export says ${String(d.entriesRoot)}`);
  if (typeof d.entryClosesAt === 'string' && Date.parse(th!.timestamp) < Date.parse(d.entryClosesAt)) {
    problems.push(`tree head signed at ${th!.timestamp}, before the window closed at ${d.entryClosesAt}`);
  }
  const seed = drawSeed({ reveal: d.reveal!, entriesRoot: root, treeRootHash: th!.rootHash, programCode: d.programCode!, city: d.city!, drawDate: d.drawDate! });
  if (d.seed != null && d.seed !== seed) problems.push(`seed mismatch: recomputed ${seed}, the export says ${d.seed}`);
  const k = winners.length;
  if (k > d.quota! || k > entries.length) problems.push(`${k} winners, more than the quota (${d.quota}) or the entries (${entries.length})`);
  if (k < Math.min(d.quota!, entries.length) && d.limitedBy !== 'budget') {
    problems.push(`only ${k} winners of ${Math.min(d.quota!, entries.length)} possible, and the export does not say the budget limited the draw`);
  }
  const expected = drawWinners(seed, entries, k);
  const firstBad = expected.findIndex((w, i) => w !== winners[i]);
  if (firstBad >= 0) problems.push(`winners mismatch at position ${firstBad + 1}: recomputed ${expected[firstBad]}, the export says ${winners[firstBad]}`);
  return problems.length ? { ok: false, problems } : { ok: true, winners: k, entries: entries.length };
}
