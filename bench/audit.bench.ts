/**
 * Audit-log benchmark (issue 4): `npm run bench:audit`, printed, never asserted.
 *
 * On a fresh database (created on the DATABASE_URL server, or on the embedded PostgreSQL under DATA_DIR, and
 * dropped afterwards) it inserts BENCH_AUDIT_EVENTS audit events (default 1,000,000) with generate_series,
 * then times: sealing them all (target ≥ 5,000 events/s), 1,000 random inclusion and 1,000 random consistency
 * proofs through AuditLogService (target ≤ 20 ms each), and the export plus the offline verifier over it
 * (target ≤ 10 s). Baselines from the same run put the numbers in proportion: a bare SHA-256 loop over as
 * many leaves (the hashing floor of sealing and verifying) and a `SELECT 1` round trip (the floor of a proof).
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditLogModule, AuditLogService, AuditSealer, verifyConsistency, verifyExportFile, verifyInclusion } from '@huanxin/audit-log';
import { ConfigModule, loadConfig } from '@huanxin/config';
import { Actor, CoreModule } from '@huanxin/core';
import { DatabaseModule, resolveDatabase, runMigrations } from '@huanxin/database';

@Module({})
class AuditBenchModule {}

const AUDITOR: Actor = { kind: 'user', id: 'bench-auditor', role: 'auditor' };

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** "1 thread", "2 threads": how many threads the offline verifier used */
export const threadsLabel = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function timeEach(n: number, run: (k: number) => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let k = 0; k < n; k++) {
    const t0 = process.hrtime.bigint();
    await run(k);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}

/** The hashing floor: SHA-256(0x00 ‖ ~250 bytes) for each leaf, nothing else. */
function sha256Baseline(leaves: number): number {
  const data = randomBytes(250);
  const prefix = Buffer.from([0]);
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < leaves; k++) {
    data.writeUInt32LE(k, 0);
    createHash('sha256').update(prefix).update(data).digest();
  }
  return seconds(t0);
}

async function insertEvents(ds: DataSource, total: number): Promise<void> {
  const chunk = 100_000;
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    // one transaction per chunk, so the sealer sees several transactions as real traffic has
    await ds.query(
      `INSERT INTO audit_events (occurred_at, actor, action, subject_type, subject_id, details)
       SELECT now() - make_interval(secs => ($2 - i) / 10.0),
              jsonb_build_object('kind', 'user', 'id', md5((i % 997)::text), 'role', (ARRAY['auditor','admin','retailer'])[1 + i % 3]),
              (ARRAY['claim.approved','claim.submitted','voucher.issued','budget.granted','auth.login'])[1 + i % 5],
              'claim', md5(i::text),
              jsonb_build_object('city', (ARRAY['hangzhou','ningbo','wenzhou','jinhua'])[1 + i % 4], 'amountFen', i * 37 % 200000,
                                 'programCode', 'p-2026', 'reason', 'bench event ' || i, 'flags', jsonb_build_array('sampled'))
         FROM generate_series($1::int, $2::int) AS i`,
      [from, to],
    );
  }
}

/** What one audit-log benchmark measured (seconds and milliseconds as named). */
export interface AuditBenchResult {
  events: number;
  insertSeconds: number;
  sealSeconds: number;
  /** events sealed per second */
  sealRate: number;
  inclusionMs: { p50: number; p99: number; max: number };
  consistencyMs: { p50: number; p99: number; max: number };
  exportSeconds: number;
  exportBytes: number;
  verifySeconds: number;
  /** worker threads the verifier spread the export's lines over (1: read on one thread) */
  verifyThreads: number;
  /** baselines of the same run: SHA-256 over as many leaves, and a `SELECT 1` round trip (p50) */
  sha256Seconds: number;
  selectOneMs: number;
  treeNodeBytes: number;
  /** the table `npm run bench:audit` prints */
  table: string[];
}

/**
 * The audit-log benchmark over `events` events (`proofs` random proofs of each kind, default 1,000) on a fresh
 * database of the server at `serverUrl` (default: DATABASE_URL's, or the embedded one), dropped afterwards. `log`
 * gets the progress lines. `npm run bench:audit` prints its table; `npm run bench` (bench/run.ts) reports from it.
 */
