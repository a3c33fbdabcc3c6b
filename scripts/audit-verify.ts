/**
 * Offline verifier of an audit-log export (DESIGN.md "The audit log"):
 *
 *   npm run audit:verify -- export.jsonl [--tree-head head.json] [--public-key key.json] [--threads N]
 *
 * export.jsonl from GET /v1/audit/export.jsonl, head.json from GET /v1/audit/tree-head, key.json from
 * GET /v1/audit/public-key. Recomputes every leaf from its event, rebuilds the tree, checks the head's root at
 * its size and its signature. Progress goes to stderr, the verdict to stdout. Exit 0: everything matches;
 * 1: something does not (the first entry that does not match is named); 2: bad usage or unreadable input.
 * A thin wrapper: the checks are verifyExport() in libs/audit-log, which the tests exercise.
 */
import { statSync } from 'node:fs';
// The verifier module alone, not the library's index: that would load Nest and TypeORM, a second of start-up
// for a tool that needs neither.
import type { ExportReport } from '../libs/audit-log/src/export-verifier';
import { verifierThreads, verifyExportFile } from '../libs/audit-log/src/export-verifier-file';
import { readJson, UsageError } from './cli-args';

const USAGE = 'usage: npm run audit:verify -- export.jsonl [--tree-head head.json] [--public-key key.json] [--threads N]';

interface Args {
  exportPath: string;
  treeHeadPath?: string;
  publicKeyPath?: string;
  /** worker threads that parse and hash the lines (default: the machine's available parallelism, at most 8) */
  threads?: number;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const named: Record<string, string> = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (arg === '-h' || arg === '--help') throw new UsageError('');
    const m = /^--(tree-head|public-key|threads)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? argv[++k];
      if (!value) throw new UsageError(`--${m[1]} needs a value`);
      named[m[1]] = value;
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError('give exactly one export file');
  if (named['public-key'] && !named['tree-head']) throw new UsageError('--public-key checks a tree head: give --tree-head too');
  const threads = named.threads === undefined ? undefined : Number(named.threads);
  if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1 || threads > 64)) throw new UsageError('--threads takes a whole number from 1 to 64');
  return { exportPath: positional[0], treeHeadPath: named['tree-head'], publicKeyPath: named['public-key'], threads };
}

function report(r: ExportReport, seconds: number): string[] {
  const out: string[] = [];
  const rate = seconds > 0 ? ` (${Math.round(r.entries / seconds).toLocaleString('en')} entries/s)` : '';
  out.push(`entries checked: ${r.entries.toLocaleString('en')} in ${seconds.toFixed(2)} s${rate}`);
  out.push(`root of the recomputed tree (size ${r.entries}): ${r.rootHash}`);
  if (r.firstMismatch) {
    const m = r.firstMismatch;
    out.push(`FIRST MISMATCH: entry ${m.index} (line ${m.line}): ${m.reason}`);
    if (r.mismatches > 1) out.push(`entries whose event does not match their leafHash: ${r.mismatches}`);
    if (r.broken) out.push('the check stopped at that line: the entries after it cannot be placed');
  } else {
    out.push('every entry matches its sealed leafHash, indices 0.. without a gap');
  }
  const h = r.treeHead;
  if (h) {
    if (h.treeSize === null) {
      out.push(`TREE HEAD MALFORMED: ${h.reason}`);
    } else {
      if (h.computedRoot === null) out.push(`TREE HEAD NOT REACHED: the head is for size ${h.treeSize}, the export holds ${r.entries} entries`);
      else if (h.rootMatches) out.push(`tree head: root at size ${h.treeSize} matches ${h.rootHash}`);
      else out.push(`TREE HEAD ROOT MISMATCH at size ${h.treeSize}: signed ${h.rootHash}, recomputed ${h.computedRoot}`);
      if (h.signature === 'valid') out.push('tree head signature: valid');
      else if (h.signature === 'invalid') out.push(`TREE HEAD SIGNATURE INVALID: ${h.reason}`);
      else out.push('tree head signature: not checked (give --public-key)');
    }
  }
  out.push(r.ok ? 'OK' : 'FAILED');
  return out;
}

async function main(): Promise<number> {
  let args: Args;
  let treeHead: unknown;
  let publicKey: unknown;
  let size: number;
  try {
    args = parseArgs(process.argv.slice(2));
    treeHead = args.treeHeadPath ? readJson(args.treeHeadPath, 'tree head') : undefined;
    publicKey = args.publicKeyPath ? readJson(args.publicKeyPath, 'public key') : undefined;
    size = statSync(args.exportPath).size;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
    return 2;
  }

  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`verifying ${args.exportPath} (${(size / 1e6).toFixed(1)} MB, up to ${verifierThreads(args.threads)} threads)\n`);
  const result = await verifyExportFile(args.exportPath, {
    treeHead,
    publicKey,
    threads: args.threads,
    onProgress: (n) => process.stderr.write(`  ${n.toLocaleString('en')} entries, ${seconds().toFixed(1)} s\n`),
  });
  process.stdout.write(`${report(result, seconds()).join('\n')}\n`);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`audit:verify failed: ${err instanceof Error ? err.message : err}\n`);
    process.exitCode = 2;
  },
);
