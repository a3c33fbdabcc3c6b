import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AuditEvent,
  eventLeafHash,
  ExportReport,
  fromHex,
  MemoryTree,
  publicJwkOf,
  signTreeHead,
  verifyExport,
} from '@huanxin/audit-log';
import { ensureApiBuilt } from './support/api-process';

/**
 * The offline verifier over a file with its lines spread over worker threads (verifyExportFile, `npm run
 * audit:verify -- --threads N`) gives the report the one-thread verifier gives over the same lines: clean exports,
 * damaged ones, damage placed on the first line of a thread's range (where a thread must assume its first index),
 * blank lines, CRLF, a missing last newline. Worker threads need compiled JavaScript, so the threaded verifier is the
 * built one (dist/), compared with verifyExport from the sources.
 */

const ROOT = resolve(__dirname, '..');
type FileVerifier = typeof import('../libs/audit-log/src/export-verifier-file');

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwk = publicJwkOf(publicKey);
// the equality tests use the first M entries; the command-line test N, past the size below which one thread reads
const M = 3000;
const N = 14000;

// fixed-width fields: two neighbouring lines differ in length only where their index gains a digit
function event(k: number): AuditEvent {
  const id = String(k).padStart(6, '0');
  return {
    actor: { kind: 'user', id: `u-${k % 7}`, role: 'admin' },
    action: k % 2 ? 'budget.granted' : 'claim.approved',
    subject: { type: 'claim', id: `c-${id}` },
    time: `2026-11-11T10:${String(k % 60).padStart(2, '0')}:00.000123+08:00`,
    details: { amountFen: 100000 + k, note: `第 ${id} 条`, nested: { a: true, b: [1, 2.5] } },
  };
}

const events = Array.from({ length: N }, (_, k) => event(k));
const leaves = events.map((e) => eventLeafHash(e));
const tree = MemoryTree.fromLeafHashes(leaves.map((h) => fromHex(h)));
const headAt = (size: number) => signTreeHead({ treeSize: size, rootHash: tree.root(size), timestamp: '2026-11-11T10:30:00+08:00' }, privateKey, jwk.kid);
const line = (k: number, e: AuditEvent = events[k], index = k) => JSON.stringify({ index, event: e, leafHash: leaves[k] });
const cleanLines = (n = M) => events.slice(0, n).map((_, k) => line(k));