export async function runAuditBench(opts: { events: number; proofs?: number; serverUrl?: string; log?: (line: string) => void }): Promise<AuditBenchResult> {
  const events = opts.events;
  const PROOFS = opts.proofs ?? 1000;
  if (!Number.isSafeInteger(events) || events < 1) throw new Error('BENCH_AUDIT_EVENTS must be a positive integer');
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const server = opts.serverUrl ? { url: opts.serverUrl, stop: async () => undefined } : await resolveDatabase(config);
  const name = `hx_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = withDatabase(server.url, name);
  const dir = mkdtempSync(join(tmpdir(), 'huanxin-bench-audit-'));
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
  try {
    await runMigrations({ url });
    app = await NestFactory.createApplicationContext(
      {
        module: AuditBenchModule,
        imports: [
          ConfigModule.forRoot(config),
          CoreModule,
          DatabaseModule.forRoot({ url, poolSize: 4, statementTimeoutMs: config.dbStatementTimeoutMs, applicationName: 'huanxin-bench' }),
          AuditLogModule,
        ],
      },
      { logger: false },
    );
    const ds = app.get(DataSource);
    const sealer = app.get(AuditSealer);
    const audit = app.get(AuditLogService);
    const [{ version }] = await ds.query(`SELECT current_setting('server_version') AS version`);
    log(`audit-log benchmark: ${fmt(events)} events, PostgreSQL ${version}, batch ${fmt(config.auditSealBatch)}, node ${process.version}`);

    let t0 = process.hrtime.bigint();
    await insertEvents(ds, events);
    await ds.query(`ANALYZE audit_events`);
    const insertSeconds = seconds(t0);
    log(`  inserted ${fmt(events)} events in ${fmt(insertSeconds, 1)} s (set-up, not a target)`);

    const baseline = sha256Baseline(events);
    const roundTrips = await timeEach(200, async () => void (await ds.query('SELECT 1')));
    const rtt = percentile(roundTrips, 50);

    t0 = process.hrtime.bigint();
    let sealed = 0;
    let nextReport = 100_000;
    for (let n = await sealer.sealBatch(config.auditSealBatch); n > 0; n = await sealer.sealBatch(config.auditSealBatch)) {
      sealed += n;
      if (sealed >= nextReport) {
        process.stderr.write(`  sealed ${fmt(sealed)} (${fmt(sealed / seconds(t0))} events/s)\n`);
        nextReport += 100_000;
      }
    }
    const sealSeconds = seconds(t0);
    if (sealed !== events) throw new Error(`sealed ${sealed} of ${events} events`);
    const head = await audit.treeHead(AUDITOR);

    const random = (below: number) => Math.floor(Math.random() * below);
    // warm-up, untimed: JIT and the pool's connections (an inclusion proof reads on two at once), as in a running API
    for (let k = 0; k < 50; k++) {
      await audit.inclusionProof(AUDITOR, random(head.treeSize), head.treeSize);
      await audit.consistencyProof(AUDITOR, 1 + random(head.treeSize), head.treeSize);
    }
    let valid = 0;
    const inclusion = await timeEach(PROOFS, async () => {
      const index = random(head.treeSize);
      const p = await audit.inclusionProof(AUDITOR, index, head.treeSize);
      if (verifyInclusion(p.leafHash, index, head.treeSize, p.auditPath, head.rootHash)) valid++;
    });
    const consistency = await timeEach(PROOFS, async () => {
      const from = 1 + random(head.treeSize);
      // a random size has no root at hand to check against; signed heads' sizes are checked below
      await audit.consistencyProof(AUDITOR, from, head.treeSize);
    });
    const heads = await ds.query(`SELECT tree_size::int AS size, encode(root_hash, 'hex') AS root FROM audit_tree_heads WHERE tree_size > 0 ORDER BY random() LIMIT 50`);
    for (const h of heads) {
      const p = await audit.consistencyProof(AUDITOR, h.size, head.treeSize);
      if (!verifyConsistency(h.size, head.treeSize, p.proof, h.root, head.rootHash)) throw new Error(`consistency from ${h.size} does not verify`);
    }
    if (valid !== PROOFS) throw new Error(`${PROOFS - valid} inclusion proofs did not verify`);

    const file = join(dir, 'export.jsonl');
    t0 = process.hrtime.bigint();
    const out = createWriteStream(file);
    const { chunks } = await audit.export(AUDITOR);
    for await (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    const exportSeconds = seconds(t0);

    t0 = process.hrtime.bigint();
    // the offline verifier as `npm run audit:verify` runs it: the file's lines over the machine's cores
    const report = await verifyExportFile(file, {
      treeHead: head,
      publicKey: audit.publicKey(AUDITOR),
      onProgress: (n) => process.stderr.write(`  verified ${fmt(n)}\n`),
    });
    const verifySeconds = seconds(t0);
    if (!report.ok) throw new Error(`the verifier refused the export: ${JSON.stringify(report.firstMismatch ?? report.treeHead)}`);

    const [{ bytes }] = await ds.query(`SELECT pg_total_relation_size('audit_tree_nodes')::bigint AS bytes`);
    const exportBytes = statSync(file).size;
    const rows: [string, string, string, string][] = [
      ['seal', `${fmt(events / sealSeconds)} events/s (${fmt(sealSeconds, 1)} s)`, '≥ 5,000 events/s', `${fmt(sealSeconds / baseline, 1)}× the SHA-256 floor`],
      ['inclusion proof', `p50 ${fmt(percentile(inclusion, 50), 2)} · p99 ${fmt(percentile(inclusion, 99), 2)} · max ${fmt(inclusion[inclusion.length - 1], 2)} ms`, '≤ 20 ms', `p50 ${fmt(percentile(inclusion, 50) / rtt, 1)}× a SELECT 1`],
      ['consistency proof', `p50 ${fmt(percentile(consistency, 50), 2)} · p99 ${fmt(percentile(consistency, 99), 2)} · max ${fmt(consistency[consistency.length - 1], 2)} ms`, '≤ 20 ms', `p50 ${fmt(percentile(consistency, 50) / rtt, 1)}× a SELECT 1`],
      ['export (service → file)', `${fmt(exportSeconds, 1)} s, ${fmt(exportBytes / 1e6)} MB`, '—', `${fmt(exportSeconds / baseline, 1)}× the SHA-256 floor`],
      ['offline verification', `${fmt(verifySeconds, 2)} s (${fmt(events / verifySeconds)} entries/s, ${threadsLabel(report.threads)})`, '≤ 10 s', `${fmt(verifySeconds / baseline, 1)}× the SHA-256 floor`],
    ];
    const table = [
      `baselines: SHA-256 of ${fmt(events)} leaves ${fmt(baseline, 2)} s (${fmt(events / baseline)} /s) · SELECT 1 round trip p50 ${fmt(rtt, 3)} ms`,
      `tree: ${fmt(head.treeSize)} leaves, root ${head.rootHash}, ${fmt(Number(bytes) / 1e6)} MB of stored nodes, ${fmt(heads.length)} older heads checked for consistency`,
    ];
    const width = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), ['metric', 'measured', 'target', 'vs baseline'][c].length));
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(width[c])).join('  ');
    table.push(line(['metric', 'measured', 'target', 'vs baseline']));
    for (const r of rows) table.push(line(r));
    const summary = (ms: number[]) => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1] });
    return {
      events, insertSeconds, sealSeconds, sealRate: events / sealSeconds, inclusionMs: summary(inclusion), consistencyMs: summary(consistency),
      exportSeconds, exportBytes, verifySeconds, verifyThreads: report.threads, sha256Seconds: baseline, selectOneMs: rtt, treeNodeBytes: Number(bytes), table,
    };
  } finally {
    await app?.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const r = await runAuditBench({ events: Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000) });
  log('');
  for (const line of r.table) log(line);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench:audit failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exitCode = 1;
  });
}
