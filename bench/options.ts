import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** The workloads of `npm run bench`, in the order they run. */
export const WORKLOADS = ['health', 'rush', 'trade-ins', 'payouts', 'export', 'audit'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchOptions {
  households: number;
  rushQuota: number;
  rushConnections: number;
  tradeIns: number;
  tradeInConnections: number;
  tradeInRetailers: number;
  healthConnections: number;
  durationS: number;
  warmupS: number;
  timeoutS: number;
  payoutClaims: number;
  payoutRetailers: number;
  exportClaims: number;
  auditEvents: number;
  only: Workload[];
  resultsDir: string;
  size: 'full' | 'tiny';
}

type NumberKey = Exclude<keyof BenchOptions, 'only' | 'resultsDir' | 'size'>;

/** Every size and connection count: its flag, its environment variable, its full and tiny values, what it sets. */
export const KNOBS: { key: NumberKey; flag: string; env: string; full: number; tiny: number; desc: string }[] = [
  { key: 'households', flag: 'households', env: 'BENCH_HOUSEHOLDS', full: 5000, tiny: 200, desc: 'households of the voucher rush, each with its own token, each asking once' },
  { key: 'rushQuota', flag: 'rush-quota', env: 'BENCH_RUSH_QUOTA', full: 1000, tiny: 50, desc: "the rush city's daily quota (exactly this many must be issued)" },
  { key: 'rushConnections', flag: 'rush-connections', env: 'BENCH_RUSH_CONNECTIONS', full: 500, tiny: 50, desc: 'connections of the rush (and of its write baseline)' },
  { key: 'tradeIns', flag: 'trade-ins', env: 'BENCH_TRADE_INS', full: 2000, tiny: 20, desc: 'trade-ins timed per run (one run against 1 API process, one against 2)' },
  { key: 'tradeInConnections', flag: 'trade-in-connections', env: 'BENCH_TRADE_IN_CONNECTIONS', full: 64, tiny: 8, desc: 'connections (tills) of the trade-ins (and of their write baseline)' },
  { key: 'tradeInRetailers', flag: 'trade-in-retailers', env: 'BENCH_TRADE_IN_RETAILERS', full: 16, tiny: 4, desc: 'retailers (one store and one POS key each) the trade-ins are spread over' },
  { key: 'healthConnections', flag: 'health-connections', env: 'BENCH_HEALTH_CONNECTIONS', full: 64, tiny: 8, desc: 'connections of GET /health/live (and of the bare GET baseline)' },
  { key: 'durationS', flag: 'duration', env: 'BENCH_DURATION_S', full: 10, tiny: 1, desc: 'seconds of each timed run of GET /health/live and of each baseline' },
  { key: 'warmupS', flag: 'warmup', env: 'BENCH_WARMUP_S', full: 3, tiny: 0.5, desc: 'seconds of untimed load before each of those' },
  { key: 'timeoutS', flag: 'timeout', env: 'BENCH_TIMEOUT_S', full: 30, tiny: 30, desc: 'a request unanswered after this many seconds counts as a timeout (and is left out of the latencies)' },
  { key: 'payoutClaims', flag: 'payout-claims', env: 'BENCH_PAYOUT_CLAIMS', full: 100_000, tiny: 500, desc: 'approved claims of the payout run' },
  { key: 'payoutRetailers', flag: 'payout-retailers', env: 'BENCH_PAYOUT_RETAILERS', full: 500, tiny: 20, desc: 'retailers of the payout run' },
  { key: 'exportClaims', flag: 'export-claims', env: 'BENCH_EXPORT_CLAIMS', full: 1_000_000, tiny: 1000, desc: 'claims seeded (seed:scale) and exported as CSV' },
  { key: 'auditEvents', flag: 'audit-events', env: 'BENCH_AUDIT_EVENTS', full: 1_000_000, tiny: 2000, desc: 'audit events sealed, proved and verified' },
];

export const USAGE = [
  'usage: npm run bench [-- options]   (or node dist/bench/run.js [options] after npm run build)',
  '  --tiny                    every size below at its tiny value (BENCH_SIZE=tiny): the CI smoke run, well under a minute',
  '  --only a,b                these workloads only (BENCH_ONLY): health, rush, trade-ins, payouts, export, audit',
  '  --results DIR             where latest.md and latest.json go (BENCH_RESULTS_DIR; default bench/results)',
  ...KNOBS.map((k) => `  --${`${k.flag} N`.padEnd(24)}${k.env} (full ${k.full.toLocaleString('en')}, tiny ${k.tiny.toLocaleString('en')}): ${k.desc}`),
].join('\n');

function positive(name: string, raw: string): number {
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Flags win over the environment, which wins over the size's defaults. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, root: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      tiny: { type: 'boolean' },
      only: { type: 'string' },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(KNOBS.map((k) => [k.flag, { type: 'string' as const }])),
    },
  });
  if (values.help) return 'help';
  const size = values.tiny || env.BENCH_SIZE === 'tiny' ? 'tiny' : 'full';
  if (env.BENCH_SIZE && !['tiny', 'full'].includes(env.BENCH_SIZE)) throw new Error('BENCH_SIZE must be tiny or full');
  const out = { size } as BenchOptions;
  for (const k of KNOBS) {
    const flag = (values as Record<string, string | undefined>)[k.flag];
    out[k.key] = flag !== undefined ? positive(`--${k.flag}`, flag) : env[k.env] ? positive(k.env, env[k.env]!) : k[size];
    if (!['durationS', 'warmupS', 'timeoutS'].includes(k.key) && !Number.isSafeInteger(out[k.key])) throw new Error(`${k.env} must be a whole number`);
  }
  const only = (values.only ?? env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of only) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w} (BENCH_ONLY): ${WORKLOADS.join(', ')}`);
  out.only = only.length ? (only as Workload[]) : [...WORKLOADS];
  out.resultsDir = values.results ?? env.BENCH_RESULTS_DIR ?? join(root, 'bench/results');
  if (out.rushQuota >= out.households) throw new Error('BENCH_RUSH_QUOTA must be below BENCH_HOUSEHOLDS (the rush must run out)');
  if (out.rushConnections > out.households) throw new Error('BENCH_RUSH_CONNECTIONS must not exceed BENCH_HOUSEHOLDS');
  return out;
}
