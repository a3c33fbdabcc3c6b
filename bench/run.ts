/**
 * `npm run bench` (issue 11): every benchmark in one run, each measurement beside a baseline measured in the same
 * run, because the machine is shared and noisy and only ratios within one run mean anything. BENCHMARKS.md says how
 * to read and reproduce it; `--help` lists every size and connection count (flags or BENCH_* variables).
 *
 * On the PostgreSQL of DATABASE_URL (else the embedded one `npm start` would use), on fresh databases dropped at the
 * end, it:
 *
 * 1. measures the baselines: the thinnest NestJS 11 + Express app (bench/baseline-app.ts, its own process) answering a
 *    GET, and the same app running a two-statement write transaction (pgbench's shape) at the rush's and the tills'
 *    connection counts;
 * 2. starts the platform as `npm start` does (dist/apps/api/src/start-all.js: migrations, the API, the worker beside
 *    it) on its own port, and times `GET /health/live`; the voucher rush (every household once, with its own token;
 *    the city's quota issued exactly — else the run fails); trade-ins with valid receipts; then both again with a
 *    second API process (dist/apps/api/src/main.js) on another port, connections spread over the two;
 * 3. the payout run (bench/payouts.bench.ts), bank file and Stripe;
 * 4. `seed:scale` claims exported as CSV by a freshly started platform: rows per second and the API process's peak
 *    RSS, beside PostgreSQL's own COPY of the same rows;
 * 5. the audit log (bench/audit.bench.ts): sealing, inclusion proofs, offline verification.
 *
 * Prints progress and the table (measured / baseline / ratio / target / met?), writes bench/results/latest.md and
 * latest.json. Exits 1 if a workload could not report or the rush was not exact; a missed target is a result, not
 * a failure. Set-up (households, tokens, vouchers, receipts, request bodies, seeded data) is never inside the timing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';
import { seedScale } from '../scripts/seed-scale';
import { runAuditBench, threadsLabel } from './audit.bench';
import { BASELINE_SCHEMA } from './baseline-app';
import {
  Api, BenchHousehold, CAP_FEN, makeAuditor, makeHouseholds, makeModel, makeProgram, makeRecycler, makeRetailers, takeVouchers, tradeInBody,
} from './fixtures';
import { load, LoadResult, PlannedRequest } from './load';
import { BenchOptions, parseOptions, USAGE } from './options';
import { runPayoutsBench } from './payouts.bench';
import { API_MAIN, BASELINE_APP, freePort, killAll, platformNodeArgs, ROOT, Service, START_ALL, startService, stopAll } from './processes';
import { fmt, ms, Row, textTable, writeResults } from './report';

const started = Date.now();
const clock = () => {
  const s = Math.floor((Date.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const log = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);
const rate = (r: LoadResult) => `${fmt(r.rps)} req/s`;
const latency = (r: LoadResult) => `p50 ${ms(r.p50)} · p99 ${ms(r.p99)}`;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Everything the run made, so the end (or Ctrl-C) takes it all down. */
class Run {
  readonly tag = randomBytes(3).toString('hex');
  readonly tmp = mkdtempSync(join(tmpdir(), 'huanxin-bench-'));
  readonly services: Service[] = [];
  readonly databases: string[] = [];
  readonly rows: Row[] = [];
  readonly details: Record<string, unknown> = {};
  readonly baselines: Record<string, unknown> = {};
  readonly failures: string[] = [];
  readonly secrets = { jwtSecret: randomBytes(32).toString('hex'), idHashSecret: randomBytes(32).toString('hex') };
  readonly admin = { email: 'bench-admin@huanxin.local', password: randomBytes(12).toString('base64url') };

  constructor(readonly opts: BenchOptions, readonly serverUrl: string) {}

  /** One statement on its own connection; waits for a free one when the server is full (a shared machine's tests). */
  async query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const c = new Client({ connectionString: url });
      try {
        await c.connect();
      } catch (err) {
        await c.end().catch(() => undefined);
        if ((err as { code?: string }).code !== '53300' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    }
  }

  async createDatabase(suffix: string): Promise<string> {
    const name = `hx_bench_${this.tag}${suffix}`;
    await this.query(this.serverUrl, `CREATE DATABASE "${name}"`);
    this.databases.push(name);
    return withDatabase(this.serverUrl, name);
  }

