/**
 * Offline verifier of a lottery draw (issue 13, algorithm huanxin-draw-v1 in libs/vouchers/src/lottery-draw.ts):
 *
 *   npm run draw:verify -- draw.json [--public-key key.json]
 *
 * draw.json from GET /v1/public/programs/{code}/draws/{city}/{date}; key.json (optional) from GET
 * /v1/audit/public-key, to check the tree head's signature too. Recomputes the commitment from the reveal, the
 * entries' Merkle root, the seed and the winners, and prints OK or each mismatch. Exit 0: the draw checks out;
 * 1: it does not; 2: bad usage or unreadable input. A thin wrapper: the checks are verifyDraw(), which the tests
 * exercise.
 */
import { verifyTreeHeadSignature } from '@huanxin/audit-log';
import { verifyDraw } from '@huanxin/vouchers';
import { readJson, UsageError } from './cli-args';

const USAGE = 'usage: npm run draw:verify -- draw.json [--public-key key.json]';

function parseArgs(argv: string[]): { drawPath: string; publicKeyPath?: string } {
  const positional: string[] = [];
  let publicKeyPath: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (arg === '-h' || arg === '--help') throw new UsageError('');
    const m = /^--public-key(?:=(.*))?$/.exec(arg);
    if (m) {
      publicKeyPath = m[1] ?? argv[++k];
      if (!publicKeyPath) throw new UsageError('--public-key needs a value');
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError('give exactly one draw export file');
  return { drawPath: positional[0], publicKeyPath };
}

function main(): number {
  let draw: unknown;
  let publicKey: unknown;
  try {
    const args = parseArgs(process.argv.slice(2));
    draw = readJson(args.drawPath, 'draw export');
    publicKey = args.publicKeyPath ? readJson(args.publicKeyPath, 'public key') : undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const d = draw as { programCode?: string; city?: string; drawDate?: string; treeHead?: unknown };
  process.stdout.write(`draw ${d.programCode ?? '?'} / ${d.city ?? '?'} / ${d.drawDate ?? '?'} (huanxin-draw-v1)\n`);
  const result = verifyDraw(draw);
  const problems = result.ok ? [] : [...result.problems];
  if (publicKey !== undefined) {
    const sig = verifyTreeHeadSignature(d.treeHead, publicKey);
    if (sig.ok) process.stdout.write('tree head signature: valid\n');
    else problems.push(`tree head signature invalid: ${sig.reason}`);
  } else {
    process.stdout.write('tree head signature: not checked (give --public-key)\n');
  }
  if (result.ok && !problems.length) {
    process.stdout.write(`commitment, entriesRoot, seed and winners recomputed: ${result.winners} winners of ${result.entries} entries\nOK\n`);
    return 0;
  }
  for (const p of problems) process.stdout.write(`MISMATCH: ${p}\n`);
  process.stdout.write('FAILED\n');
  return 1;
}

process.exitCode = main();
