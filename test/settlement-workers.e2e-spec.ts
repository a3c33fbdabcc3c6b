import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureApiBuilt } from './support/api-process';
import { startTestApp, TestApp, testEnv } from './support/app';
import type { RetailerFixture } from './support/factories';
import { Scenario } from './support/scenario';
import { approvedClaim, ledgerBalanced, setStripeAccount } from './support/settlement';
import { startStripeMock, StripeMock } from './support/stripe-mock';

const ROOT = resolve(__dirname, '..');
const WORKER_ENTRY = join(ROOT, 'dist/apps/worker/src/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/**
 * The settlement under real worker processes (`node dist/apps/worker/src/main.js`, as `npm run start:worker`)
 * against a Stripe mock in this process: killed with SIGKILL in the middle of a run, and two at once.
 */
describe('settlement: worker processes crashing and racing (e2e)', () => {
  let t: TestApp;
  let mock: StripeMock;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ensureApiBuilt();
    mock = await startStripeMock();
    t = await startTestApp({ STRIPE_SECRET_KEY: 'sk_test_mock', STRIPE_API_HOST: mock.host, STRIPE_API_PORT: String(mock.port), STRIPE_API_PROTOCOL: 'http' });
  }, 240_000);
  afterAll(async () => {
    for (const w of workers) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await t.close();
    await mock.stop();
  });

  /**
   * dist/ is shared with every test run in this work tree, and other runs rebuild it when sources change: wait
   * until it is whole (built, tsc-alias applied to the worker too) before starting a worker from it.
   */
  async function wholeDist(): Promise<void> {
    for (let i = 0; ; i++) {
      ensureApiBuilt();
      if (!readFileSync(WORKER_ENTRY, 'utf8').includes('require("@huanxin/')) return;
      if (i > 300) throw new Error('dist/ stayed half-built');
      await sleep(500);
    }
  }

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    for (let attempt = 1; ; attempt++) {
      await wholeDist();
      const w = spawnWorker(env);
      // a build racing the start shows as a missing module within a moment: start again on a whole dist/
      const early = await Promise.race([w.exited.then(() => true), sleep(1500).then(() => false)]);
      if (!early || attempt >= 5 || !w.output().includes('MODULE_NOT_FOUND')) return w;
    }
  }

  function spawnWorker(env: Record<string, string>): WorkerProcess {
    const child = spawn(process.execPath, [WORKER_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env, ...testEnv(), LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false', DATABASE_URL: t.database.url,
        STRIPE_SECRET_KEY: 'sk_test_mock', STRIPE_API_HOST: mock.host, STRIPE_API_PORT: String(mock.port), STRIPE_API_PROTOCOL: 'http',
        STRIPE_MAX_NETWORK_RETRIES: '2', STRIPE_TIMEOUT_MS: '2000', PAYOUT_PROCESS_INTERVAL_MS: '100', PAYOUT_RETRY_DELAY_MS: '0', ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20000)));
    child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20000)));
    const w: WorkerProcess = { child, output: () => out, exited: new Promise((r) => child.once('exit', () => r())) };
    workers.push(w);
    return w;
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => w.output()).join('\n---\n')}`);
      await sleep(50);
    }
  }

  /** A run of `n` payouts, one per retailer, each retailer with a connected account and one approved claim. */
  async function runOf(n: number): Promise<{ s: Scenario; runId: string; payoutIds: string[] }> {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const retailers: RetailerFixture[] = [s.retailer];
    for (let i = 1; i < n; i++) retailers.push(await t.make.retailer({ city: 'hangzhou' }));
    const modelCode = await s.model();
    for (const r of retailers) {
      await setStripeAccount(t, r.id, mock.addAccount());
      await approvedClaim(s, { retailer: r, modelCode });
    }
    const res = await t.http().post('/v1/admin/payout-runs').set(s.admin.auth).send({ programCode: s.programCode }).expect(201);
    expect(res.body.payouts).toHaveLength(n);
    return { s, runId: res.body.id, payoutIds: res.body.payouts.map((p: { id: string }) => p.id) };
  }

  const statuses = async (runId: string) => (await t.db.query(`SELECT id, status, gateway_ref, idempotency_key FROM payouts WHERE run_id = $1`, [runId])) as
    { id: string; status: string; gateway_ref: string | null; idempotency_key: string }[];
  const groupTransfers = (runId: string) => mock.transfers.filter((x) => x.transfer_group === runId);

  function exactlyOnce(runId: string, payouts: { id: string; status: string; gateway_ref: string | null }[]): void {
    const transfers = groupTransfers(runId);
    expect(transfers).toHaveLength(payouts.length);
    expect(new Set(transfers.map((x) => x.metadata.payout_id))).toEqual(new Set(payouts.map((p) => p.id)));
    for (const p of payouts) {
      expect(p.status).toBe('paid');
      expect(p.gateway_ref).toBe(transfers.find((x) => x.metadata.payout_id === p.id)!.id);
    }
  }

  it('a worker killed with SIGKILL mid-run and started again pays every payout exactly once', async () => {
    const { s, runId } = await runOf(8);
    // slow between the gateway's answer and recording it: the crash window
    const first = await startWorker({ PAYOUT_DEBUG_DELAY_MS: '700', PAYOUT_STRIPE_BATCH: '1' });
    let killedWith = 0;
    await until('a transfer made but not yet recorded', async () => {
      const paid = (await statuses(runId)).filter((p) => p.status === 'paid').length;
      const made = groupTransfers(runId).length;
      if (made >= 3 && made > paid) {
        first.child.kill('SIGKILL');
        killedWith = made;
        return true;
      }
      return false;
    });
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const after = await statuses(runId);
    const limbo = after.filter((p) => p.status === 'pending' && groupTransfers(runId).some((x) => x.metadata.payout_id === p.id));
    expect(limbo.length).toBeGreaterThanOrEqual(1); // Stripe made the transfer, our database does not know it yet
    expect(groupTransfers(runId)).toHaveLength(killedWith);

    const second = await startWorker();
    await until('every payout paid', async () => (await statuses(runId)).every((p) => p.status === 'paid'));
    const final = await statuses(runId);
    exactlyOnce(runId, final);
    // the payout caught in the crash was asked for again with its key and Stripe replayed the transfer
    for (const p of limbo) {
      const asks = mock.requests.filter((r) => r.idempotencyKey === p.idempotency_key);
      expect(asks.length).toBeGreaterThanOrEqual(2);
      expect(asks.some((r) => r.replayed)).toBe(true);
    }
    await until('the run completed', async () => (await t.db.query(`SELECT status FROM payout_runs WHERE id = $1`, [runId]))[0].status === 'completed');
    expect(await ledgerBalanced(t, s.programCode)).toEqual([]);
    const rec = await t.http().get('/v1/admin/reconciliation').query({ runId }).set(s.admin.auth).expect(200);
    expect(rec.body).toMatchObject({ balanced: true, matched: 8 });
    second.child.kill('SIGTERM');
    await second.exited;
  }, 300_000);

  it('two workers at once never send one payout twice', async () => {
    mock.latencyMs = 60;
    try {
      const { s, runId } = await runOf(10);
      const pair = await Promise.all([1, 2].map(() => startWorker({ PAYOUT_DEBUG_DELAY_MS: '50', PAYOUT_STRIPE_BATCH: '2', PAYOUT_STRIPE_CONCURRENCY: '2' })));
      await until('every payout paid', async () => (await statuses(runId)).every((p) => p.status === 'paid'));
      const final = await statuses(runId);
      exactlyOnce(runId, final);
      // each payout's key reached Stripe exactly once: one worker held it, the other skipped it
      for (const p of final) expect(mock.requests.filter((r) => r.idempotencyKey === p.idempotency_key)).toHaveLength(1);
      expect(await ledgerBalanced(t, s.programCode)).toEqual([]);
      const events = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'payout.paid' AND details->>'runId' = $1`, [runId]);
      expect(events[0].n).toBe(10);
      for (const w of pair) w.child.kill('SIGTERM');
      await Promise.all(pair.map((w) => w.exited));
    } finally {
      mock.latencyMs = 0;
    }
  }, 300_000);
});
