import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestApp, TestApp } from './support/app';
import { randomGtin, uniq } from './support/ids';
import { Scenario } from './support/scenario';

/** The API the portal added (issue 9), through HTTP: web sessions, who am I, public programmes, the till's reads, the quote. */
describe('portal API (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  const PORTAL = { 'x-huanxin-portal': '1' };

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'] });
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  const cookieOf = (res: { headers: Record<string, unknown> }) => {
    const set = ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
    return set.find((c) => c.startsWith('hx_session='));
  };

  describe('web sessions', () => {
    it('signs in with the refresh token only in an httpOnly SameSite=Strict cookie scoped to the session path', async () => {
      const h = await s.household();
      const res = await t.http().post('/v1/auth/session').set(PORTAL).send({ username: h.phone, password: h.password }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'role']);
      expect(res.body.role).toBe('household');
      const cookie = cookieOf(res)!;
      expect(cookie).toMatch(/^hx_session=[^;]{20,};/);
      expect(cookie).toContain('Path=/v1/auth/session');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).not.toContain('Secure'); // plain HTTP here; Secure when the request came over HTTPS
      const me = await t.http().get('/v1/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).toEqual({ id: h.id, role: 'household', name: '测试住户', email: null, phone: `${h.phone.slice(0, 3)}****${h.phone.slice(-4)}`, city: 'hangzhou', retailerId: null, idNumberLast4: h.idNumber.slice(-4) });
    });

    it('refreshes by the cookie, rotating it; a reused cookie ends the whole session; logout ends it too', async () => {
      const h = await s.household();
      const first = cookieOf(await t.http().post('/v1/auth/session').set(PORTAL).send({ username: h.phone, password: h.password }).expect(200))!.split(';')[0];
      const r1 = await t.http().post('/v1/auth/session/refresh').set(PORTAL).set('Cookie', first).expect(200);
      const second = cookieOf(r1)!.split(';')[0];
      expect(second).not.toBe(first);
      await t.http().get('/v1/household/vouchers').set('Authorization', `Bearer ${r1.body.accessToken}`).expect(200);
      // the old cookie again: reuse, the family is revoked, the cookie cleared, the access token stops
      const reuse = await t.http().post('/v1/auth/session/refresh').set(PORTAL).set('Cookie', first).expect(401);
      expect(reuse.body.code).toBe('unauthorized');
      expect(cookieOf(reuse)).toMatch(/^hx_session=;/);
      await t.http().post('/v1/auth/session/refresh').set(PORTAL).set('Cookie', second).expect(401);
      await t.http().get('/v1/household/vouchers').set('Authorization', `Bearer ${r1.body.accessToken}`).expect(401);

      const h2 = await s.household();
      const signIn = await t.http().post('/v1/auth/session').set(PORTAL).send({ username: h2.phone, password: h2.password }).expect(200);
      const c = cookieOf(signIn)!.split(';')[0];
      const out = await t.http().post('/v1/auth/session/logout').set(PORTAL).set('Cookie', c).expect(204);
      expect(cookieOf(out)).toMatch(/^hx_session=;/);
      await t.http().post('/v1/auth/session/refresh').set(PORTAL).set('Cookie', c).expect(401);
      await t.http().get('/v1/me').set('Authorization', `Bearer ${signIn.body.accessToken}`).expect(401);
      // signing out without a session is fine (a second tab)
      await t.http().post('/v1/auth/session/logout').set(PORTAL).expect(204);
    });

    it('every session call needs the portal header (CSRF: a foreign page cannot send it without a preflight)', async () => {
      const h = await s.household();
      const noHeader = await t.http().post('/v1/auth/session').send({ username: h.phone, password: h.password }).expect(403);
      expect(noHeader.body.code).toBe('forbidden');
      expect(cookieOf(noHeader)).toBeUndefined();
      const c = cookieOf(await t.http().post('/v1/auth/session').set(PORTAL).send({ username: h.phone, password: h.password }).expect(200))!.split(';')[0];
      await t.http().post('/v1/auth/session/refresh').set('Cookie', c).expect(403);
      await t.http().post('/v1/auth/session/logout').set('Cookie', c).expect(403);
      // the session still works: nothing was revoked by the refused calls
      await t.http().post('/v1/auth/session/refresh').set(PORTAL).set('Cookie', c).expect(200);
      await t.http().post('/v1/auth/session/refresh').set(PORTAL).expect(401);
      await t.http().post('/v1/auth/session').set(PORTAL).send({ username: h.phone, password: 'wrong-password' }).expect(401);
      // /v1/me is for people: an API key is refused
      await t.http().get('/v1/me').set(s.retailer.keyAuth).expect(401);
      await t.http().get('/v1/me').expect(401);
    });
  });

  it('lists programmes that have not ended, for anyone', async () => {
    const ended = await Scenario.create(t, { cities: ['ningbo'], startsAt: new Date(Date.now() - 90 * 86400e3), endsAt: new Date(Date.now() - 86400e3) });
    const res = await t.http().get('/v1/public/programs').expect(200);
    const codes = res.body.items.map((p: { code: string }) => p.code);
    expect(codes).toContain(s.programCode);
    expect(codes).not.toContain(ended.programCode);
    expect(res.body.items.find((p: { code: string }) => p.code === s.programCode)).toEqual({
      code: s.programCode, name: '测试项目', startsAt: expect.any(String), endsAt: expect.any(String), voucherValidityDays: 30, perHouseholdLimit: 1,
    });
  });

  describe('the till', () => {
    it('lists the retailer\'s own stores and searches the approved catalogue by GTIN or name', async () => {
      const stores = await t.http().get('/v1/retailer/stores').set(s.retailer.keyAuth).expect(200);
      expect(stores.body.items).toEqual([{ code: 'ST-1', name: '测试门店 1', city: 'hangzhou' }, { code: 'ST-2', name: '测试门店 2', city: 'ningbo' }]);
      const gtin = randomGtin();
      const modelCode = `M-${uniq()}`;
      const name = `银河 ${uniq()}`;
      await s.post('/v1/admin/catalog/models', { modelCode, gtin, brand: 'TCL', name, category: 'tv', resolution: '8K', energyGrade: 2, screenInches: 75, referencePriceFen: 900000 }, 201);
      expect((await t.http().get('/v1/retailer/catalog').query({ q: gtin }).set(s.retailer.auth).expect(200)).body.items).toEqual([]);
      await s.post(`/v1/admin/catalog/models/${modelCode}/approve`, undefined, 200);
      const byGtin = await t.http().get('/v1/retailer/catalog').query({ q: gtin }).set(s.retailer.auth).expect(200);
      expect(byGtin.body.items[0]).toMatchObject({ modelCode, gtin, brand: 'TCL', name, status: 'approved' });
      const byName = await t.http().get('/v1/retailer/catalog').query({ q: name.slice(3).toLowerCase() }).set(s.retailer.keyAuth).expect(200);
      expect(byName.body.items.map((m: { modelCode: string }) => m.modelCode)).toEqual([modelCode]);
      // LIKE wildcards are matched literally
      expect((await t.http().get('/v1/retailer/catalog').query({ q: '%' }).set(s.retailer.keyAuth).expect(200)).body.items).toEqual([]);
      const bad = await t.http().get('/v1/retailer/catalog').query({ q: 'x'.repeat(65) }).set(s.retailer.keyAuth).expect(400);
      expect(bad.body.code).toBe('validation_failed');
      await t.http().get('/v1/retailer/catalog').set(s.retailer.keyAuth).expect(400);
      const h = await s.household();
      await t.http().get('/v1/retailer/stores').set(h.auth).expect(403);
      await t.http().get('/v1/retailer/catalog').query({ q: gtin }).set(h.auth).expect(403);
    });

    it('quotes a trade-in with every check and changes nothing; the submission then answers the same subsidy', async () => {
      const h = await s.household();
      const { code } = await s.voucher(h);
      const body = await s.tradeInBody(h, code, { salePriceFen: 599900 });
      const before = await s.snapshot();
      const q1 = await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.keyAuth).send(body).expect(200);
      const q2 = await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.auth).send(body).expect(200);
      expect(q1.body).toEqual({ status: 'approved', subsidy: { baseFen: 599900, rateBp: 2000, capFen: 200000, amountFen: 119980, capped: false }, payableByCustomerFen: 479920, policyVersion: 1, flags: [] });
      expect(q2.body).toEqual(q1.body);
      expect(await s.snapshot()).toEqual(before);
      const sub = await s.tradeIn(body).expect(201);
      const { claimId, ...rest } = sub.body;
      expect(claimId).toEqual(expect.any(String));
      expect(rest).toEqual(q1.body);
      // now the same sale is refused by the quote exactly as a submission would be
      const again = await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.keyAuth).send(body).expect(409);
      expect(again.body.code).toBe('voucher_used');
      const other = await s.household();
      const v2 = await s.voucher(other);
      const wrongHolder = await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.keyAuth).send(await s.tradeInBody(other, v2.code, { recyclingReceipt: await s.receipt(h.idNumber) })).expect(422);
      expect(wrongHolder.body.code).toBe('receipt_holder_mismatch');
      const malformed = await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.keyAuth).send({ ...body, salePriceFen: 'lots' }).expect(400);
      expect(malformed.body.code).toBe('validation_failed');
      // an Idempotency-Key on a quote is ignored (nothing is stored), and households cannot quote
      await t.http().post('/v1/retailer/trade-ins/quote').set(s.retailer.keyAuth).set('Idempotency-Key', `q-${uniq()}`).send(await s.tradeInBody(other, v2.code)).expect(200);
      await t.http().post('/v1/retailer/trade-ins/quote').set(h.auth).send(body).expect(403);
    });

    it('filters its claims by status; a household sees the decision fields on its claims', async () => {
      const h = await s.household();
      const { code } = await s.voucher(h);
      const sub = await s.tradeIn(await s.tradeInBody(h, code)).expect(201);
      await t.http().post(`/v1/retailer/claims/${sub.body.claimId}/cancel`).set(s.retailer.keyAuth).send({ reason: '顾客退货' }).expect(200);
      const cancelled = await t.http().get('/v1/retailer/claims').query({ status: 'cancelled' }).set(s.retailer.keyAuth).expect(200);
      expect(cancelled.body.items.length).toBeGreaterThan(0);
      expect(new Set(cancelled.body.items.map((c: { status: string }) => c.status))).toEqual(new Set(['cancelled']));
      expect(cancelled.body.items[0]).toMatchObject({ id: sub.body.claimId, cancelReason: '顾客退货', cancelledAt: expect.stringMatching(/\+08:00$/), updatedAt: expect.stringMatching(/\+08:00$/) });
      const bad = await t.http().get('/v1/retailer/claims').query({ status: 'lost' }).set(s.retailer.keyAuth).expect(400);
      expect(bad.body.code).toBe('validation_failed');
      const mine = await t.http().get('/v1/household/claims').set(h.auth).expect(200);
      expect(mine.body.items[0]).toMatchObject({ status: 'cancelled', decidedAt: null, decisionReason: null, cancelReason: '顾客退货' });
    });
  });

  it('the portal\'s typed client is generated from the contract this API serves (npm run portal:client)', async () => {
    const doc = await t.http().get('/docs-json').expect(200);
    const dir = mkdtempSync(join(tmpdir(), 'huanxin-openapi-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc.body, null, 2));
    const root = resolve(__dirname, '..');
    execFileSync(join(root, 'node_modules/.bin/openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'schema.d.ts')], { cwd: root, stdio: 'pipe' });
    const fresh = readFileSync(join(dir, 'schema.d.ts'), 'utf8');
    const checkedIn = readFileSync(join(root, 'apps/portal/src/api/schema.d.ts'), 'utf8');
    // a difference means the contract moved and the pages were not regenerated: run `npm run portal:client`
    expect(checkedIn === fresh).toBe(true);
  });
});
