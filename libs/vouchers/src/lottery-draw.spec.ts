import { createHash } from 'node:crypto';
import {
  DRAW_ALGORITHM, drawCommitment, DrawExport, drawSeed, drawWinners, entriesRoot, lotteryEntryId, SeedStream, verifyDraw,
} from './lottery-draw';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest();

/**
 * A straightforward reference implementation of huanxin-draw-v1, written from the doc comment with nothing shared
 * with the implementation: the recursive RFC 6962 definition of the tree hash, the counter-mode stream word by
 * word with BigInt arithmetic, the full forward Fisher–Yates shuffle.
 */
function referenceMth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha(Buffer.alloc(0));
  if (leaves.length === 1) return sha(Buffer.concat([Buffer.from([0]), leaves[0]]));
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.concat([Buffer.from([1]), referenceMth(leaves.slice(0, k)), referenceMth(leaves.slice(k))]));
}

function referenceWinners(seed: Buffer, entries: string[], k: number): string[] {
  const words: bigint[] = [];
  let counter = 0n;
  const next = (): bigint => {
    if (!words.length) {
      const c = Buffer.alloc(8);
      c.writeBigUInt64BE(counter++);
      const block = sha(Buffer.concat([seed, c]));
      for (let i = 0; i < 32; i += 4) words.push(BigInt(block.readUInt32BE(i)));
    }
    return words.shift()!;
  };
  const uniform = (n: number): number => {
    const N = BigInt(n);
    const limit = 2n ** 32n - ((2n ** 32n) % N);
    for (;;) {
      const w = next();
      if (w < limit) return Number(w % N);
    }
  };
  const a = [...entries];
  for (let i = 0; i + 1 < a.length; i++) {
    const j = i + uniform(a.length - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.slice(0, k);
}

// The fixed vector, also computed by an independent Python script (SHA-256 from hashlib, struct packing):
// entries = sorted SHA-256("entry-0" … "entry-9"), secret = SHA-256("test-secret"), tree root = SHA-256("tree").
const ENTRIES = Array.from({ length: 10 }, (_, i) => sha(`entry-${i}`).toString('hex')).sort();
const SECRET = sha('test-secret');
const TREE_ROOT = sha('tree').toString('hex');
const VECTOR = {
  commitment: 'ffa162c03b605b4afafad908f96ae6c69708112b0913265274bde37384471037',
  entriesRoot: '5dd372ffee62d921342b5470800f586e6ef159f7bf337f6763ae18bf91b5484f',
  seed: '0babea311db1d4c88de2658bd161d6860de27bee91b81ca3aaa12c24403e8cb1',
  winners: [
    '29fd7f922bf17266ec390af322024daf75fa91133b8fb25049b4dc66723a6308',
    '92d11bcc469c24d37a908c037f5b3caa0f95cb6716e8ae4d357741a7a0d7edb8',
    '7e7768dc6b4b94a8c5df48261195015567ef500557c66a62a9f57e373a98df09',
  ],
};

function exportOf(over: Partial<DrawExport> = {}): DrawExport {
  const reveal = SECRET.toString('hex');
  const root = entriesRoot(ENTRIES);
  const seed = drawSeed({ reveal, entriesRoot: root, treeRootHash: TREE_ROOT, programCode: 'zj-tv-demo', city: 'hangzhou', drawDate: '2026-11-12' });
  return {
    algorithm: DRAW_ALGORITHM, programCode: 'zj-tv-demo', city: 'hangzhou', drawDate: '2026-11-12', status: 'drawn',
    entryOpensAt: '2026-11-11T08:00:00+08:00', entryClosesAt: '2026-11-11T20:00:00+08:00', drawAt: '2026-11-12T10:00:00+08:00',
    commitment: drawCommitment(SECRET), reveal, treeHead: { treeSize: 42, rootHash: TREE_ROOT, timestamp: '2026-11-11T20:00:05+08:00', signature: '00', keyId: 'k' },
    entriesRoot: root, seed, quota: 3, limitedBy: null, entries: ENTRIES, winners: drawWinners(seed, ENTRIES, 3), ...over,
  };
}

describe('huanxin-draw-v1', () => {
  it('matches the fixed vector: commitment, entries root, seed and winners', () => {
    expect(drawCommitment(SECRET)).toBe(VECTOR.commitment);
    expect(entriesRoot(ENTRIES)).toBe(VECTOR.entriesRoot);
    const seed = drawSeed({ reveal: SECRET.toString('hex'), entriesRoot: VECTOR.entriesRoot, treeRootHash: TREE_ROOT, programCode: 'zj-tv-demo', city: 'hangzhou', drawDate: '2026-11-12' });
    expect(seed).toBe(VECTOR.seed);
    expect(drawWinners(seed, ENTRIES, 3)).toEqual(VECTOR.winners);
  });

  it('agrees with the reference implementation for every size and quota, stopping early or not', () => {
    for (let n = 0; n <= 40; n++) {
      const entries = Array.from({ length: n }, (_, i) => sha(`e${n}-${i}`).toString('hex')).sort();
      expect(entriesRoot(entries)).toBe(referenceMth(entries.map((e) => Buffer.from(e, 'hex'))).toString('hex'));
      const seed = sha(`seed-${n}`);
      for (const k of [0, 1, Math.floor(n / 2), n, n + 3]) {
        expect(drawWinners(seed.toString('hex'), entries, k)).toEqual(referenceWinners(seed, entries, Math.min(k, n)));
      }
    }
  });

  it('draws integers without modulo bias: rejection above the largest multiple of n', () => {
    // n = 3·2^30: limit = 3·2^30, so a quarter of all words are rejected; every answer is below n
    const stream = new SeedStream(sha('bias'));
    const n = 3 * 2 ** 30;
    for (let i = 0; i < 1000; i++) expect(stream.uniform(n)).toBeLessThan(n);
    expect(() => stream.uniform(0)).toThrow(RangeError);
    expect(new SeedStream(sha('one')).uniform(1)).toBe(0);
  });

  it('entry ids are keyed hashes: different per draw and per key, and 64 hex digits', () => {
    const a = lotteryEntryId('k'.repeat(32), 'p', 'hangzhou', '2026-11-12', 'h');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(lotteryEntryId('k'.repeat(32), 'p', 'hangzhou', '2026-11-13', 'h')).not.toBe(a);
    expect(lotteryEntryId('x'.repeat(32), 'p', 'hangzhou', '2026-11-12', 'h')).not.toBe(a);
  });

  it('verifies an honest export and names each kind of tampering', () => {
    expect(verifyDraw(exportOf())).toEqual({ ok: true, winners: 3, entries: 10 });
    const bad = (over: Partial<DrawExport>) => {
      const r = verifyDraw(exportOf(over));
      return r.ok ? [] : r.problems.join(' | ');
    };
    const honest = exportOf();
    expect(bad({ winners: [honest.winners[1], honest.winners[0], honest.winners[2]] })).toMatch(/winners mismatch at position 1/);
    expect(bad({ reveal: sha('other').toString('hex') })).toMatch(/commitment mismatch/);
    expect(bad({ entries: [...ENTRIES.slice(1), 'ff'.repeat(32)] })).toMatch(/entriesRoot mismatch/);
    expect(bad({ entries: [...ENTRIES].reverse() })).toMatch(/not sorted/);
    expect(bad({ treeHead: { ...honest.treeHead!, rootHash: sha('x').toString('hex') } })).toMatch(/seed mismatch/);
    expect(bad({ treeHead: { ...honest.treeHead!, timestamp: '2026-11-11T19:59:00+08:00' } })).toMatch(/before the window closed/);
    expect(bad({ winners: honest.winners.slice(0, 2) })).toMatch(/does not say the budget limited/);
    expect(verifyDraw(exportOf({ winners: honest.winners.slice(0, 2), limitedBy: 'budget' })).ok).toBe(true);
    expect(bad({ status: 'open', reveal: null })).toMatch(/not been drawn/);
    expect(verifyDraw(null)).toEqual({ ok: false, problems: ['the export is not a JSON object'] });
  });
});
