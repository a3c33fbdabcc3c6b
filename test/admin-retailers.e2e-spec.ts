import { ApiKeysService } from '@huanxin/auth';
import { RetailersRepository } from '@huanxin/retailers';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { randomCreditCode, uniq } from './support/ids';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** The code with its check character replaced by another character of the GB 32100 alphabet. */
function wrongCheckChar(code: string): string {
  return code.slice(0, 17) + (code[17] === '0' ? '1' : '0');
}

describe('admin: retailers (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    // info-level logs are captured so the test can prove no account number or key reaches them
    t = await startTestApp({ LOG_LEVEL: 'info' });
    admin = await t.make.admin();
  });
  afterAll(() => t.close());

  const body = (patch: Record<string, unknown> = {}) => ({
    name: '杭州测试电器有限公司',
    creditCode: randomCreditCode(),
    city: 'hangzhou',
    payout: { stripeAccountId: 'acct_1QxYzAbCdEfGh', bank: { accountName: '杭州测试电器有限公司', accountNumber: '6222020200112233445', bankCode: '102331000010' } },
    stores: [
      { code: 'HZ-001', name: '西湖店', city: 'hangzhou' },
      { code: 'NB-001', name: '鄞州店', city: 'ningbo' },
    ],
    ...patch,
  });
  const create = async (patch: Record<string, unknown> = {}) =>
    (await t.http().post('/v1/admin/retailers').set(admin.auth).send(body(patch)).expect(201)).body;
  const counts = async () =>
    (await t.db.query(`SELECT (SELECT count(*) FROM retailers)::int AS r, (SELECT count(*) FROM stores)::int AS s,
      (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM api_keys)::int AS k, (SELECT count(*) FROM audit_events)::int AS a`))[0];
  const events = (retailerId: string, action: string) =>
    t.db.query(`SELECT actor, details FROM audit_events WHERE subject_type = 'retailer' AND subject_id = $1 AND action = $2`, [retailerId, action]);

  describe('POST /v1/admin/retailers', () => {
    it('certifies a retailer with its stores; the account number is answered as its last four digits only', async () => {
      const input = body({ creditCode: ` ${randomCreditCode().toLowerCase()} ` });
      const res = await t.http().post('/v1/admin/retailers').set(admin.auth).send(input).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: input.name,
        creditCode: (input.creditCode as string).trim().toUpperCase(),
        city: 'hangzhou',
        status: 'active',
        statusReason: null,
        payout: {
          stripeAccountId: 'acct_1QxYzAbCdEfGh', bank: { accountName: '杭州测试电器有限公司', accountNumberLast4: '3445', bankCode: '102331000010' },
          version: 1, changedAt: null,
        },
        stores: [
          { id: expect.any(String), code: 'HZ-001', name: '西湖店', city: 'hangzhou' },
          { id: expect.any(String), code: 'NB-001', name: '鄞州店', city: 'ningbo' },
        ],
        certifiedFrom: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      });
      expect(JSON.stringify(res.body)).not.toContain('6222020200112233445');
      const got = await t.http().get(`/v1/admin/retailers/${res.body.id}`).set(admin.auth).expect(200);
      // the detail view adds the payout-details change waiting for approval (none)
      expect(got.body).toEqual({ ...res.body, pendingPayoutChange: null });

      // the payout gateway can read the full account; the row keeps it sealed, never in clear
      const [row] = await t.db.query(`SELECT bank, credit_code FROM retailers WHERE id = $1`, [res.body.id]);
      expect(row.bank).toEqual({
        accountName: '杭州测试电器有限公司', accountNumberLast4: '3445', accountNumberSealed: expect.stringMatching(/^v1\./), bankCode: '102331000010',
      });
      expect(JSON.stringify(row)).not.toContain('6222020200112233445');
      const account = await t.app.get(RetailersRepository).payoutAccount(res.body.id);
      expect(account?.bank?.accountNumber).toBe('6222020200112233445');

      const [event] = await events(res.body.id, 'retailer.created');
      expect(event.actor).toMatchObject({ kind: 'user', id: admin.id, role: 'admin' });
      expect(event.details).toMatchObject({ creditCode: res.body.creditCode, city: 'hangzhou', payoutMethods: ['stripe', 'bank'] });
      expect(JSON.stringify(event.details)).not.toContain('6222020200112233445');
    });

    it('accepts a retailer without payout details', async () => {
      const r = await create({ payout: undefined });
      expect(r.payout).toEqual({ stripeAccountId: null, bank: null, version: 1, changedAt: null });
    });

    it.each([
      ['a wrong credit-code check character', () => ({ creditCode: wrongCheckChar(randomCreditCode()) }), 'creditCode'],
      ['a credit code of the wrong length', () => ({ creditCode: '91330100MA27XK3Q2' }), 'creditCode'],
      ['a city outside Zhejiang', () => ({ city: 'shanghai' }), 'city'],
      ['a store in a city outside Zhejiang', () => ({ stores: [{ code: 'S-1', name: '店', city: 'suzhou' }] }), 'stores[0].city'],
      ['no stores', () => ({ stores: [] }), 'stores'],
      ['no stores field', () => ({ stores: undefined }), 'stores'],
      ['duplicate store codes in the body', () => ({ stores: [{ code: 'S-1', name: 'a', city: 'hangzhou' }, { code: 'S-1', name: 'b', city: 'ningbo' }] }), 'stores'],
      ['a malformed store code', () => ({ stores: [{ code: 'S 1/x', name: 'a', city: 'hangzhou' }] }), 'stores[0].code'],
      ['a malformed Stripe account', () => ({ payout: { stripeAccountId: 'ba_123' } }), 'payout.stripeAccountId'],
      ['a short bank account number', () => ({ payout: { bank: { accountName: 'x', accountNumber: '1234567', bankCode: 'ICBC' } } }), 'payout.bank.accountNumber'],
      ['a bank account number with letters', () => ({ payout: { bank: { accountName: 'x', accountNumber: '62220202001122AB', bankCode: 'ICBC' } } }), 'payout.bank.accountNumber'],
      ['an empty payout', () => ({ payout: {} }), 'payout'],
      ['an unknown field', () => ({ status: 'suspended' }), 'status'],
      ['an unknown field in a store', () => ({ stores: [{ code: 'S-1', name: 'a', city: 'hangzhou', retailerId: UNKNOWN_ID }] }), 'stores[0].retailerId'],
    ])('refuses %s with validation_failed naming the field, changing nothing', async (_label, patch, field) => {
      const before = await counts();
      const res = await t.http().post('/v1/admin/retailers').set(admin.auth).send(body(patch())).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(JSON.stringify(res.body)).not.toContain('62220202001122AB');
      expect(await counts()).toEqual(before);
    });

    it('refuses a second retailer with the same credit code (however typed) with 409 duplicate', async () => {
      const first = await create();
      const before = await counts();
      const res = await t.http().post('/v1/admin/retailers').set(admin.auth)
        .send(body({ creditCode: ` ${first.creditCode.toLowerCase()}` })).expect(409);
      expect(res.body.code).toBe('duplicate');
      expect(await counts()).toEqual(before);
    });
  });

  describe('GET /v1/admin/retailers', () => {
    it('pages through every retailer with keyset cursors, stores included', async () => {
      const mine = [await create(), await create(), await create()];
      const seen: { id: string; stores: unknown[] }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { items: { id: string; stores: unknown[] }[]; nextCursor: string | null } } = await t.http()
          .get('/v1/admin/retailers').query(cursor ? { limit: 2, cursor } : { limit: 2 }).set(admin.auth).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(cursor).toBeNull();
      const ids = seen.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const r of mine) expect(seen.find((s) => s.id === r.id)).toEqual(r);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM retailers`);
      expect(ids).toHaveLength(n);
    });

    it('defaults to 50 a page', async () => {
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM retailers`);
      const res = await t.http().get('/v1/admin/retailers').set(admin.auth).expect(200);
      expect(res.body.items).toHaveLength(Math.min(n, 50));
      expect(res.body.nextCursor === null).toBe(n <= 50);
    });

    it.each([
      ['limit=0', { limit: 0 }, 'limit'],
      ['limit=101', { limit: 101 }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['a made-up cursor', { cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
      ['an unknown field', { sort: 'name' }, 'sort'],
    ])('refuses %s with validation_failed', async (_label, query, field) => {
      const res = await t.http().get('/v1/admin/retailers').query(query).set(admin.auth).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('answers 404 not_found for an unknown id, well-formed or not', async () => {
      for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
        const res = await t.http().get(`/v1/admin/retailers/${id}`).set(admin.auth).expect(404);
        expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
      }
    });
  });

  describe('stores', () => {
    it('adds a store later; its code must be new for the retailer; others may reuse it', async () => {
      const r = await create();
      const res = await t.http().post(`/v1/admin/retailers/${r.id}/stores`).set(admin.auth)
        .send({ code: 'WZ-009', name: '鹿城店', city: 'wenzhou' }).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), code: 'WZ-009', name: '鹿城店', city: 'wenzhou' });
      const [event] = await events(r.id, 'retailer.store_added');
      expect(event.details).toEqual({ storeId: res.body.id, code: 'WZ-009', city: 'wenzhou' });

      const store = await t.app.get(RetailersRepository).findStore(r.id, 'WZ-009');
      expect(store).toEqual({ id: res.body.id, retailerId: r.id, code: 'WZ-009', name: '鹿城店', city: 'wenzhou' });

      const before = await counts();
      const dup = await t.http().post(`/v1/admin/retailers/${r.id}/stores`).set(admin.auth)
        .send({ code: 'HZ-001', name: '另一家', city: 'hangzhou' }).expect(409);
      expect(dup.body.code).toBe('duplicate');
      expect(await counts()).toEqual(before);

      const other = await create();
      await t.http().post(`/v1/admin/retailers/${other.id}/stores`).set(admin.auth).send({ code: 'WZ-009', name: '鹿城店', city: 'wenzhou' }).expect(201);
    });

    it('refuses a store in an unknown city (400) and for an unknown retailer (404)', async () => {
      const r = await create();
      const before = await counts();
      const bad = await t.http().post(`/v1/admin/retailers/${r.id}/stores`).set(admin.auth).send({ code: 'X-1', name: 'x', city: 'beijing' }).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['city']);
      const unknown = await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/stores`).set(admin.auth).send({ code: 'X-1', name: 'x', city: 'hangzhou' }).expect(404);
      expect(unknown.body.code).toBe('not_found');
      expect(await counts()).toEqual(before);
    });
  });

  describe('staff', () => {
    it('creates a staff account that signs in by e-mail as role retailer with the retailer id in its token', async () => {
      const r = await create();
      const staff = { email: `Till-${uniq()}@Shop.example.cn`, password: 'till-password-1', name: '店员甲' };
      const res = await t.http().post(`/v1/admin/retailers/${r.id}/staff`).set(admin.auth).send(staff).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), email: staff.email.toLowerCase(), name: '店员甲', role: 'retailer', retailerId: r.id });

      const login = await t.http().post('/v1/auth/login').send({ username: staff.email, password: staff.password }).expect(200);
      expect(login.body.role).toBe('retailer');
      const claims = JSON.parse(Buffer.from(login.body.accessToken.split('.')[1], 'base64url').toString('utf8'));
      expect(claims).toMatchObject({ sub: res.body.id, role: 'retailer', rid: r.id });

      const [event] = await t.db.query(`SELECT details FROM audit_events WHERE action = 'user.created' AND subject_id = $1`, [res.body.id]);
      expect(event.details).toEqual({ role: 'retailer', retailerId: r.id });
      expect(JSON.stringify(event)).not.toContain(staff.password);

      // a retailer's staff cannot use the admin API
      const forbidden = await t.http().get(`/v1/admin/retailers/${r.id}`).set('Authorization', `Bearer ${login.body.accessToken}`).expect(403);
      expect(forbidden.body.code).toBe('forbidden');
    });

    it('refuses a taken e-mail (409), bad fields (400) and an unknown retailer (404), changing nothing', async () => {
      const r = await create();
      const email = `dup-${uniq().toLowerCase()}@shop.example.cn`;
      await t.http().post(`/v1/admin/retailers/${r.id}/staff`).set(admin.auth).send({ email, password: 'till-password-1', name: 'a' }).expect(201);
      const before = await counts();
      const taken = await t.http().post(`/v1/admin/retailers/${r.id}/staff`).set(admin.auth).send({ email: email.toUpperCase(), password: 'till-password-1', name: 'b' }).expect(409);
      expect(taken.body.code).toBe('email_taken');
      const bad = await t.http().post(`/v1/admin/retailers/${r.id}/staff`).set(admin.auth).send({ email: 'not-an-email', password: 'short', name: '' }).expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'password']);
      const unknown = await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/staff`).set(admin.auth)
        .send({ email: `x-${uniq().toLowerCase()}@shop.cn`, password: 'till-password-1', name: 'c' }).expect(404);
      expect(unknown.body.code).toBe('not_found');
      expect(await counts()).toEqual(before);
    });
  });

  describe('API keys', () => {
    it('issues a POS key that authenticates as the retailer until it is revoked; no key material is kept or audited', async () => {
      const r = await create();
      const res = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), key: expect.stringMatching(/^hx_[A-Za-z0-9_-]{40,}$/) });
      const { id, key } = res.body;

      const keys = t.app.get(ApiKeysService);
      expect(await keys.authenticate(key)).toEqual({ kind: 'api_key', id, role: 'retailer', retailerId: r.id });
      // over HTTP the key is a retailer: authenticated (not 401) but not allowed in the admin API
      const asKey = await t.http().get(`/v1/admin/retailers/${r.id}`).set('X-Api-Key', key).expect(403);
      expect(asKey.body.code).toBe('forbidden');

      const [row] = await t.db.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [id]);
      expect(row.key_hash).not.toContain(key);
      const [created] = await events(r.id, 'retailer.api_key_created');
      expect(created.details).toEqual({ keyId: id });

      const revoked = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys/${id}/revoke`).set(admin.auth).expect(200);
      expect(revoked.body).toEqual({ id, revokedAt: expect.stringMatching(/\+08:00$/) });
      expect(await keys.authenticate(key)).toBeUndefined();
      const dead = await t.http().get(`/v1/admin/retailers/${r.id}`).set('X-Api-Key', key).expect(401);
      expect(dead.body.code).toBe('unauthorized');
      const [revokedEvent] = await events(r.id, 'retailer.api_key_revoked');
      expect(revokedEvent.details).toEqual({ keyId: id });

      const all = await t.db.query(`SELECT details FROM audit_events`);
      expect(JSON.stringify(all)).not.toContain(key);
      expect(JSON.stringify(all)).not.toContain(key.slice(3, 20));
    });

    it('revoking twice is 409 conflict; another retailer\'s key and unknown ids are 404', async () => {
      const r = await create();
      const other = await create();
      const { body: key } = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).expect(201);
      const { body: otherKey } = await t.http().post(`/v1/admin/retailers/${other.id}/api-keys`).set(admin.auth).expect(201);
      await t.http().post(`/v1/admin/retailers/${r.id}/api-keys/${key.id}/revoke`).set(admin.auth).expect(200);
      const before = await counts();
      const again = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys/${key.id}/revoke`).set(admin.auth).expect(409);
      expect(again.body.code).toBe('conflict');
      const notMine = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys/${otherKey.id}/revoke`).set(admin.auth).expect(404);
      expect(notMine.body.code).toBe('not_found');
      await t.http().post(`/v1/admin/retailers/${r.id}/api-keys/${UNKNOWN_ID}/revoke`).set(admin.auth).expect(404);
      await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/api-keys`).set(admin.auth).expect(404);
      expect(await counts()).toEqual(before);
      expect(await t.app.get(ApiKeysService).authenticate(otherKey.key)).toMatchObject({ retailerId: other.id });
    });
  });

  describe('suspend and reinstate', () => {
    it('suspends and reinstates; repeating either is idempotent (200, no second audit event)', async () => {
      const r = await create();
      const suspended = await t.http().post(`/v1/admin/retailers/${r.id}/suspend`).set(admin.auth).send({ reason: '发票异常核查' }).expect(200);
      expect(suspended.body).toEqual({ ...r, status: 'suspended', statusReason: '发票异常核查' });
      const repo = t.app.get(RetailersRepository);
      expect(await repo.findById(r.id)).toMatchObject({ status: 'suspended', city: 'hangzhou' });

      const again = await t.http().post(`/v1/admin/retailers/${r.id}/suspend`).set(admin.auth).send({ reason: 'another reason' }).expect(200);
      expect(again.body).toEqual(suspended.body);
      const suspendedEvents = await events(r.id, 'retailer.suspended');
      expect(suspendedEvents).toHaveLength(1);
      expect(suspendedEvents[0].details).toEqual({ reason: '发票异常核查', from: 'active' });

      const reinstated = await t.http().post(`/v1/admin/retailers/${r.id}/reinstate`).set(admin.auth).send({ reason: '核查完毕' }).expect(200);
      expect(reinstated.body).toMatchObject({ status: 'active', statusReason: '核查完毕' });
      await t.http().post(`/v1/admin/retailers/${r.id}/reinstate`).set(admin.auth).send({ reason: '核查完毕' }).expect(200);
      expect(await events(r.id, 'retailer.reinstated')).toHaveLength(1);
      expect(await repo.findById(r.id)).toMatchObject({ status: 'active' });
    });

    it('needs a reason (400) and a known retailer (404)', async () => {
      const r = await create();
      const before = await counts();
      for (const reason of [undefined, '', '   ', 'x'.repeat(501)]) {
        const res = await t.http().post(`/v1/admin/retailers/${r.id}/suspend`).set(admin.auth).send({ reason }).expect(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('reason');
      }
      await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/suspend`).set(admin.auth).send({ reason: 'x' }).expect(404);
      await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/reinstate`).set(admin.auth).send({ reason: 'x' }).expect(404);
      expect(await counts()).toEqual(before);
    });
  });

  describe('access', () => {
    const routes = (id: string, keyId: string): [string, string, object | undefined][] => [
      ['post', '/v1/admin/retailers', body()],
      ['get', '/v1/admin/retailers', undefined],
      ['get', `/v1/admin/retailers/${id}`, undefined],
      ['post', `/v1/admin/retailers/${id}/stores`, { code: 'Z-1', name: 'z', city: 'hangzhou' }],
      ['post', `/v1/admin/retailers/${id}/staff`, { email: `${uniq().toLowerCase()}@x.cn`, password: 'password-123', name: 'z' }],
      ['post', `/v1/admin/retailers/${id}/api-keys`, undefined],
      ['post', `/v1/admin/retailers/${id}/api-keys/${keyId}/revoke`, undefined],
      ['post', `/v1/admin/retailers/${id}/suspend`, { reason: 'x' }],
      ['post', `/v1/admin/retailers/${id}/reinstate`, { reason: 'x' }],
    ];

    it('an auditor gets 403 and no token gets 401 on every endpoint, and nothing changes', async () => {
      const r = await create();
      const { body: key } = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).expect(201);
      const auditor = await t.make.auditor();
      const before = await counts();
      const failures: string[] = [];
      for (const [method, path, payload] of routes(r.id, key.id)) {
        const asAuditor = await (t.http() as any)[method](path).set(auditor.auth).send(payload);
        const anonymous = await (t.http() as any)[method](path).send(payload);
        if (asAuditor.status !== 403 || asAuditor.body.code !== 'forbidden') failures.push(`auditor ${method} ${path} → ${asAuditor.status}`);
        if (anonymous.status !== 401 || anonymous.body.code !== 'unauthorized') failures.push(`anonymous ${method} ${path} → ${anonymous.status}`);
      }
      expect(failures).toEqual([]);
      expect(await counts()).toEqual(before);
    });
  });

  it('the factory makes a retailer whose staff token and POS key work', async () => {
    const r = await t.make.retailer({ city: 'ningbo', stores: [{ code: 'NB-7', city: 'ningbo' }, { code: 'HZ-7', city: 'hangzhou' }] });
    expect(r.stores.map((s) => [s.code, s.city])).toEqual([['HZ-7', 'hangzhou'], ['NB-7', 'ningbo']]);
    expect(await t.app.get(ApiKeysService).authenticate(r.apiKey)).toMatchObject({ role: 'retailer', retailerId: r.id });
    await t.http().get(`/v1/admin/retailers/${r.id}`).set(r.auth).expect(403);
    await t.http().get(`/v1/admin/retailers/${r.id}`).set(r.keyAuth).expect(403);
    const defaults = await t.make.retailer();
    expect(defaults.stores).toEqual([{ id: expect.any(String), code: 'S-001', name: expect.any(String), city: 'hangzhou' }]);
  });

  it('documents the admin endpoints in OpenAPI with request and response shapes', async () => {
    const { body: doc } = await t.http().get('/docs-json').expect(200);
    const created = (path: string) => doc.paths[path].post.responses['201'].content['application/json'].schema.$ref;
    expect(doc.paths['/v1/admin/retailers'].post.requestBody).toBeDefined();
    expect(created('/v1/admin/retailers')).toContain('RetailerDto');
    expect(created('/v1/admin/retailers/{id}/api-keys')).toContain('ApiKeyCreatedDto');
    expect(created('/v1/admin/recyclers/{id}/keys')).toContain('RecyclerKeyDto');
    expect(doc.paths['/v1/admin/retailers/{id}/suspend'].post.responses['200']).toBeDefined();
    expect(doc.paths['/v1/admin/recyclers/{id}/keys/{kid}/revoke'].post.responses['200']).toBeDefined();
    expect(Object.keys(doc.components.schemas.PayoutViewDto.properties)).toEqual(['stripeAccountId', 'bank', 'version', 'changedAt']);
  });

  it('never writes bank account numbers or API keys to the logs', async () => {
    t.logs.length = 0;
    const r = await create({ payout: { bank: { accountName: 'x', accountNumber: '9876543210987654', bankCode: 'ICBC' } } });
    await t.http().post('/v1/admin/retailers').set(admin.auth).send(body({ payout: { bank: { accountName: 'x', accountNumber: '98765432109876XX', bankCode: 'ICBC' } } })).expect(400);
    const { body: key } = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).expect(201);
    await t.http().get(`/v1/admin/retailers/${r.id}`).set('X-Api-Key', key.key).expect(403);
    const text = t.logs.join('');
    expect(t.logs.length).toBeGreaterThan(2);
    expect(text).not.toContain('9876543210987654');
    expect(text).not.toContain('98765432109876XX');
    expect(text).not.toContain(key.key);
  });
});