describe('audit:verify over threads gives the one-thread report (e2e, the built verifier)', () => {
  let dir: string;
  let file: FileVerifier;

  beforeAll(() => {
    ensureApiBuilt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    file = require(join(ROOT, 'dist/libs/audit-log/src/export-verifier-file.js')) as FileVerifier;
    dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
  }, 200_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let seq = 0;
  function write(text: string): string {
    const path = join(dir, `export-${++seq}.jsonl`);
    writeFileSync(path, text);
    return path;
  }

  /** The first line of each range after the first, for `threads` threads over `text` (as verifyExportFile cuts it). */
  async function rangeStarts(text: string, threads: number): Promise<number[]> {
    const buf = Buffer.from(text, 'utf8');
    const ranges = await file.lineRanges(buf.length, threads, async (pos) => {
      const i = buf.indexOf(0x0a, pos);
      return i < 0 ? null : i;
    });
    return ranges.slice(1).map(([start]) => buf.subarray(0, start).toString('utf8').split('\n').length);
  }

  /** Both verifiers on the same text; answers the threaded report after checking it equals the one-thread one. */
  async function both(text: string, opts: { treeHead?: unknown; publicKey?: unknown } = {}, threads = [2, 3, 5], spread = true): Promise<ExportReport> {
    const path = write(text);
    const single = await verifyExport(text.split(/\r?\n/).filter((_, k, all) => k < all.length - 1 || all[k] !== ''), { ...opts, batchSize: 50 });
    for (const t of threads) {
      const progress: number[] = [];
      const { threads: used, ...report } = await file.verifyExportFile(path, {
        ...opts, threads: t, minBytesForThreads: 0, batchSize: 50, progressEvery: 500, onProgress: (n) => progress.push(n),
      });
      if (spread) expect(used).toBeGreaterThan(1);
      expect(report).toEqual(single);
      expect(progress).toEqual(Array.from({ length: Math.floor(single.entries / 500) }, (_, k) => 500 * (k + 1)));
    }
    return single;
  }

  it('a clean export: every entry, the root, a head at the end and one inside a later range, its signature', async () => {
    const text = `${cleanLines().join('\n')}\n`;
    const report = await both(text, { treeHead: headAt(M), publicKey: jwk });
    expect(report).toMatchObject({ ok: true, entries: M, rootHash: tree.root(M), mismatches: 0, broken: false });
    expect(report.treeHead).toMatchObject({ rootMatches: true, signature: 'valid' });
    const inside = await both(text, { treeHead: headAt(2345), publicKey: jwk });
    expect(inside.treeHead).toMatchObject({ treeSize: 2345, computedRoot: tree.root(2345), rootMatches: true });
    // a head beyond the export, and one the root does not match
    expect((await both(text, { treeHead: headAt(M) }, [2])).ok).toBe(true);
    const other = signTreeHead({ treeSize: M, rootHash: tree.root(M - 1), timestamp: '2026-11-11T10:30:00+08:00' }, privateKey, jwk.kid);
    expect((await both(text, { treeHead: other, publicKey: jwk }, [3])).treeHead).toMatchObject({ rootMatches: false });
  }, 120_000);

  it('CRLF, blank and whitespace lines (at range starts too) and no newline at the end', async () => {
    const lines = cleanLines().flatMap((l, k) => (k % 97 === 0 ? ['', l] : k % 131 === 0 ? ['   ', l] : [l]));
    const text = lines.join('\r\n');
    const starts = await rangeStarts(text, 3);
    const withBlankStarts = [...lines];
    for (const s of starts.reverse()) withBlankStarts.splice(s - 1, 0, '', '');
    for (const t of [text, withBlankStarts.join('\r\n'), `\n\n${text}\n\n`]) {
      const report = await both(t, { treeHead: headAt(M), publicKey: jwk });
      expect(report).toMatchObject({ ok: true, entries: M, rootHash: tree.root(M) });
    }
  }, 120_000);

  it('changed events in several ranges: every mismatch counted, the first named with its line', async () => {
    const lines = cleanLines();
    for (const k of [150, 1200, 2950]) lines[k] = line(k, { ...events[k], action: 'claim.rejected' });
    const report = await both(`${lines.join('\n')}\n`, { treeHead: headAt(M), publicKey: jwk });
    expect(report).toMatchObject({ ok: false, entries: M, mismatches: 3, broken: false, firstMismatch: { index: 150, line: 151 } });
    expect(report.treeHead?.rootMatches).toBe(false);
  }, 120_000);

  it('a missing entry, a repeated one and a line that is not JSON, in the middle of a range and as its first line', async () => {
    const clean = cleanLines();
    const text = `${clean.join('\n')}\n`;
    const starts = await rangeStarts(text, 3); // 1-based line numbers = entry index + 1
    expect(starts.length).toBe(2);
    const cases: Array<[string, (lines: string[], at: number) => void, RegExp]> = [
      ['missing', (l, at) => l.splice(at, 1), /is missing/],
      ['repeated', (l, at) => l.splice(at, 1, l[at - 1]), /expected index \d+, found \d+/],
      ['not JSON', (l, at) => l.splice(at, 1, 'x'.repeat(l[at].length)), /not valid JSON/],
      ['not an entry', (l, at) => l.splice(at, 1, JSON.stringify({ index: at, leafHash: leaves[at] })), /not an entry/],
    ];
    // a same-length line in place of a range's first keeps the cut: the damage is that range's first line
    const garbled = [...clean];
    garbled[starts[1] - 1] = 'x'.repeat(clean[starts[1] - 1].length);
    expect(await rangeStarts(`${garbled.join('\n')}\n`, 3)).toEqual(starts);
    for (const [, damage, reason] of cases) {
      for (const at of [1700, starts[1] - 1, starts[0] - 1]) {
        const lines = [...clean];
        damage(lines, at);
        const damaged = `${lines.join('\n')}\n`;
        const report = await both(damaged, { treeHead: headAt(M), publicKey: jwk });
        expect(report).toMatchObject({ ok: false, broken: true, entries: at, firstMismatch: { index: at, line: at + 1 } });
        expect(report.firstMismatch?.reason).toMatch(reason);
      }
    }
    // an export that starts at another index than 0
    const late = await both(`${clean.slice(10).join('\n')}\n`);
    expect(late.firstMismatch).toMatchObject({ index: 0, line: 1, reason: 'entry 0 is missing (the next line holds index 10)' });
  }, 300_000);

  it('empty and blank files, and a file too small for threads', async () => {
    for (const text of ['', '\n\n\n\n', '   \r\n']) {
      const report = await both(text, {}, [2, 3], text === '\n\n\n\n'); // the other two hold one line
      expect(report).toMatchObject({ ok: true, entries: 0, broken: false });
    }
    const small = write(`${cleanLines().slice(0, 10).join('\n')}\n`);
    expect(await file.verifyExportFile(small, { threads: 4 })).toMatchObject({ ok: true, entries: 10, threads: 1 });
    await expect(file.verifyExportFile(small, { threads: 0 })).rejects.toThrow(RangeError);
  }, 60_000);

  it('npm run audit:verify -- --threads: exit 0 on a clean export, 1 naming the first mismatch, 2 on a bad option', () => {
    const headPath = write(JSON.stringify(headAt(N)));
    const keyPath = write(JSON.stringify(jwk));
    const clean = write(`${cleanLines(N).join('\n')}\n`);
    const lines = cleanLines(N);
    lines[12001] = line(12001, { ...events[12001], details: { ...events[12001].details, amountFen: 1 } });
    const damaged = write(`${lines.join('\n')}\n`);
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/scripts/audit-verify.js'), ...args], { encoding: 'utf8', timeout: 60_000 });

    const ok = run(clean, '--tree-head', headPath, '--public-key', keyPath, '--threads', '3');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`entries checked: ${N.toLocaleString('en')}`);
    expect(ok.stdout).toContain('tree head signature: valid');
    expect(ok.stderr).toContain('up to 3 threads');
    expect(statSync(clean).size).toBeGreaterThan(4 * 1024 * 1024); // past the size below which one thread reads
    const bad = run(damaged, '--tree-head', headPath, '--threads=2');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('FIRST MISMATCH: entry 12001 (line 12002)');
    expect(bad.stdout).toContain(`TREE HEAD ROOT MISMATCH at size ${N}`);
    const usage = run(clean, '--threads', '0');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--threads takes a whole number/);
    expect(readFileSync(clean, 'utf8').split('\n').length).toBe(N + 1);
  }, 120_000);
});
