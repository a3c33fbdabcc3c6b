import { createThrowAwayDatabase, formatReport, freshSeed, KNOWN_BUGS, KnownBug, runSimulation } from './simulation';

/**
 * `npm run simulate -- [--seed N] [--ops M] [--concurrency C] [--check-every K] [--avoid BUG] [--trace FILE] [--keep-db]`:
 * a seeded, replayable run of
 * concurrent actors on real PostgreSQL (scripts/simulation): budget grants, vouchers, expiries, trade-ins,
 * auditor decisions, cancellations, clawbacks, payout runs through Stripe (a local mock with injected faults)
 * and ISO 20022 bank files with the bank's answers, and worker kills — checking the ledger's invariants and an
 * independent model of every account throughout. Prints the seed first; the same seed replays the same choices.
 * Exits 1 on drift or any other failure. Needs a database: DATABASE_URL, or the embedded PostgreSQL under
 * DATA_DIR; either way the run gets a throw-away database of its own (`--keep-db` keeps it for a look).
 * By default the actors steer around the platform bugs this simulation found and that await their fix (KNOWN_BUGS
 * in simulation/actor-kit.ts, empty today; the report names them); `--avoid none` walks into them, `--avoid a,b` picks some;
 * `--trace` writes every op and its outcome to a file, to diff two runs of one seed.
 */
const USAGE = 'usage: npm run simulate -- [--seed N] [--ops M (default 2000)] [--concurrency C (default 12)] [--check-every K (default 500)] [--avoid all (default) | none | <known bug>,…] [--trace <file>] [--keep-db]';

function parseArgs(argv: string[]): { seed: number; ops: number; concurrency: number; checkEvery: number; keepDb: boolean; avoid: KnownBug[]; traceFile?: string } {
  const out: ReturnType<typeof parseArgs> = { seed: -1, ops: 2000, concurrency: 12, checkEvery: 500, keepDb: false, avoid: [...KNOWN_BUGS] };
  const names: Record<string, 'seed' | 'ops' | 'concurrency' | 'checkEvery'> = { '--seed': 'seed', '--ops': 'ops', '--concurrency': 'concurrency', '--check-every': 'checkEvery' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    if (a === '--keep-db') {
      out.keepDb = true;
      continue;
    }
    if (a === '--trace' || a.startsWith('--trace=')) {
      out.traceFile = a.startsWith('--trace=') ? a.slice('--trace='.length) : argv[++i];
      if (!out.traceFile) {
        console.error(`--trace needs a file name\n${USAGE}`);
        process.exit(2);
      }
      continue;
    }
    if (a === '--avoid' || a.startsWith('--avoid=')) {
      const list = (a.startsWith('--avoid=') ? a.slice('--avoid='.length) : argv[++i] ?? '').split(',').map((b) => b.trim()).filter(Boolean);
      const unknown = list.filter((b) => b !== 'all' && b !== 'none' && !(KNOWN_BUGS as readonly string[]).includes(b));
      if (!list.length || unknown.length) {
        console.error(`--avoid takes all, none, or a comma-separated list of ${KNOWN_BUGS.join(', ')}\n${USAGE}`);
        process.exit(2);
      }
      out.avoid = list.includes('all') ? [...KNOWN_BUGS] : list.filter((b): b is KnownBug => b !== 'none');
      continue;
    }
    if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = names[flag];
    const raw = inline ?? argv[++i];
    if (!key || raw === undefined || !/^\d+$/.test(raw)) {
      console.error(`${key ? `${flag} needs a non-negative integer` : `unknown argument ${a}`}\n${USAGE}`);
      process.exit(2);
    }
    out[key] = Number(raw);
  }
  if (out.seed < 0) out.seed = freshSeed();
  if (out.seed > 0xffffffff) {
    console.error('--seed must fit in 32 bits');
    process.exit(2);
  }
  if (out.ops < 1 || out.concurrency < 1 || out.checkEvery < 1) {
    console.error(`--ops, --concurrency and --check-every must be at least 1\n${USAGE}`);
    process.exit(2);
  }
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const avoid = ` --avoid ${args.avoid.length ? args.avoid.join(',') : 'none'}`;
  console.log(`[simulate] seed ${args.seed} (replay: npm run simulate -- --seed ${args.seed} --ops ${args.ops} --concurrency ${args.concurrency}${avoid})`);
  const db = await createThrowAwayDatabase(`s${args.seed}`);
  console.log(`[simulate] database ${db.name}`);
  try {
    const report = await runSimulation({ ...args, databaseUrl: db.url, log: (line) => console.log(line) });
    console.log(formatReport(report));
    return report.passed ? 0 : 1;
  } finally {
    if (args.keepDb) {
      console.log(`[simulate] kept database ${db.name} (drop it when done)`);
      await db.release();
    } else {
      await db.drop();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
