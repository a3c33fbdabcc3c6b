import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { Scenario } from './support/scenario';
import { approvedClaims, drain } from './support/settlement';
import { startStripeMock, StripeMock } from './support/stripe-mock';

/**
 * Stripe Connect and four eyes (issue 13), against the local Stripe-compatible server: a run written while a change
 * of the connected account waits pays the old account; a run written before the approval and sent after it too;
 * the first run written after the approval pays the new account. Each payout records the version it was paid with.
 */
describe('payout details changed by four eyes: Stripe destinations (e2e)', () => {
  let t: TestApp;
  let mock: StripeMock;
  let proposer: SignedIn;
  let approver: SignedIn;

  beforeAll(async () => {
    mock = await startStripeMock();
    t = await startTestApp({
      STRIPE_SECRET_KEY: 'sk_test_mock', STRIPE_WEBHOOK_SECRET: 'whsec_test_0123456789abcdef0123456789abcdef', STRIPE_API_HOST: mock.host,
      STRIPE_API_PORT: String(mock.port), STRIPE_API_PROTOCOL: 'http', STRIPE_MAX_NETWORK_RETRIES: '0', STRIPE_TIMEOUT_MS: '2000', PAYOUT_RETRY_DELAY_MS: '0',
    });
    proposer = await t.make.admin();
    approver = await t.make.admin();
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await mock.stop();
  });

  it('pays the connected account in force when each run was written', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const [first, second, third] = [mock.addAccount(), mock.addAccount(), mock.addAccount()];
    const propose = async (stripeAccountId: string) =>
      (await t.http().post(`/v1/admin/retailers/${p.retailer.id}/payout-details`).set(proposer.auth).send({ stripeAccountId }).expect(201)).body.changeId as string;
    const approve = (changeId: string) => t.http().post(`/v1/admin/payout-details-changes/${changeId}/approve`).set(approver.auth).send().expect(200);
    const createRun = async () => (await t.http().post('/v1/admin/payout-runs').set(p.admin.auth).send({ programCode: p.programCode }).expect(201)).body;
    const transferOf = (run: { payouts: { id: string }[] }) => mock.transfers.filter((x) => x.metadata.payout_id === run.payouts[0].id);
    await approve(await propose(first));

    // pending: the run pays the first account
    const change = await propose(second);
    const claims1 = await approvedClaims(p, 2);
    const run1 = await createRun();
    expect(run1.payouts).toEqual([expect.objectContaining({ destination: first, payoutDetailsVersion: 2 })]);
    await drain(t);
    expect(transferOf(run1)).toEqual([expect.objectContaining({ destination: first, amount: claims1[0].amountFen + claims1[1].amountFen })]);

    // approved: the next run pays the second
    await approve(change);
    await approvedClaims(p, 1);
    const run2 = await createRun();
    await drain(t);
    expect(transferOf(run2)).toEqual([expect.objectContaining({ destination: second })]);

    // written before an approval, sent after it: still the account it was written with
    const later = await propose(third);
    await approvedClaims(p, 1);
    const run3 = await createRun();
    await approve(later);
    await drain(t);
    expect(transferOf(run3)).toEqual([expect.objectContaining({ destination: second })]);
    await approvedClaims(p, 1);
    const run4 = await createRun();
    await drain(t);
    expect(transferOf(run4)).toEqual([expect.objectContaining({ destination: third })]);

    const runs = await t.db.query(`SELECT run_id, destination, payout_details_version AS v FROM payouts WHERE retailer_id = $1 ORDER BY created_at`, [p.retailer.id]);
    expect(runs).toEqual([
      { run_id: run1.id, destination: first, v: 2 }, { run_id: run2.id, destination: second, v: 3 },
      { run_id: run3.id, destination: second, v: 3 }, { run_id: run4.id, destination: third, v: 4 },
    ]);
    expect(mock.transfers.filter((x) => [first, second, third].includes(x.destination as string))).toHaveLength(4);
  }, 120_000);
});
