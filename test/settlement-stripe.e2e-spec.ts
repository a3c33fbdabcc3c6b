import { LedgerService } from '@huanxin/ledger';
import { PayoutProcessor } from '@huanxin/settlement';
import { startTestApp, TestApp } from './support/app';
import { Scenario } from './support/scenario';
import { approvedClaim, approvedClaims, claimStatuses, drain, ledgerBalanced, programId, setStripeAccount } from './support/settlement';
import { mockStripeClient, signWebhook, startStripeMock, StripeMock, StripeMockFaultKind } from './support/stripe-mock';

const WHSEC = 'whsec_test_0123456789abcdef0123456789abcdef';

describe('settlement: Stripe Connect transfers, faults and webhooks (e2e)', () => {
  let t: TestApp;
  let mock: StripeMock;
  let s: Scenario;

  beforeAll(async () => {
    mock = await startStripeMock();
    t = await startTestApp({
      STRIPE_SECRET_KEY: 'sk_test_mock', STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_HOST: mock.host, STRIPE_API_PORT: String(mock.port),
      STRIPE_API_PROTOCOL: 'http', STRIPE_MAX_NETWORK_RETRIES: '2', STRIPE_TIMEOUT_MS: '400', PAYOUT_RETRY_DELAY_MS: '0',
    });
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'] });
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await mock.stop();
  });

  const admin = () => s.admin.auth;
  const createRun = async (programCode: string) => (await t.http().post('/v1/admin/payout-runs').set(admin()).send({ programCode }).expect(201)).body;
  const getRun = async (id: string) => (await t.http().get(`/v1/admin/payout-runs/${id}`).set(admin()).expect(200)).body;
  const transfersFor = (payoutId: string) => mock.transfers.filter((x) => x.metadata.payout_id === payoutId);
  const webhook = (payload: object, opts: { secret?: string; timestamp?: number } = {}) => {
    const { body, header } = signWebhook(payload, opts.secret ?? WHSEC, opts.timestamp);
    return t.http().post('/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(body);
  };

  /** A programme whose retailer has a connected account and `count` approved claims. */
  async function stripeRetailer(p: Scenario, count = 1, opts: { city?: string; account?: string } = {}) {
    const account = opts.account ?? mock.addAccount();
    await setStripeAccount(t, p.retailer.id, account);
    const claims = await approvedClaims(p, count, { city: opts.city });
    return { account, claims };
  }

  it('pays each retailer with one Connect transfer: transfer_group = the run, the stored key on the call, ledger and reconciliation agree', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'] });
    const { account, claims } = await stripeRetailer(p, 2);
    const ningbo = await approvedClaim(p, { city: 'ningbo' });
    const other = await t.make.retailer({ city: 'ningbo', stores: [{ code: 'NB-1', city: 'ningbo' }] });
    const otherAccount = mock.addAccount();
    await setStripeAccount(t, other.id, otherAccount);
    const theirs = await approvedClaim(p, { city: 'ningbo', retailer: other });

    const run = await createRun(p.programCode);
    expect(run).toMatchObject({ gateway: 'stripe', status: 'created', payoutCount: 2, claimCount: 4 });
    expect(mock.transfers.filter((x) => x.transfer_group === run.id)).toEqual([]); // written first, nothing sent yet
    await drain(t);

    const done = await getRun(run.id);
    expect(done).toMatchObject({ status: 'completed', counts: { pending: 0, sent: 0, paid: 2, failed: 0 } });
    const mine = done.payouts.find((x: { retailerId: string }) => x.retailerId === p.retailer.id);
    const [tr] = transfersFor(mine.id);
    expect(transfersFor(mine.id)).toHaveLength(1);
    expect(tr).toMatchObject({
      amount: claims[0].amountFen + claims[1].amountFen + ningbo.amountFen, currency: 'cny', destination: account, transfer_group: run.id,
      metadata: { payout_id: mine.id, run_id: run.id, retailer_id: p.retailer.id, claim_count: '3' },
    });
    expect(mine.reference).toBe(tr.id);
    const key = (await t.db.query(`SELECT idempotency_key FROM payouts WHERE id = $1`, [mine.id]))[0].idempotency_key;
    expect(mock.requests.filter((r) => r.path === '/v1/transfers' && r.method === 'POST' && r.params.metadata && (r.params.metadata as Record<string, string>).payout_id === mine.id).map((r) => r.idempotencyKey)).toEqual([key]);
    expect(transfersFor(done.payouts.find((x: { retailerId: string }) => x.retailerId === other.id).id)).toEqual([expect.objectContaining({ amount: theirs.amountFen, destination: otherAccount })]);
    expect(await claimStatuses(t, [...claims, ningbo].map((c) => c.id))).toEqual(['paid', 'paid', 'paid']);
    expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
    const byCity = await t.app.get(LedgerService).balances(await programId(t, p.programCode));
    expect(byCity.find((c) => c.city === 'ningbo')!.paidFen).toBe(ningbo.amountFen + theirs.amountFen);
    expect(byCity.every((c) => c.payableFen === 0)).toBe(true);

    const rec = await t.http().get('/v1/admin/reconciliation').query({ runId: run.id }).set(admin()).expect(200);
    expect(rec.body).toMatchObject({ balanced: true, mismatches: [], matched: 2, ledgerPaidFen: done.totalFen, gatewayPaidFen: done.totalFen });
  }, 60_000);

  const FAULTS: [StripeMockFaultKind, number][] = [
    ['http500', 1], ['http500-after-create', 1], ['timeout', 1], ['timeout-after-create', 1], ['drop', 1], ['drop-after-create', 1],
    // longer than the SDK's own retries (2): the payout stays pending and the next round tries again, same key
    ['http500-after-create', 4], ['drop', 4],
  ];
  it.each(FAULTS)('the gateway failing with %s ×%d: retried with the same key, exactly one transfer', async (kind, times) => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    await stripeRetailer(p, 1);
    const run = await createRun(p.programCode);
    const payoutId = run.payouts[0].id;
    const key = (await t.db.query(`SELECT idempotency_key FROM payouts WHERE id = $1`, [payoutId]))[0].idempotency_key;
    mock.failNext(times, kind, { method: 'POST', path: '/v1/transfers' });
    await drain(t);
    expect(mock.pendingFaults).toBe(0);
    const sentWithKey = mock.requests.filter((r) => r.idempotencyKey === key);
    expect(sentWithKey.length).toBe(times + 1);
    expect(new Set(sentWithKey.map((r) => r.params.amount))).toEqual(new Set([String(run.payouts[0].amountFen)]));
    expect(transfersFor(payoutId)).toHaveLength(1);
    const done = await getRun(run.id);
    expect(done.payouts[0]).toMatchObject({ status: 'paid', reference: transfersFor(payoutId)[0].id });
    const attempts = (await t.db.query(`SELECT attempts FROM payouts WHERE id = $1`, [payoutId]))[0].attempts;
    expect(attempts).toBe(times > 2 ? 1 : 0);
    expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
  }, 60_000);

  it('a transfer Stripe refuses fails at creation: the reason is kept, the claims go back to approved for the next run', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const account = `acct_unknown${Date.now()}`;
    const { claims } = await stripeRetailer(p, 2, { account });
    const run = await createRun(p.programCode);
    await drain(t);
    const failed = (await getRun(run.id)).payouts[0];
    expect(failed).toMatchObject({ status: 'failed', failureCode: 'account_invalid', failureReason: expect.stringContaining(account) });
    expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['approved', 'approved']);
    expect(await t.db.query(`SELECT 1 FROM audit_events WHERE action = 'payout.failed' AND subject_id = $1`, [failed.id])).toHaveLength(1);
    expect(await ledgerBalanced(t, p.programCode)).toEqual([]);

    // the account exists now: a new run, a new payout with its own key, paid
    mock.addAccount(account);
    const again = await createRun(p.programCode);
    expect(again.payouts[0].id).not.toBe(failed.id);
    await drain(t);
    expect((await getRun(again.id)).payouts[0].status).toBe('paid');
    expect(transfersFor(again.payouts[0].id)).toHaveLength(1);
    expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['paid', 'paid']);

    // not enough platform balance: refused too
    const q = await Scenario.create(t, { cities: ['hangzhou'] });
    await stripeRetailer(q, 1);
    mock.setBalance(1);
    const poor = await createRun(q.programCode);
    await drain(t);
    mock.setBalance(null);
    expect((await getRun(poor.id)).payouts[0]).toMatchObject({ status: 'failed', failureCode: 'balance_insufficient' });
  }, 60_000);

  it('a suspended retailer is held back, and one suspended after the run was written is not paid', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const { claims } = await stripeRetailer(p, 1);
    const run = await createRun(p.programCode);
    await t.http().post(`/v1/admin/retailers/${p.retailer.id}/suspend`).set(admin()).send({ reason: 'fraud investigation' }).expect(200);
    await drain(t);
    expect((await getRun(run.id)).payouts[0]).toMatchObject({ status: 'failed', failureCode: 'retailer_suspended' });
    expect(transfersFor(run.payouts[0].id)).toEqual([]);
    expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['approved']);
    const next = await createRun(p.programCode);
    expect(next.payouts).toEqual([]);
    expect(next.held).toEqual([{ retailerId: p.retailer.id, reason: 'retailer_suspended', claimCount: 1, amountFen: claims[0].amountFen }]);
  }, 60_000);

  describe('webhooks', () => {
    async function paidRun(count = 2) {
      const p = await Scenario.create(t, { cities: ['hangzhou'] });
      const r = await stripeRetailer(p, count);
      const run = await createRun(p.programCode);
      await drain(t);
      const payout = (await getRun(run.id)).payouts[0];
      expect(payout.status).toBe('paid');
      return { p, run, payout, ...r };
    }

    it('a bad, missing or stale signature is a 400 and changes nothing', async () => {
      const { p, run, payout } = await paidRun(1);
      const [tr] = transfersFor(payout.id);
      const event = mock.event('transfer.reversed', { ...tr, amount_reversed: tr.amount, reversed: true });
      const before = { ...(await p.snapshot()), events: (await t.db.query(`SELECT count(*)::int AS n FROM stripe_events`))[0].n };
      const wrong = await webhook(event, { secret: 'whsec_not_ours_at_all_0000000000000000' }).expect(400);
      expect(wrong.body).toMatchObject({ code: 'webhook_signature_invalid', status: 400 });
      await webhook(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 }).expect(400);
      await webhook(event, { timestamp: Math.floor(Date.now() / 1000) + 3600 }).expect(400);
      await t.http().post('/v1/webhooks/stripe').set('Content-Type', 'application/json').send(JSON.stringify(event)).expect(400);
      // a valid signature over other bytes than the ones sent
      const { header } = signWebhook(event, WHSEC);
      await t.http().post('/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(JSON.stringify(event)).expect(400);
      const after = { ...(await p.snapshot()), events: (await t.db.query(`SELECT count(*)::int AS n FROM stripe_events`))[0].n };
      expect(after).toEqual(before);
      expect((await getRun(run.id)).payouts[0].status).toBe('paid');
    }, 60_000);

    it('a transfer reversed at Stripe fails the payout (claims back to approved, ledger un-paid); the same event twice is processed once', async () => {
      const { p, run, payout, claims } = await paidRun(2);
      // someone reverses the transfer in Stripe's dashboard
      const [tr] = transfersFor(payout.id);
      await mockStripeClient(mock).transfers.createReversal(tr.id);
      const event = mock.events.filter((e) => e.type === 'transfer.reversed').pop()!;
      const first = await webhook(event).expect(200);
      expect(first.body).toEqual({ received: true, duplicate: false, outcome: 'payout_returned' });
      expect((await getRun(run.id)).payouts[0]).toMatchObject({ status: 'failed', failureCode: 'transfer_reversed' });
      expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['approved', 'approved']);
      const hz = (await t.app.get(LedgerService).balances(await programId(t, p.programCode), 'hangzhou'))[0];
      expect(hz).toMatchObject({ paidFen: 0, payableFen: payout.amountFen });
      expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
      const audit = await t.db.query(`SELECT action FROM audit_events WHERE subject_id IN ($1, $2) ORDER BY id`, [payout.id, event.id]);
      expect(audit.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['payout.returned', 'stripe.event_processed']));

      const before = await p.snapshot();
      const again = await webhook(event).expect(200);
      expect(again.body).toEqual({ received: true, duplicate: true, outcome: 'duplicate' });
      expect(await p.snapshot()).toEqual(before);

      // the claims are paid again by the next run, with a new transfer
      const next = await createRun(p.programCode);
      await drain(t);
      expect((await getRun(next.id)).payouts[0].status).toBe('paid');
      expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['paid', 'paid']);
      const rec = await t.http().get('/v1/admin/reconciliation').query({ runId: run.id }).set(admin()).expect(200);
      expect(rec.body).toMatchObject({ balanced: true, ledgerPaidFen: 0, gatewayPaidFen: 0 });
    }, 60_000);

    it('a connected account losing its transfers capability fails its pending payouts and holds the retailer until it is back', async () => {
      const p = await Scenario.create(t, { cities: ['hangzhou'] });
      const { account, claims } = await stripeRetailer(p, 1);
      const run = await createRun(p.programCode);
      const acct = mockStripeClient(mock).accounts.retrieve(account);
      const lost = mock.event('account.updated', { ...(await acct), capabilities: { transfers: 'inactive' } });
      expect((await webhook(lost).expect(200)).body.outcome).toBe('account_restricted:1');
      expect((await getRun(run.id)).payouts[0]).toMatchObject({ status: 'failed', failureCode: 'account_capability_lost' });
      expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['approved']);
      const heldRun = await createRun(p.programCode);
      expect(heldRun.held).toEqual([expect.objectContaining({ retailerId: p.retailer.id, reason: 'account_capability_lost' })]);
      expect(heldRun.payouts).toEqual([]);

      const back = mock.event('account.updated', { ...(await acct), capabilities: { transfers: 'active' } });
      expect((await webhook(back).expect(200)).body.outcome).toBe('account_active');
      const paid = await createRun(p.programCode);
      await drain(t);
      expect((await getRun(paid.id)).payouts[0].status).toBe('paid');
      expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
    }, 60_000);

    it("a connected account's failed bank payout takes the transfer back: payout failed, claims approved, retailer held", async () => {
      const { p, run, payout, account, claims } = await paidRun(1);
      const [tr] = transfersFor(payout.id);
      const bankPayout = { id: `po_${Date.now()}`, object: 'payout', amount: tr.amount, currency: 'cny', status: 'failed', failure_code: 'account_closed', failure_message: 'The bank account has been closed' };
      const res = await webhook(mock.event('payout.failed', bankPayout, { account })).expect(200);
      expect(res.body.outcome).toBe('payouts_returned:1');
      expect(transfersFor(payout.id)[0]).toMatchObject({ amount_reversed: tr.amount, reversed: true });
      expect((await getRun(run.id)).payouts[0]).toMatchObject({ status: 'failed', failureCode: 'connected_payout_failed' });
      expect(await claimStatuses(t, claims.map((c) => c.id))).toEqual(['approved']);
      expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
      // Stripe tells us of our own reversal too: nothing more happens
      const echo = mock.events.filter((e) => e.type === 'transfer.reversed' && (e.data.object as { id: string }).id === tr.id).pop()!;
      expect((await webhook(echo).expect(200)).body.outcome).toBe('no_change');
      const held = await createRun(p.programCode);
      expect(held.held).toEqual([expect.objectContaining({ retailerId: p.retailer.id, reason: 'account_payouts_failing' })]);
      // the bank account is fixed and a payout arrives: the retailer is paid again
      await webhook(mock.event('payout.paid', { ...bankPayout, id: `po_ok_${Date.now()}`, status: 'paid', failure_code: null }, { account })).expect(200);
      const again = await createRun(p.programCode);
      await drain(t);
      expect((await getRun(again.id)).payouts[0].status).toBe('paid');
      const rec = await t.http().get('/v1/admin/reconciliation').query({ runId: run.id }).set(admin()).expect(200);
      expect(rec.body.balanced).toBe(true);
    }, 60_000);
  });

  it('clawbacks: netted from the next payout, and reversed from the last transfer when nothing is left to net', async () => {
    const p = await Scenario.create(t, { cities: ['hangzhou'] });
    const { claims } = await stripeRetailer(p, 2);
    const run1 = await createRun(p.programCode);
    await drain(t);
    const payout1 = (await getRun(run1.id)).payouts[0];
    await t.http().post(`/v1/retailer/claims/${claims[0].id}/cancel`).set(p.retailer.keyAuth).send({ reason: 'returned' }).expect(200);

    // nothing to pay: the clawback is taken back from the transfer that paid it
    const run2 = await createRun(p.programCode);
    expect(run2.payouts).toEqual([]);
    expect(run2.reversals).toEqual([expect.objectContaining({ payoutId: payout1.id, amountFen: claims[0].amountFen, status: 'pending' })]);
    await drain(t);
    const done = await getRun(run2.id);
    expect(done).toMatchObject({ status: 'completed', reversals: [expect.objectContaining({ status: 'succeeded', reference: expect.stringMatching(/^trr_/) })] });
    expect(transfersFor(payout1.id)[0].amount_reversed).toBe(claims[0].amountFen);
    const hz = (await t.app.get(LedgerService).balances(await programId(t, p.programCode), 'hangzhou'))[0];
    expect(hz).toMatchObject({ receivableFen: 0, paidFen: claims[1].amountFen, payableFen: 0 });
    expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
    // the first run still reconciles: the ledger's net paid is the transfer less its reversal
    const rec = await t.http().get('/v1/admin/reconciliation').query({ runId: run1.id }).set(admin()).expect(200);
    expect(rec.body).toMatchObject({ balanced: true, ledgerPaidFen: claims[1].amountFen, gatewayPaidFen: claims[1].amountFen });
    // our reversal's webhook changes nothing
    const echo = mock.events.filter((e) => e.type === 'transfer.reversed').pop()!;
    expect((await webhook(echo).expect(200)).body.outcome).toBe('no_change');

    // a second clawback with a new claim to pay: netted, no reversal
    await t.http().post(`/v1/retailer/claims/${claims[1].id}/cancel`).set(p.retailer.keyAuth).send({ reason: 'returned' }).expect(200);
    const fresh = await approvedClaim(p, { salePriceFen: 700000 });
    const run3 = await createRun(p.programCode);
    expect(run3.reversals).toEqual([]);
    expect(run3.payouts).toEqual([expect.objectContaining({ grossFen: fresh.amountFen, nettedFen: claims[1].amountFen, amountFen: fresh.amountFen - claims[1].amountFen })]);
    await drain(t);
    expect(transfersFor(run3.payouts[0].id)).toEqual([expect.objectContaining({ amount: fresh.amountFen - claims[1].amountFen })]);
    expect(await ledgerBalanced(t, p.programCode)).toEqual([]);
    expect((await t.app.get(LedgerService).balances(await programId(t, p.programCode), 'hangzhou'))[0].receivableFen).toBe(0);
  }, 60_000);

  it('the processor has nothing to do twice in a row once everything is sent', async () => {
    await drain(t);
    expect(await t.app.get(PayoutProcessor).processBatch()).toBe(0);
  });
});
