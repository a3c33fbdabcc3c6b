import { createReadStream, existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { BatchCheck, checkBatch, ExportFold, ExportReport, ExportVerifyOptions, verifyExport } from './export-verifier';

/**
 * verifyExport over a file, its lines spread over worker threads: the file is cut into byte ranges at line breaks,
 * each thread parses, canonicalises and hashes its range's lines (checkBatch, the per-line work and nearly all of the
 * time), and this thread folds the leaves into the tree in the file's order. The report is the one verifyExport gives
 * over the same lines, line numbers and the first mismatch included (test/audit-verify-threads.e2e-spec.ts compares
 * them on clean and damaged exports).
 *
 * A thread does not know which index its range's first entry must hold until the ranges before it are counted, so it
 * assumes the index its first entry names and says so; when the ranges before it end elsewhere, the sequence breaks
 * at that first entry, and this thread checks that one line itself against the index it should have held.
 */

/** The message a range's thread sends first: the first non-blank line, and the index it names (null if none). */
export interface RangeStart {
  kind: 'start';
  /** the first non-blank line of the range, or null when the range has none */
  line: string | null;
  /** its line number within the range, from 1 */
  lineNo: number;
  /** the index that line names when it is an entry with a safe-integer index: the index the thread assumed */
  assumed: number | null;
}

/** Then one message per batch, and a last one with the number of lines the range held. */
export type RangeMessage = RangeStart | { kind: 'batch'; check: BatchCheck } | { kind: 'end'; lines: number } | { kind: 'error'; message: string };

export interface RangeTask {
  path: string;
  /** byte offsets, start inclusive, end exclusive; both at the start of a line (or the file's end) */
  start: number;
  end: number;
  batchSize: number;
}

export interface FileVerifyOptions extends ExportVerifyOptions {
  /** worker threads (default: the machine's available parallelism, at most 8); 1 reads the file on this thread */
  threads?: number;
  /** a file smaller than this is read on this thread, whatever `threads` says (default 4 MB) */
  minBytesForThreads?: number;
}

/** The index a non-blank export line names, if it is a JSON object with a safe-integer `index`; null otherwise. */
export function namedIndex(line: string): number | null {
  try {
    const entry = JSON.parse(line) as { index?: unknown } | null;
    return entry && typeof entry === 'object' && Number.isSafeInteger(entry.index) ? (entry.index as number) : null;
  } catch {
    return null;
  }
}

/**
 * Cuts `size` bytes into at most `parts` ranges, each starting right after a `\n` (or at 0): `newlineFrom(pos)` answers
 * the offset of the first `\n` at or after pos, or null if there is none. A range never splits a line, so never a
 * UTF-8 character or a `\r\n`; ranges that would be empty are dropped.
 */
export async function lineRanges(size: number, parts: number, newlineFrom: (pos: number) => Promise<number | null>): Promise<Array<[number, number]>> {
  const cuts = [0];
  for (let k = 1; k < parts; k++) {
    const from = Math.max(Math.floor((k * size) / parts), cuts[cuts.length - 1]);
    const nl = await newlineFrom(from);
    if (nl === null || nl + 1 >= size) break;
    if (nl + 1 > cuts[cuts.length - 1]) cuts.push(nl + 1);
  }
  cuts.push(size);
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k + 1] > cuts[k]) ranges.push([cuts[k], cuts[k + 1]]);
  return ranges;
}

async function newlineFinder(path: string): Promise<{ find: (pos: number) => Promise<number | null>; close: () => Promise<void> }> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(64 * 1024);
  return {
    find: async (pos) => {
      for (let at = pos; ;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead === 0) return null;
        const i = buf.subarray(0, bytesRead).indexOf(0x0a);
        if (i >= 0) return at + i;
        at += bytesRead;
      }
    },
    close: () => fh.close(),
  };
}

/** The compiled worker beside this module; absent when this module runs from TypeScript sources (ts-jest). */
const WORKER = join(__dirname, 'export-verifier-worker.js');

/** How many threads verifyExportFile would use for `threads` (undefined: the default). */
export function verifierThreads(threads?: number): number {
  const wanted = threads ?? Math.min(availableParallelism(), 8);
  if (!Number.isSafeInteger(wanted) || wanted < 1) throw new RangeError('threads must be a positive integer');
  return existsSync(WORKER) ? wanted : 1;
}

export async function verifyExportFile(path: string, opts: FileVerifyOptions = {}): Promise<ExportReport & { threads: number }> {
  const { size } = await stat(path);
  let threads = verifierThreads(opts.threads);
  if (size < (opts.minBytesForThreads ?? 4 * 1024 * 1024)) threads = 1;
  let ranges: Array<[number, number]> = [];
  if (threads > 1) {
    const finder = await newlineFinder(path);
    try {
      ranges = await lineRanges(size, threads, finder.find);
    } finally {
      await finder.close();
    }
  }
  if (ranges.length < 2) {
    const report = await verifyExport(createInterface({ input: createReadStream(path), crlfDelay: Infinity }), opts);
    return { ...report, threads: 1 };
  }
  const fold = new ExportFold(opts);
  const batchSize = opts.batchSize ?? 2000;
  const workers = ranges.map(([start, end]) => new Worker(WORKER, { workerData: { path, start, end, batchSize } satisfies RangeTask }));
  // each range's messages, in the order its thread sent them; a range is folded once the ranges before it are
  const queues: RangeMessage[][] = ranges.map(() => []);
  const waiting: Array<(() => void) | null> = ranges.map(() => null);
  workers.forEach((w, k) => {
    const push = (m: RangeMessage) => {
      queues[k].push(m);
      waiting[k]?.();
    };
    w.on('message', push);
    w.on('error', (err) => push({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
    w.on('exit', (code) => { if (code !== 0) push({ kind: 'error', message: `the verifier thread stopped (${code})` }); });
  });
  const next = async (k: number): Promise<RangeMessage> => {
    while (queues[k].length === 0) await new Promise<void>((resolve) => { waiting[k] = resolve; });
    waiting[k] = null;
    return queues[k].shift() as RangeMessage;
  };

  try {
    let lineOffset = 0;
    for (let k = 0; k < ranges.length && !fold.broken; k++) {
      for (;;) {
        const m = await next(k);
        if (m.kind === 'error') throw new Error(m.message);
        if (m.kind === 'end') {
          lineOffset += m.lines;
          break;
        }
        if (m.kind === 'start') {
          if (m.line !== null && m.assumed !== fold.size) {
            // the ranges before ended elsewhere: the sequence breaks at this line, checked against the index it owed
            const check = checkBatch([m.line], fold.size, lineOffset + m.lineNo);
            if (!check.broken) throw new Error('a range assumed another index than its first entry holds');
            fold.add(check);
            break;
          }
          continue;
        }
        const check = m.check;
        fold.add(check.firstMismatch ? { ...check, firstMismatch: { ...check.firstMismatch, line: check.firstMismatch.line + lineOffset } } : check);
        if (fold.broken) break;
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { ...fold.report(), threads: ranges.length };
}
