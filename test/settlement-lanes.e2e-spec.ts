import { AuditService } from '@huanxin/audit-log';
import { PayoutProcessor, StripeGateway } from '@huanxin/settlement';
import { startTestApp, TestApp } from './support/app';
import type { RetailerFixture } from './support/factories';
import { Scenario } from './support/scenario';
import { approvedClaim, claimStatuses, drain, ledgerBalanced, setStripeAccount } from './support/settlement';
import { startStripeMock, StripeMock } from './support/stripe-mock';

/**
 * Stripe transfers sent by concurrent lanes (PAYOUT_STRIPE_LANES batches side by side, PAYOUT_STRIPE_CONCURRENCY
 * transfers in flight across them, each payout's stored key on its call): refusals, answers lost in transit and a
 * batch that dies between Stripe's answer and its commit, all among concurrent ones — and every payout paid exactly
 * once, none twice. The processor runs in this process; the worker-process crash is settlement-workers.e2e-spec.ts.
 */
describe('settlement: Stripe transfers in concurrent lanes (e2e)', () => {
  let t: TestApp;
  let mock: StripeMock;
  const CONCURRENCY = 4;

  beforeAll(async () => {
    mock = await startStripeMock({ latencyMs: 25 });
    t = await startTestApp({
      STRIPE_SECRET_KEY: 'sk_test_mock', STRIPE_API_HOST: mock.host, STRIPE_API_PORT: String(mock.port), STRIPE_API_PROTOCOL: 'http',
      STRIPE_MAX_NETWORK_RETRIES: '0', STRIPE_TIMEOUT_MS: '2000', PAYOUT_RETRY_DELAY_MS: '0',
      PAYOUT_STRIPE_LANES: '2', PAYOUT_STRIPE_BATCH: '3', PAYOUT_STRIPE_CONCURRENCY: String(CONCURRENCY),
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await mock?.stop();
  });

  /** A programme whose `n` retailers each have one approved claim and (unless `noAccount`) a connected account. */
  async function retailers(n: number, noAccount: number[] = []): Promise<{ s: Scenario; all: RetailerFixture[]; claims: string[] }> {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const all: RetailerFixture[] = [s.retailer];
    for (let i = 1; i < n; i++) all.push(await t.make.retailer({ city: 'hangzhou' }));
    const modelCode = await s.model();
    const claims: string[] = [];
    for (const [i, r] of all.entries()) {
      await setStripeAccount(t, r.id, noAccount.includes(i) ? `acct_unknown${i}${Date.now()}` : mock.addAccount());
      claims.push((await approvedClaim(s, { retailer: r, modelCode })).id);
    }
    return { s, all, claims };
  }

  async function createRun(s: Scenario): Promise<{ id: string; payouts: { id: string; retailerId: string }[] }> {
    return (await t.http().post('/v1/admin/payout-runs').set(s.admin.auth).send({ programCode: s.programCode }).expect(201)).body;
  }

  const payoutsOf = async (runId: string) => (await t.db.query(
    `SELECT id, retailer_id, status, gateway_ref, failure_code, idempotency_key FROM payouts WHERE run_id = $1 ORDER BY id`, [runId])) as
    { id: string; retailer_id: string; status: string; gateway_ref: string | null; failure_code: string | null; idempotency_key: string }[];
  const transfersOf = (payoutId: string) => mock.transfers.filter((x) => x.metadata.payout_id === payoutId);
  const asksWith = (key: string) => mock.requests.filter((r) => r.method === 'POST' && r.path === '/v1/transfers' && r.idempotencyKey === key);

  /** The most calls the processor had at the gateway at once while `work` ran. */
  async function watchingTheGateway<T>(work: () => Promise<T>): Promise<{ result: T; mostInFlight: number }> {
    const gateway = t.app.get(StripeGateway);
    const send = gateway.send;
    let inFlight = 0;
    let mostInFlight = 0;
    gateway.send = async (...args: Parameters<StripeGateway['send']>) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      try {
        return await send.apply(gateway, args);
      } finally {
        inFlight--;
      }
    };
    try {
      return { result: await work(), mostInFlight };
    } finally {
      gateway.send = send;
    }
  }

  it('pays each payout exactly once across the lanes, with a refusal and answers lost in transit among them', async () => {
    // retailer 4 has no account Stripe knows: refused; two transfers are made but their answers are lost (500)
    const { s, all, claims } = await retailers(10, [4]);
    const run = await createRun(s);
    expect(run.payouts).toHaveLength(10);
    mock.failNext(2, 'http500-after-create', { method: 'POST', path: '/v1/transfers' });

    const { mostInFlight } = await watchingTheGateway(() => drain(t));
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(mock.pendingFaults).toBe(0);

    const final = await payoutsOf(run.id);
    const refused = final.find((p) => p.retailer_id === all[4].id)!;
    expect(refused).toMatchObject({ status: 'failed', failure_code: 'account_invalid', gateway_ref: null });
    expect(transfersOf(refused.id)).toEqual([]);
    expect(await claimStatuses(t, [claims[4]])).toEqual(['approved']);
    const paid = final.filter((p) => p.id !== refused.id);
    for (const p of paid) {
      expect(p.status).toBe('paid');
      const [transfer, ...more] = transfersOf(p.id);
      expect(more).toEqual([]);
      expect(p.gateway_ref).toBe(transfer.id);
    }
    // the two whose answers were lost (which two is up to the lanes) were asked again with their own keys; a paid
    // one got Stripe's replay of its transfer, the refused one its refusal; every other payout was asked once
    const asks = new Map(final.map((p) => [p.id, asksWith(p.idempotency_key)]));
    expect([...asks.values()].map((a) => a.length).sort()).toEqual([...Array(8).fill(1), 2, 2]);
    for (const p of paid.filter((x) => asks.get(x.id)!.length === 2)) expect(asks.get(p.id)!.map((r) => r.replayed)).toEqual([false, true]);
    expect(await claimStatuses(t, claims.filter((_, i) => i !== 4))).toEqual(Array(9).fill('paid'));
    const events = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'payout.paid' AND details->>'runId' = $1`, [run.id]);
    expect(events[0].n).toBe(9);
    expect(await ledgerBalanced(t, s.programCode)).toEqual([]);
  }, 180_000);

  it('a batch that dies between Stripe’s answers and its commit is sent again with the same keys: paid once, none twice', async () => {
    const { s, claims } = await retailers(8);
    const run = await createRun(s);
    // the first lane to record its answers dies at the last statement before its commit, the payouts' audit events
    // (its transaction rolls back — claims, ledger and all — as a killed worker's does); the other lane commits
    const audit = t.app.get(AuditService);
    const appendMany = audit.appendMany;
    let died = false;
    audit.appendMany = async (...args: Parameters<AuditService['appendMany']>) => {
      if (!died && args[2].some((r) => r.action === 'payout.paid')) {
        died = true;
        throw new Error('the worker died here');
      }
      return appendMany.apply(audit, args);
    };
    let limbo: string[] = [];
    try {
      await expect(t.app.get(PayoutProcessor).processBatch(6)).rejects.toThrow('the worker died here');
      const after = await payoutsOf(run.id);
      // Stripe made these transfers; our database does not know it yet
      limbo = after.filter((p) => p.status === 'pending' && transfersOf(p.id).length === 1).map((p) => p.id);
      expect(limbo).toHaveLength(3);
      expect(after.filter((p) => p.status === 'paid')).toHaveLength(3);
    } finally {
      audit.appendMany = appendMany;
    }

    await drain(t);
    const final = await payoutsOf(run.id);
    for (const p of final) {
      expect(p.status).toBe('paid');
      expect(transfersOf(p.id)).toHaveLength(1);
      expect(p.gateway_ref).toBe(transfersOf(p.id)[0].id);
    }
    // those caught in the dying batch were asked again with their keys and got Stripe's replay; the rest once
    expect(Object.fromEntries(final.map((p) => [p.id, asksWith(p.idempotency_key).map((r) => r.replayed)])))
      .toEqual(Object.fromEntries(final.map((p) => [p.id, limbo.includes(p.id) ? [false, true] : [false]])));
    expect(await claimStatuses(t, claims)).toEqual(Array(8).fill('paid'));
    expect(await ledgerBalanced(t, s.programCode)).toEqual([]);
    const rec = await t.http().get('/v1/admin/reconciliation').query({ runId: run.id }).set(s.admin.auth).expect(200);
    expect(rec.body).toMatchObject({ balanced: true, matched: 8 });
  }, 180_000);
});