  async dropDatabases(): Promise<void> {
    for (const name of this.databases.splice(0)) {
      await this.query(this.serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((err) => log(`could not drop ${name}: ${err.message}`));
    }
  }

  /** The platform's environment: what `npm start` reads, with the bench's secrets and ports. */
  platformEnv(databaseUrl: string, port: number): Record<string, string> {
    return {
      DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: join(this.tmp, 'data'), JWT_SECRET: this.secrets.jwtSecret, ID_HASH_SECRET: this.secrets.idHashSecret,
      SEED_DEMO: 'false', BOOTSTRAP_ADMIN_EMAIL: this.admin.email, BOOTSTRAP_ADMIN_PASSWORD: this.admin.password,
      // every request comes from this one address: the limits stay on (their cost is measured), out of the way
      RATE_LIMIT_LOGIN: '100000000', RATE_LIMIT_REGISTER: '100000000', RATE_LIMIT_VOUCHER: '100000000', RATE_LIMIT_DEFAULT: '100000000',
      NO_COLOR: '1',
      // the production log format (one JSON object a line), not `npm start`'s coloured development lines: the cost
      // of logging measured is the one an operator pays (pino-pretty alone took 2–3 % of the API's CPU in the rush)
      LOG_FORMAT: 'json',
      // as `npm start` runs it (package.json): glibc's mmap threshold fixed, so argon2's 19 MiB blocks go back to the system
      GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072',
    };
  }

  /** The platform as `npm start` runs it: start-all (migrations, API, worker), on its own port. */
  async startPlatform(databaseUrl: string, name: string): Promise<Service> {
    const port = await freePort();
    const s = await startService({
      name, entry: START_ALL, port, env: this.platformEnv(databaseUrl, port), logFile: join(this.tmp, `${name}.log`), readyPath: '/health/ready', nodeArgs: platformNodeArgs(),
    });
    this.services.push(s);
    log(`  ${name}: the platform (API + worker, pid ${s.pid}) at ${s.url}; log ${s.logFile}`);
    return s;
  }

  /** One more API process (`npm run start:api`) on the same database, its own port. */
  async startApi(databaseUrl: string, name: string): Promise<Service> {
    const port = await freePort();
    const s = await startService({
      name, entry: API_MAIN, port, env: { ...this.platformEnv(databaseUrl, port), MIGRATE_ON_START: 'false' }, logFile: join(this.tmp, `${name}.log`), readyPath: '/health/ready',
      nodeArgs: platformNodeArgs(),
    });
    this.services.push(s);
    log(`  ${name}: a second API process (pid ${s.pid}) at ${s.url}`);
    return s;
  }

  async stop(s: Service): Promise<void> {
    await s.stop();
    this.services.splice(this.services.indexOf(s), 1);
  }

  add(row: Row): void {
    this.rows.push(row);
    log(`  → ${row.id} ${row.workload}: ${row.error ? `FAILED: ${row.error}` : row.measured}${row.met === null ? '' : ` (target ${row.target}: ${row.met ? 'met' : 'not met'})`}`);
    if (row.error) this.failures.push(`${row.id} ${row.workload}: ${row.error}`);
  }

  /** A workload that threw: its rows say so, and the run goes on to the next. */
  failed(ids: [string, string][], err: unknown): void {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    for (const [id, workload] of ids) this.add({ id, workload, measured: '', baseline: '', ratio: null, target: '', met: null, values: { value: null }, error: message });
  }
}

/** Untimed load first (JIT, pools, caches), then the timed run of `durationS` seconds. */
async function steady(run: Run, label: string, urls: string[], connections: number, next: (i: number) => PlannedRequest): Promise<LoadResult> {
  const { warmupS, durationS, timeoutS } = run.opts;
  await load({ label: `${label} (warm-up)`, urls, connections, next, durationS: warmupS, timeoutS, quiet: true });
  log(`  ${label}: ${connections} connections, ${durationS} s`);
  return load({ label, urls, connections, next, durationS, timeoutS });
}

interface Baselines {
  get?: LoadResult;
  writeTills?: LoadResult;
  writeRush?: LoadResult;
}

async function measureBaselines(run: Run): Promise<Baselines> {
  const o = run.opts;
  const want = (w: string) => o.only.includes(w as never);
  log('baselines: the thinnest NestJS 11 + Express app, its own process');
  const url = await run.createDatabase('_base');
  for (const sql of BASELINE_SCHEMA) await run.query(url, sql);
  const port = await freePort();
  const app = await startService({
    name: 'baseline', entry: BASELINE_APP, port, env: { BASELINE_DATABASE_URL: url, PORT: String(port) }, logFile: join(run.tmp, 'baseline.log'), readyPath: '/live',
  });
  run.services.push(app);
  const out: Baselines = {};
  const write = (): PlannedRequest => ({ method: 'POST', path: '/write', headers: { 'content-type': 'application/json' }, body: '{"delta":1}' });
  try {
    if (want('health')) out.get = await steady(run, 'bare GET', [app.url], o.healthConnections, () => ({ method: 'GET', path: '/live' }));
    if (want('trade-ins')) out.writeTills = await steady(run, 'write transaction', [app.url], o.tradeInConnections, write);
    if (want('rush')) out.writeRush = o.rushConnections === o.tradeInConnections && out.writeTills ? out.writeTills : await steady(run, 'write transaction', [app.url], o.rushConnections, write);
    const [{ n }] = await run.query(url, `SELECT count(*)::int AS n FROM bench_history`);
    run.baselines.writeTransactionsCommitted = n;
  } finally {
    await run.stop(app);
  }
  for (const [k, r] of Object.entries(out)) {
    run.baselines[k] = r;
    log(`  baseline ${k}: ${rate(r)} · ${latency(r)} at ${r.connections} connections (${r['5xx']} 5xx, ${r.timeouts} timeouts)`);
  }
  return out;
}

/** A voucher request as the portal sends it: the household's bearer token, an Idempotency-Key, the programme. */
function voucherRequest(h: BenchHousehold, programCode: string, key: string): PlannedRequest {
  return {
    method: 'POST', path: '/v1/household/vouchers',
    headers: { authorization: `Bearer ${h.token}`, 'idempotency-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ programCode }),
  };
}

interface TradeIn {
  apiKey: string;
  body: string;
}

/** Workloads 1–3 on the platform started as `npm start` starts it, then 2–3 again with a second API process. */
async function httpWorkloads(run: Run, base: Baselines): Promise<void> {
  const o = run.opts;
  const want = (w: string) => o.only.includes(w as never);
  const url = await run.createDatabase('');
  log('the platform: npm start on a fresh database');
  const p1 = await run.startPlatform(url, 'api-1');
  const api = new Api(p1.url);
  const admin = await api.login(run.admin.email, run.admin.password);
  const auditor = await makeAuditor(api, admin);

  if (want('health')) {
    try {
      const r = await steady(run, 'GET /health/live', [p1.url], o.healthConnections, () => ({ method: 'GET', path: '/health/live' }));
      const ratio = r.rps / base.get!.rps;
      run.details.health = r;
      run.add({
        id: '1', workload: `GET /health/live, ${r.connections} connections`, measured: `${rate(r)} · ${latency(r)} · ${r['5xx']} 5xx`,
        baseline: `bare GET ${rate(base.get!)}`, ratio, target: '≥ 0.8', met: ratio >= 0.8 && r['5xx'] === 0, values: { value: r.rps, rps: r.rps, p50: r.p50, p99: r.p99, '5xx': r['5xx'] },
      });
    } catch (err) {
      run.failed([['1', 'GET /health/live']], err);
    }
  }
  if (!want('rush') && !want('trade-ins')) return;

  // ---- set-up, untimed: households with tokens; for the trade-ins a programme, tills, a recycler, a model, vouchers,
  // receipts and request bodies
  const W = Math.min(50, Math.max(2, Math.floor(o.tradeIns / 4))); // warm-up trade-ins per run
  const tradeInHouseholds = want('trade-ins') ? 2 * (o.tradeIns + W) : 0;
  const rushWarm = Math.max(1, Math.min(200, Math.floor(o.households / 5)));
  log(`set-up: ${fmt(Math.max(o.households, tradeInHouseholds))} households in Hangzhou with their own tokens`);
  const households = await makeHouseholds(url, run.secrets, Math.max(o.households, tradeInHouseholds), 'hangzhou');
  const tradeIns: TradeIn[][] = [[], []];
  const tradeInProgram = `ti-${run.tag}`;
  if (want('trade-ins')) {
    try {
      const t0 = Date.now();
      const recycler = await makeRecycler(api, admin);
      const retailers = await makeRetailers(api, admin, o.tradeInRetailers, 'hangzhou');
      const modelCode = await makeModel(api, admin);
      await makeProgram(api, admin, { code: tradeInProgram, cities: ['hangzhou'], quota: tradeInHouseholds, budgetFen: (tradeInHouseholds + 10) * CAP_FEN, clean: true });
      log(`set-up: ${fmt(tradeInHouseholds)} vouchers for the trade-ins (through the API), receipts signed, bodies made`);
      const codes = await takeVouchers(api, households.slice(0, tradeInHouseholds), tradeInProgram, 64);
      for (let i = 0; i < tradeInHouseholds; i++) {
        const r = retailers[i % retailers.length];
        const body = await tradeInBody(households[i], codes[i], { recycler, storeCode: r.storeCode, modelCode, tag: run.tag, i });
        tradeIns[i < tradeInHouseholds / 2 ? 0 : 1].push({ apiKey: r.apiKey, body });
      }
      run.details.tradeInSetupSeconds = (Date.now() - t0) / 1000;
    } catch (err) {
      run.failed([['3', 'trade-ins (set-up)']], err);
      tradeIns[0] = [];
    }
  }

  for (const processes of [1, 2]) {
    let p2: Service | undefined;
    try {
      if (processes === 2) p2 = await run.startApi(url, 'api-2');
      const urls = p2 ? [p1.url, p2.url] : [p1.url];
      const suffix = processes === 1 ? 'a' : 'b';
      const procs = `${processes} API process${processes > 1 ? 'es' : ''}`;

      if (want('rush')) {
        try {
          await rush(run, { api, admin, auditor, url, urls, households: households.slice(0, o.households), rushWarm, id: `2${suffix}`, procs, base: base.writeRush! });
        } catch (err) {
          run.failed([[`2${suffix}`, `voucher rush, ${procs}`]], err);
        }
      }
      if (want('trade-ins') && tradeIns[0].length) {
        try {
          const mine = tradeIns[processes - 1];
          const warm = mine.slice(0, W);
          const timed = mine.slice(W);
          const send = (t: TradeIn, i: number): PlannedRequest => ({
            method: 'POST', path: '/v1/retailer/trade-ins', body: t.body,
            headers: { 'x-api-key': t.apiKey, 'idempotency-key': `bench-ti-${run.tag}-${processes}-${i}`, 'content-type': 'application/json' },
          });
          await load({ label: 'trade-ins (warm-up)', urls, connections: Math.min(o.tradeInConnections, warm.length), amount: warm.length, next: (i) => send(warm[i], i), timeoutS: o.timeoutS, quiet: true });
          log(`  trade-ins, ${procs}: ${fmt(timed.length)} valid trade-ins over ${o.tradeInConnections} connections`);
          const r = await load({ label: 'trade-ins', urls, connections: o.tradeInConnections, amount: timed.length, next: (i) => send(timed[i], W + i), timeoutS: o.timeoutS });
          const created = r.tally['201'] ?? 0;
          const ratio = r.rps / base.writeTills!.rps;
          run.details[`tradeIns${suffix.toUpperCase()}`] = r;
          run.add({
            id: `3${suffix}`, workload: `trade-ins with valid receipts, ${procs}, ${r.connections} connections`,
            measured: `${rate(r)} · ${latency(r)} · ${fmt(created)}/${fmt(timed.length)} created · ${r['5xx']} 5xx · ${r.timeouts} timeouts`,
            baseline: `write ${rate(base.writeTills!)} (${base.writeTills!.connections} conn.)`, ratio, target: '≥ 0.5 · p99 ≤ 250 ms',
            met: ratio >= 0.5 && r.p99 <= 250 && created === timed.length,
            values: { value: r.rps, rps: r.rps, p50: r.p50, p99: r.p99, created, planned: timed.length, '5xx': r['5xx'], timeouts: r.timeouts },
            ...(r['4xx'] ? { error: `valid trade-ins refused: ${JSON.stringify(r.tally)}` } : {}),
          });
        } catch (err) {
          run.failed([[`3${suffix}`, `trade-ins, ${procs}`]], err);
        }
      }
    } catch (err) {
      run.failed([[processes === 1 ? '2a/3a' : '2b/3b', `the HTTP workloads with ${processes} API process(es)`]], err);
    } finally {
      if (p2) await run.stop(p2);
    }
  }
  if (want('trade-ins') && tradeIns[0].length) {
    const ledger = await api.call('GET', `/v1/auditor/ledger?programCode=${tradeInProgram}`, { token: auditor });
    run.details.tradeInLedgerBalanced = ledger.balanced;
    if (!ledger.balanced) run.failures.push(`trade-ins: the programme's ledger does not balance: ${JSON.stringify(ledger)}`);
  }
  await run.stop(p1);
}

/** Workload 2 once: a fresh programme with one city's quota; every household asks once, all at once. */
async function rush(run: Run, c: {
  api: Api; admin: string; auditor: string; url: string; urls: string[]; households: BenchHousehold[]; rushWarm: number; id: string; procs: string; base: LoadResult;
}): Promise<void> {
  const o = run.opts;
  const Q = o.rushQuota;
  const code = `rush-${c.id}-${run.tag}`;
  const warm = `rush-warm-${c.id}-${run.tag}`;
  await makeProgram(c.api, c.admin, { code, cities: ['hangzhou'], quota: Q, budgetFen: (Q + 10) * CAP_FEN });
  const warmQuota = Math.max(1, Math.floor(c.rushWarm / 10));
  await makeProgram(c.api, c.admin, { code: warm, cities: ['hangzhou'], quota: warmQuota, budgetFen: (warmQuota + 10) * CAP_FEN });
  // warm-up, untimed: a tenth of the first households get a voucher of another programme, the rest are refused
  await load({
    label: 'rush (warm-up)', urls: c.urls, connections: Math.min(o.rushConnections, c.rushWarm), amount: c.rushWarm, timeoutS: o.timeoutS, quiet: true,
    next: (i) => voucherRequest(c.households[i], warm, `bench-warm-${c.id}-${i}`),
  });
  log(`  voucher rush, ${c.procs}: ${fmt(c.households.length)} households at once over ${o.rushConnections} connections, quota ${fmt(Q)}`);
  const r = await load({
    label: 'rush', urls: c.urls, connections: o.rushConnections, amount: c.households.length, timeoutS: o.timeoutS,
    next: (i) => voucherRequest(c.households[i], code, `bench-rush-${c.id}-${i}`),
  });
  // exactly the quota, by the database's count and by the ledger's reservations
  // (a voucher is a row with a household: any slot made ahead for none is not issued)
  const [{ issued }] = await run.query(c.url, `SELECT count(*)::int AS issued FROM vouchers v JOIN programs p ON p.id = v.program_id WHERE p.code = $1 AND v.household_id IS NOT NULL`, [code]);
  const ledger = await c.api.call('GET', `/v1/auditor/ledger?programCode=${code}`, { token: c.auditor });
  const reservedFen = ledger.cities.find((x: { city: string }) => x.city === 'hangzhou')?.reservedFen ?? 0;
  const answered201 = r.tally['201'] ?? 0;
  // every answer seen: each issued voucher was answered 201, and nothing else was
  const allAnswered = r.timeouts === 0 && r.errors === 0;
  const exact = issued === Q && reservedFen === Q * CAP_FEN && ledger.balanced === true && (!allAnswered || answered201 === issued);
  const ratio = r.rps / c.base.rps;
  run.details[`rush${c.id.slice(1).toUpperCase()}`] = { ...r, issued, quota: Q, reservedFen, ledgerBalanced: ledger.balanced };
  const problem = exact
    ? undefined
    : `NOT EXACT: ${issued} vouchers issued for a quota of ${Q} (${answered201} answered 201), ${fmt(reservedFen)} fen reserved (expected ${fmt(Q * CAP_FEN)}), ledger ${ledger.balanced ? 'balanced' : 'NOT balanced'}`;
  if (problem) process.stderr.write(`\n!!!!!!!! voucher rush ${c.id}: ${problem}\n\n`);
  run.add({
    id: c.id, workload: `voucher rush, ${c.procs}, ${fmt(c.households.length)} households, ${r.connections} connections, quota ${fmt(Q)}`,
    measured: `${rate(r)} · ${latency(r)} · issued ${fmt(issued)}/${fmt(Q)} (${fmt(answered201)} answered 201) · ${r['5xx']} 5xx · ${r.timeouts} timeouts`,
    baseline: `write ${rate(c.base)} (${c.base.connections} conn.)`, ratio, target: `≥ 0.8 · p99 ≤ 1 s · exactly ${fmt(Q)}`,
    met: ratio >= 0.8 && r.p99 <= 1000 && exact && r['5xx'] === 0 && r.timeouts === 0,
    values: { value: r.rps, rps: r.rps, p50: r.p50, p99: r.p99, issued, quota: Q, answered201, '5xx': r['5xx'], timeouts: r.timeouts, exact },
    ...(problem ? { error: problem } : {}),
  });
}

/** Workload 4: bench/payouts.bench.ts, bank file and Stripe. */
async function payouts(run: Run): Promise<void> {
  const o = run.opts;
  log(`payout runs: ${fmt(o.payoutClaims)} approved claims across ${fmt(o.payoutRetailers)} retailers (bench/payouts.bench.ts)`);
  try {
    const r = await runPayoutsBench({ claims: o.payoutClaims, retailers: o.payoutRetailers, serverUrl: run.serverUrl, log: (l) => log(`  ${l.trim()}`) });
    run.details.payouts = r;
    const floor = `bare UPDATE ${fmt(r.bareUpdateSeconds, 2)} s (${r.claimIndexes} indexes)`;
    run.add({
      id: '4a', workload: `payout run, bank file, ${fmt(r.claims)} approved claims, ${fmt(r.retailers)} retailers`,
      measured: `${fmt(r.bank.totalSeconds, 2)} s (write ${fmt(r.bank.createSeconds, 2)} s, pain.001 ${fmt(r.bank.fileSeconds, 2)} s); statement import ${fmt(r.bank.importSeconds, 2)} s; ledger ${r.bank.balanced ? 'balanced' : 'NOT balanced'}`,
      baseline: floor, ratio: r.bank.totalSeconds / r.bareUpdateSeconds, target: '≤ 10 s', met: r.bank.totalSeconds <= 10 && r.bank.balanced,
      values: { value: r.bank.totalSeconds, ...r.bank, bareUpdateSeconds: r.bareUpdateSeconds },
      ...(r.bank.balanced && r.bank.reconciled ? {} : { error: `ledger balanced ${r.bank.balanced}, reconciled ${r.bank.reconciled}` }),
    });
    run.add({
      id: '4b', workload: `payout run, Stripe (local Stripe-compatible server), ${fmt(r.claims)} claims`,
      measured: `${fmt(r.stripe.totalSeconds, 2)} s (write ${fmt(r.stripe.createSeconds, 2)} s, ${fmt(r.stripe.transfers)} transfers ${fmt(r.stripe.sendSeconds, 2)} s); ledger ${r.stripe.balanced ? 'balanced' : 'NOT balanced'}`,
      baseline: floor, ratio: r.stripe.totalSeconds / r.bareUpdateSeconds, target: '≤ 10 s', met: r.stripe.totalSeconds <= 10 && r.stripe.balanced,
      values: { value: r.stripe.totalSeconds, ...r.stripe, bareUpdateSeconds: r.bareUpdateSeconds },
      ...(r.stripe.balanced ? {} : { error: 'the ledger does not balance after the Stripe run' }),
    });
  } catch (err) {
    run.failed([['4a', 'payout run, bank file'], ['4b', 'payout run, Stripe']], err);
  }
}

/** GET `url` with a bearer token, counting bytes and lines as they stream past; nothing is kept. */
function download(url: string, token: string): Promise<{ status: number; bytes: number; lines: number; seconds: number }> {
  return new Promise((done, fail) => {
    const t0 = process.hrtime.bigint();
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, bytes, lines, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** Workload 5: seed:scale claims, exported as CSV by a platform started on them. */
async function csvExport(run: Run): Promise<void> {
  const o = run.opts;
  let p: Service | undefined;
  try {
    const url = await run.createDatabase('_export');
    log(`CSV export: seeding ${fmt(o.exportClaims)} claims (seed:scale --fast, set-up, untimed)`);
    await runMigrations({ url });
    const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATA_DIR: join(run.tmp, 'data'), JWT_SECRET: run.secrets.jwtSecret, ID_HASH_SECRET: run.secrets.idHashSecret });
    const seeded = await seedScale(url, config, { claims: o.exportClaims, fast: true });
    log(`  seeded ${fmt(seeded.claims)} claims in programme ${seeded.programCode} in ${fmt(seeded.seconds, 1)} s`);
    p = await run.startPlatform(url, 'api-export');
    const api = new Api(p.url);
    const auditor = await makeAuditor(api, await api.login(run.admin.email, run.admin.password));
    const path = `/v1/auditor/exports/claims.csv?programCode=${seeded.programCode}`;
    // warm-up, untimed: a small export through the same code
    const warm = await download(`${p.url}${path}&city=zhoushan&status=cancelled`, auditor);
    if (warm.status !== 200) throw new Error(`the warm-up export answered ${warm.status}`);
    const idle = p.rss();
    const peakOf = p.watchPeakRss();
    log(`  exporting ${fmt(seeded.claims)} claims as CSV (the API process's RSS sampled every 50 ms, peak from the kernel)`);
    const r = await download(`${p.url}${path}`, auditor);
    const peak = peakOf();
    if (r.status !== 200) throw new Error(`the export answered ${r.status}`);
    const rows = r.lines - 1;
    if (rows !== seeded.claims) throw new Error(`the export has ${rows} rows for ${seeded.claims} claims`);
    // the floor: PostgreSQL writing the same claims as CSV itself (server-side COPY; needs a superuser or pg_write_server_files)
    let copy: number | undefined;
    try {
      const t0 = process.hrtime.bigint();
      await run.query(url, `COPY (SELECT * FROM claims WHERE program_id = '${seeded.programId}'::uuid ORDER BY created_at, id) TO '/dev/null' WITH (FORMAT csv, HEADER)`);
      copy = rows / (Number(process.hrtime.bigint() - t0) / 1e9);
    } catch (err) {
      log(`  (no COPY baseline: ${(err as Error).message})`);
    }
    const perS = rows / r.seconds;
    const MB = 1e6; // the target's unit (decimal megabytes)
    run.details.export = { rows, bytes: r.bytes, seconds: r.seconds, rowsPerSecond: perS, copyRowsPerSecond: copy ?? null, idleRssBytes: idle, peakRssBytes: peak, seedSeconds: seeded.seconds };
    run.add({
      id: '5a', workload: `CSV export of ${fmt(rows)} claims: rows per second`,
      measured: `${fmt(perS)} rows/s (${fmt(r.seconds, 1)} s, ${fmt(r.bytes / MB)} MB)`,
      baseline: copy ? `PostgreSQL COPY … CSV ${fmt(copy)} rows/s` : 'n/a', ratio: copy ? perS / copy : null, target: '≥ 100,000 rows/s', met: perS >= 100_000,
      values: { value: perS, rowsPerSecond: perS, rows, seconds: r.seconds, bytes: r.bytes },
    });
    run.add({
      id: '5b', workload: 'CSV export: peak RSS of the API process',
      measured: `peak ${fmt(peak / MB)} MB (${peak >= idle ? '+' : ''}${fmt((peak - idle) / MB, 1)} MB over idle)`, baseline: `the same process idle before it ${fmt(idle / MB)} MB`,
      ratio: idle ? peak / idle : null, target: '≤ 150 MB', met: peak <= 150 * MB, values: { value: peak / MB, peakRssMB: peak / MB, idleRssMB: idle / MB },
    });
  } catch (err) {
    run.failed([['5a', 'CSV export: rows per second'], ['5b', 'CSV export: peak RSS']], err);
  } finally {
    if (p) await run.stop(p);
  }
}

/** Workload 6: bench/audit.bench.ts. */
async function audit(run: Run): Promise<void> {
  const o = run.opts;
  log(`audit log: ${fmt(o.auditEvents)} events (bench/audit.bench.ts)`);
  try {
    const r = await runAuditBench({ events: o.auditEvents, proofs: o.size === 'tiny' ? 100 : 1000, serverUrl: run.serverUrl, log: (l) => log(`  ${l.trim()}`) });
    run.details.audit = r;
    const shaRate = r.events / r.sha256Seconds;
    run.add({
      id: '6a', workload: `audit log, ${fmt(r.events)} events: sealing`, measured: `${fmt(r.sealRate)} events/s (${fmt(r.sealSeconds, 1)} s)`,
      baseline: `SHA-256 alone ${fmt(shaRate)} leaves/s`, ratio: r.sealRate / shaRate, target: '≥ 5,000 events/s', met: r.sealRate >= 5000,
      values: { value: r.sealRate, sealRate: r.sealRate, sealSeconds: r.sealSeconds },
    });
    run.add({
      id: '6b', workload: 'audit log: inclusion proof', measured: `p99 ${ms(r.inclusionMs.p99)} (p50 ${ms(r.inclusionMs.p50)}, max ${ms(r.inclusionMs.max)})`,
      baseline: `SELECT 1 p50 ${ms(r.selectOneMs)}`, ratio: r.inclusionMs.p99 / r.selectOneMs, target: 'p99 ≤ 20 ms', met: r.inclusionMs.p99 <= 20,
      values: { value: r.inclusionMs.p99, ...r.inclusionMs },
    });
    run.add({
      id: '6c', workload: 'audit log: offline verification of the export', measured: `${fmt(r.verifySeconds, 2)} s (${threadsLabel(r.verifyThreads)})`,
      baseline: `SHA-256 alone ${fmt(r.sha256Seconds, 2)} s`, ratio: r.verifySeconds / r.sha256Seconds, target: '≤ 10 s', met: r.verifySeconds <= 10,
      values: { value: r.verifySeconds, verifySeconds: r.verifySeconds, verifyThreads: r.verifyThreads, exportSeconds: r.exportSeconds },
    });
  } catch (err) {
    run.failed([['6a', 'audit log: sealing'], ['6b', 'audit log: inclusion proof'], ['6c', 'audit log: offline verification']], err);
  }
}

async function machine(serverUrl: string): Promise<Record<string, string | number>> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const [{ v }] = (await c.query(`SELECT current_setting('server_version') AS v`)).rows;
    const [{ sb }] = (await c.query(`SELECT current_setting('shared_buffers') AS sb`)).rows;
    const cpu = cpus();
    return {
      cpus: cpu.length, cpu: cpu[0]?.model ?? 'unknown', memory: `${fmt(totalmem() / 2 ** 30, 1)} GiB`, kernel: release(), node: process.version,
      postgresql: `${v} (shared_buffers ${sb})`, 'load average at start': loadavg().map((l) => l.toFixed(2)).join(' '),
    };
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), process.env, ROOT);
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const startedAt = new Date();
  const server = await resolveDatabase(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }));
  const run = new Run(opts, server.url);
  const onSignal = () => {
    killAll('SIGKILL');
    void run.dropDatabases().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const m = await machine(server.url);
  log(`npm run bench (${opts.size}): ${opts.only.join(', ')} · ${m.cpus} × ${m.cpu}, ${m.memory}, node ${m.node}, PostgreSQL ${m.postgresql}, load ${m['load average at start']}`);
  log(`  processes' logs in ${run.tmp}`);
  try {
    const http = opts.only.some((w) => ['health', 'rush', 'trade-ins'].includes(w));
    if (http) {
      let base: Baselines | undefined;
      try {
        base = await measureBaselines(run);
      } catch (err) {
        run.failed([['0', 'baselines']], err);
      }
      if (base) {
        try {
          await httpWorkloads(run, base);
        } catch (err) {
          run.failed([['1–3', 'the HTTP workloads']], err);
        }
      }
      await stopAll(run.services.splice(0));
    }
    if (opts.only.includes('payouts')) await payouts(run);
    if (opts.only.includes('export')) await csvExport(run);
    if (opts.only.includes('audit')) await audit(run);
  } finally {
    await stopAll(run.services.splice(0));
    await run.dropDatabases();
    await server.stop();
  }
  m['load average at the end'] = loadavg().map((l) => l.toFixed(2)).join(' ');
  run.rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  const files = writeResults(opts.resultsDir, {
    startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), wallSeconds: (Date.now() - started) / 1000, machine: m,
    options: Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'resultsDir')), baselines: run.baselines, rows: run.rows, details: run.details, failures: run.failures,
  });
  process.stdout.write(`\n${textTable(run.rows)}\n\n`);
  log(`results: ${files.md}, ${files.json}`);
  const errored = run.rows.filter((r) => Number(r.values['5xx'] ?? 0) > 0).map((r) => r.id);
  if (run.failures.length) {
    process.stderr.write(`\nnpm run bench FAILED:\n${run.failures.map((f) => `  - ${f}`).join('\n')}\n(the processes' logs are kept in ${run.tmp})\n`);
    process.exitCode = 1;
  } else if (errored.length) {
    log(`${errored.join(', ')} answered 5xx (latest.json has them by code): the processes' logs are kept in ${run.tmp}`);
  } else {
    rmSync(run.tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`npm run bench failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  process.exit(1);
});
