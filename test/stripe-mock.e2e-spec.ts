// The Stripe mock, driven through the real `stripe` SDK: the settlement tests rely on what is proved here.
// No database is needed; the file lives with the e2e tests because it speaks HTTP.
import Stripe from 'stripe';
import { mockStripeClient, parseStripeForm, signWebhook, startStripeMock, type StripeMock } from './support/stripe-mock';

async function errorOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

describe('Stripe mock (real SDK)', () => {
  let mock: StripeMock;
  let stripe: Stripe;
  let acct: string;
  let seq = 0;
  const key = () => `payout-${process.pid}-${++seq}`;
  const transferParams = (over: Partial<Stripe.TransferCreateParams> = {}): Stripe.TransferCreateParams => ({
    amount: 12_345,
    currency: 'cny',
    destination: acct,
    transfer_group: 'run_1',
    metadata: { runId: 'run_1', payoutId: 'p_1' },
    ...over,
  });
  const posts = () => mock.requests.filter((r) => r.method === 'POST' && r.path === '/v1/transfers');

  beforeAll(async () => {
    mock = await startStripeMock();
    stripe = mockStripeClient(mock);
  });
  afterAll(() => mock.stop());
  beforeEach(() => {
    mock.reset({ accounts: true });
    acct = mock.addAccount();
  });

  describe('endpoints', () => {
    it('parses form bodies the way the SDK writes them', () => {
      expect(parseStripeForm('amount=100&metadata[runId]=r%201&metadata[note]=a+b&expand[0]=x&expand[1]=y&tags[]=p&tags[]=q&__proto__[x]=1')).toEqual({
        amount: '100',
        metadata: { runId: 'r 1', note: 'a b' },
        expand: ['x', 'y'],
        tags: ['p', 'q'],
      });
    });

    it('creates a transfer and records the request', async () => {
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: 'k-create' });
      expect(t).toMatchObject({
        object: 'transfer',
        amount: 12_345,
        currency: 'cny',
        destination: acct,
        transfer_group: 'run_1',
        metadata: { runId: 'run_1', payoutId: 'p_1' },
        reversed: false,
        amount_reversed: 0,
        livemode: false,
        reversals: { object: 'list', data: [] },
      });
      expect(t.id).toMatch(/^tr_/);
      expect(typeof t.created).toBe('number');
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
      expect(posts()).toEqual([
        expect.objectContaining({
          idempotencyKey: 'k-create',
          status: 200,
          replayed: false,
          fault: null,
          params: { amount: '12345', currency: 'cny', destination: acct, transfer_group: 'run_1', metadata: { runId: 'run_1', payoutId: 'p_1' } },
        }),
      ]);
      expect(mock.events).toEqual([expect.objectContaining({ type: 'transfer.created', data: { object: t }, request: { id: null, idempotency_key: 'k-create' } })]);
    });

    it('adds its own stripe-node-retry-… key to a POST without one when retries are on, and none when they are off', async () => {
      await stripe.transfers.create(transferParams());
      await mockStripeClient(mock, { retries: 0 }).transfers.create(transferParams());
      expect(posts().map((r) => r.idempotencyKey)).toEqual([expect.stringMatching(/^stripe-node-retry-[0-9a-f-]{36}$/), null]);
    });

    it('lists by transfer_group, newest first, with pagination', async () => {
      const mine: string[] = [];
      for (let i = 0; i < 5; i++) mine.push((await stripe.transfers.create(transferParams({ amount: 100 + i, transfer_group: 'run_A' }))).id);
      await stripe.transfers.create(transferParams({ transfer_group: 'run_B' }));
      const newestFirst = [...mine].reverse();

      const page1 = await stripe.transfers.list({ transfer_group: 'run_A', limit: 2 });
      expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/transfers' });
      expect(page1.data.map((t) => t.id)).toEqual(newestFirst.slice(0, 2));
      const page2 = await stripe.transfers.list({ transfer_group: 'run_A', limit: 2, starting_after: page1.data[1].id });
      expect(page2.data.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));
      const page3 = await stripe.transfers.list({ transfer_group: 'run_A', limit: 2, starting_after: page2.data[1].id });
      expect(page3.data.map((t) => t.id)).toEqual(newestFirst.slice(4));
      expect(page3.has_more).toBe(false);
      const back = await stripe.transfers.list({ transfer_group: 'run_A', limit: 2, ending_before: page3.data[0].id });
      expect(back.data.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));

      const all = await stripe.transfers.list({ transfer_group: 'run_A', limit: 2 }).autoPagingToArray({ limit: 100 });
      expect(all.map((t) => t.id)).toEqual(newestFirst);
      expect((await stripe.transfers.list({ limit: 100 })).data).toHaveLength(6);
      expect((await stripe.transfers.list({ transfer_group: 'nobody' })).data).toEqual([]);
    });

    it('retrieves a transfer; an unknown id is a 404 resource_missing', async () => {
      const t = await stripe.transfers.create(transferParams());
      expect(await stripe.transfers.retrieve(t.id)).toEqual({ ...t });
      const err = await errorOf(stripe.transfers.retrieve('tr_nope'));
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    });

    it('updates description and metadata (an empty value deletes the key)', async () => {
      const t = await stripe.transfers.create(transferParams());
      const u = await stripe.transfers.update(t.id, { description: 'run 1', metadata: { payoutId: '', note: 'x' } });
      expect(u).toMatchObject({ id: t.id, description: 'run 1', metadata: { runId: 'run_1', note: 'x' } });
      expect(u.metadata).not.toHaveProperty('payoutId');
      expect(mock.events.at(-1)).toMatchObject({ type: 'transfer.updated', data: { previous_attributes: { description: null } } });
    });

    it('reverses partly then fully, and refuses to reverse more than remains', async () => {
      const t = await stripe.transfers.create(transferParams({ amount: 1000 }));
      const r1 = await stripe.transfers.createReversal(t.id, { amount: 400, metadata: { reason: 'clawback' } }, { idempotencyKey: key() });
      expect(r1).toMatchObject({ object: 'transfer_reversal', amount: 400, transfer: t.id, currency: 'cny', metadata: { reason: 'clawback' } });
      expect(r1.id).toMatch(/^trr_/);
      expect(await stripe.transfers.retrieve(t.id)).toMatchObject({ amount_reversed: 400, reversed: false, reversals: { data: [{ id: r1.id }] } });

      const over = await errorOf(stripe.transfers.createReversal(t.id, { amount: 601 }));
      expect(over).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(over).toMatchObject({ statusCode: 400, param: 'amount' });

      const r2 = await stripe.transfers.createReversal(t.id); // no amount: the rest
      expect(r2.amount).toBe(600);
      expect(await stripe.transfers.retrieve(t.id)).toMatchObject({ amount_reversed: 1000, reversed: true });
      expect((await stripe.transfers.listReversals(t.id)).data.map((r) => r.id)).toEqual([r2.id, r1.id]);
      expect(await stripe.transfers.retrieveReversal(t.id, r1.id)).toEqual({ ...r1 });
      expect(await errorOf(stripe.transfers.createReversal(t.id, { amount: 1 }))).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(mock.events.map((e) => e.type)).toEqual(['transfer.created', 'transfer.reversed', 'transfer.reversed']);
    });

    it('reports connected accounts', async () => {
      const paused = mock.addAccount('acct_paused1', { payoutsEnabled: false });
      expect(await stripe.accounts.retrieve(paused)).toMatchObject({ id: paused, payouts_enabled: false, capabilities: { transfers: 'active' } });
      expect(await errorOf(stripe.accounts.retrieve('acct_unknown'))).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 404 });
    });

    it('rejects a missing or non-secret API key with 401 in Stripe’s error shape', async () => {
      const noKey = await fetch(`${mock.url}/v1/transfers`);
      expect(noKey.status).toBe(401);
      expect(await noKey.json()).toEqual({ error: { type: 'invalid_request_error', message: expect.stringContaining('did not provide an API key') } });
      const err = await errorOf(mockStripeClient(mock, { apiKey: 'pk_test_public' }).transfers.list());
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(err).toMatchObject({ statusCode: 401, rawType: 'invalid_request_error' });
    });
  });

  describe('refusals', () => {
    it('refuses an unknown destination at creation', async () => {
      const err = await errorOf(stripe.transfers.create(transferParams({ destination: 'acct_unknown' })));
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err).toMatchObject({ statusCode: 400, code: 'account_invalid', param: 'destination', rawType: 'invalid_request_error' });
      expect(mock.transfers).toEqual([]);
    });

    it('refuses a destination without the transfers capability', async () => {
      const off = mock.addAccount(undefined, { capabilities: { transfers: 'inactive' } });
      const err = await errorOf(stripe.transfers.create(transferParams({ destination: off })));
      expect(err).toMatchObject({ type: 'StripeInvalidRequestError', code: 'insufficient_capabilities_for_transfer' });
      expect(mock.transfers).toEqual([]);
    });

    it('refuses with balance_insufficient above the balance set, and the refusal is replayed for its key', async () => {
      mock.setBalance(10_000);
      const k = key();
      const err = await errorOf(stripe.transfers.create(transferParams({ amount: 10_001 }), { idempotencyKey: k }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });
      mock.setBalance(null);
      const again = await errorOf(stripe.transfers.create(transferParams({ amount: 10_001 }), { idempotencyKey: k }));
      expect(again).toMatchObject({ code: 'balance_insufficient', headers: expect.objectContaining({ 'idempotent-replayed': 'true' }) });
      mock.setBalance(10_000);
      await stripe.transfers.create(transferParams({ amount: 6_000 }));
      expect(mock.balance).toBe(4_000);
      expect(mock.transfers).toHaveLength(1);
    });

    it('does not store parameter errors under the key: the corrected request is not an idempotency error', async () => {
      const k = key();
      const bad = await errorOf(stripe.transfers.create(transferParams({ amount: 0 }), { idempotencyKey: k }));
      expect(bad).toMatchObject({ type: 'StripeInvalidRequestError', code: 'parameter_invalid_integer', param: 'amount' });
      const missing = await errorOf(stripe.transfers.create({ currency: 'cny', destination: acct } as Stripe.TransferCreateParams));
      expect(missing).toMatchObject({ code: 'parameter_missing', param: 'amount' });
      expect(await stripe.transfers.create(transferParams(), { idempotencyKey: k })).toMatchObject({ amount: 12_345 });
    });
  });

  describe('idempotency', () => {
    it('replays the same transfer for the same key and parameters', async () => {
      const k = key();
      const first = await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      // the same parameters in another order are the same request
      const second = await stripe.transfers.create(transferParams({ metadata: { payoutId: 'p_1', runId: 'run_1' } }), { idempotencyKey: k });
      expect(second.id).toBe(first.id);
      expect(second).toEqual(first);
      expect(second.lastResponse.statusCode).toBe(200);
      expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(second.lastResponse.idempotencyKey).toBe(k);
      expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(mock.transfers).toHaveLength(1);
      expect(posts().map((r) => r.replayed)).toEqual([false, true]);
    });

    it('answers StripeIdempotencyError for the same key with other parameters', async () => {
      const k = key();
      await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      const err = await errorOf(stripe.transfers.create(transferParams({ amount: 99 }), { idempotencyKey: k }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(err).toMatchObject({ type: 'StripeIdempotencyError', rawType: 'idempotency_error', statusCode: 400 });
      expect(err.message).toMatch(/^Keys for idempotent requests can only be used with the same parameters they were first used with/);
      expect(mock.transfers).toHaveLength(1);
    });

    it('a key used on another endpoint is an idempotency error too', async () => {
      const k = key();
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      expect(await errorOf(stripe.transfers.createReversal(t.id, {}, { idempotencyKey: k }))).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    });

    it('two concurrent requests with one key make one transfer (409 in progress, retried, then replayed)', async () => {
      mock.latencyMs = 300;
      try {
        const k = key();
        const [a, b] = await Promise.all([
          stripe.transfers.create(transferParams(), { idempotencyKey: k }),
          stripe.transfers.create(transferParams(), { idempotencyKey: k }),
        ]);
        expect(a.id).toBe(b.id);
        expect(mock.transfers).toHaveLength(1);
        expect(posts().map((r) => r.status)).toContain(409);
      } finally {
        mock.latencyMs = 0;
      }
    });
  });

  describe('faults: retried with the same key, exactly one transfer per payout', () => {
    it('http500: nothing created, the SDK retries, one transfer', async () => {
      mock.failNext(1, 'http500');
      const k = key();
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
      expect(posts().map((r) => [r.idempotencyKey, r.status, r.fault])).toEqual([
        [k, 500, 'http500'],
        [k, 200, null],
      ]);
    });

    it('http500 on every attempt: StripeAPIError, nothing created, and the key is still free', async () => {
      mock.failNext(4, 'http500');
      const k = key();
      const err = await errorOf(stripe.transfers.create(transferParams(), { idempotencyKey: k }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(err).toMatchObject({ statusCode: 500 });
      expect(posts()).toHaveLength(4); // 1 + maxNetworkRetries (3)
      expect(mock.transfers).toEqual([]);
      expect(await stripe.transfers.create(transferParams(), { idempotencyKey: k })).toMatchObject({ object: 'transfer' });
      expect(mock.transfers).toHaveLength(1);
    });

    it('http500-after-create: the retry with the same key returns the transfer created by the failed attempt', async () => {
      mock.failNext(1, 'http500-after-create');
      const k = key();
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
      expect(t.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(posts().map((r) => [r.idempotencyKey, r.status, r.replayed])).toEqual([
        [k, 500, false],
        [k, 200, true],
      ]);
    });

    it('http500-after-create without retries: the caller sees the error, and its own retry with the key finds the transfer', async () => {
      mock.failNext(1, 'http500-after-create');
      const k = key();
      const once = mockStripeClient(mock, { retries: 0 });
      expect(await errorOf(once.transfers.create(transferParams(), { idempotencyKey: k }))).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(mock.transfers).toHaveLength(1);
      const t = await once.transfers.create(transferParams(), { idempotencyKey: k });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
    });

    it('timeout-after-create: the SDK times out, retries with the same key, one transfer', async () => {
      mock.failNext(1, 'timeout-after-create');
      const k = key();
      const t = await mockStripeClient(mock, { timeoutMs: 300 }).transfers.create(transferParams(), { idempotencyKey: k });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
      expect(posts().map((r) => [r.idempotencyKey, r.status, r.replayed])).toEqual([
        [k, null, false],
        [k, 200, true],
      ]);
    });

    it('timeout on every attempt: StripeConnectionError naming the timeout, nothing created', async () => {
      mock.failNext(2, 'timeout');
      const err = await errorOf(mockStripeClient(mock, { timeoutMs: 200, retries: 1 }).transfers.create(transferParams(), { idempotencyKey: key() }));
      expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      expect(err.message).toContain('timeout');
      expect(mock.transfers).toEqual([]);
    });

    it('drop-after-create: the connection is cut, the SDK retries with the same key, one transfer', async () => {
      mock.failNext(1, 'drop-after-create');
      const k = key();
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: k });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
      expect(posts().map((r) => [r.idempotencyKey, r.status, r.replayed])).toEqual([
        [k, null, false],
        [k, 200, true],
      ]);
    });

    it('drop with maxNetworkRetries 0: the SDK still retries a reset connection once, so only an explicit key prevents a double transfer', async () => {
      const once = mockStripeClient(mock, { retries: 0 });
      mock.failNext(1, 'drop-after-create');
      await once.transfers.create(transferParams());
      expect(mock.transfers).toHaveLength(2); // no key was sent: the retry paid again
      mock.reset();
      mock.failNext(1, 'drop-after-create');
      const t = await once.transfers.create(transferParams(), { idempotencyKey: key() });
      expect(mock.transfers.map((x) => x.id)).toEqual([t.id]);
    });

    it('drop before anything happened: retried, one transfer', async () => {
      mock.failNext(1, 'drop');
      await stripe.transfers.create(transferParams(), { idempotencyKey: key() });
      expect(mock.transfers).toHaveLength(1);
      expect(posts().map((r) => r.status)).toEqual([null, 200]);
    });

    it('scopes faults by method and path, and consumes them in order', async () => {
      mock.failNext(1, 'http500', { method: 'POST', path: /^\/v1\/transfers\/[^/]+\/reversals$/ });
      mock.failNext(1, 'http500', { path: '/v1/transfers' });
      const t = await stripe.transfers.create(transferParams(), { idempotencyKey: key() }); // second fault, retried
      expect(mock.pendingFaults).toBe(1);
      await stripe.transfers.retrieve(t.id); // untouched
      await stripe.transfers.createReversal(t.id, { amount: 1 }, { idempotencyKey: key() }); // first fault, retried
      expect(mock.pendingFaults).toBe(0);
      expect(mock.requests.map((r) => [r.method, r.status])).toEqual([
        ['POST', 500],
        ['POST', 200],
        ['GET', 200],
        ['POST', 500],
        ['POST', 200],
      ]);
      expect(mock.transfers[0].amount_reversed).toBe(1);
    });
  });

  describe('webhooks', () => {
    const secret = 'whsec_test_secret';

    it('signs an event that stripe.webhooks.constructEvent accepts', async () => {
      const t = await stripe.transfers.create(transferParams());
      const evt = mock.event('transfer.reversed', t);
      expect(evt).toMatchObject({ object: 'event', type: 'transfer.reversed', data: { object: { id: t.id } }, livemode: false, api_version: Stripe.API_VERSION });
      expect(evt.id).toMatch(/^evt_/);
      const { body, header } = signWebhook(evt, secret);
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(stripe.webhooks.constructEvent(body, header, secret)).toEqual(JSON.parse(body));
      expect(stripe.webhooks.constructEvent(Buffer.from(body), header, secret).id).toBe(evt.id);
    });

    it('a tampered body, another secret or an old timestamp fail verification', () => {
      const evt = mock.event('payout.paid', { id: 'po_1', object: 'payout', amount: 100 }, { account: acct });
      expect(evt.account).toBe(acct);
      const { body, header } = signWebhook(evt, secret);
      const tampered = body.replace('"amount": 100', '"amount": 999');
      expect(tampered).not.toBe(body);
      expect(() => stripe.webhooks.constructEvent(tampered, header, secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
      expect(() => stripe.webhooks.constructEvent(body, header, 'whsec_other')).toThrow(Stripe.errors.StripeSignatureVerificationError);
      const old = signWebhook(evt, secret, Math.floor(Date.now() / 1000) - 3600);
      expect(() => stripe.webhooks.constructEvent(old.body, old.header, secret)).toThrow(/Timestamp outside the tolerance zone/);
    });
  });
});
