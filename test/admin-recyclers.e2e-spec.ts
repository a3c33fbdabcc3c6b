import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import { ApiKeysService } from '@huanxin/auth';
import { keyTrustedForSignatureAt, RecyclerKeysRepository, RecyclersRepository, wasCertifiedAt } from '@huanxin/recycling';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { randomCreditCode, uniq } from './support/ids';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

async function ed25519PublicJwk(): Promise<{ kty: string; crv: string; x: string }> {
  const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  return { kty: kty!, crv: crv!, x: x! };
}

describe('admin: recyclers (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
  });
  afterAll(() => t.close());

  const create = async () =>
    (await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: '浙江测试再生资源有限公司', creditCode: randomCreditCode() }).expect(201)).body;
  const counts = async () =>
    (await t.db.query(`SELECT (SELECT count(*) FROM recyclers)::int AS r, (SELECT count(*) FROM recycler_keys)::int AS k,
      (SELECT count(*) FROM recycler_certifications)::int AS c, (SELECT count(*) FROM api_keys)::int AS a,
      (SELECT count(*) FROM audit_events)::int AS e`))[0];
  const events = (recyclerId: string, action: string) =>
    t.db.query(`SELECT details FROM audit_events WHERE subject_type = 'recycler' AND subject_id = $1 AND action = $2 ORDER BY id`, [recyclerId, action]);
  const fields = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);

  describe('POST /v1/admin/recyclers and GET /v1/admin/recyclers/{id}', () => {
    it('certifies a recycler, normalising its credit code', async () => {
      const creditCode = randomCreditCode();
      const res = await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: '回收甲', creditCode: ` ${creditCode.toLowerCase()} ` }).expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(String), name: '回收甲', creditCode, status: 'certified',
        certifiedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/), decertifiedAt: null, keys: [],
      });
      expect(res.body.certifications).toEqual([{ certifiedAt: res.body.certifiedAt, decertifiedAt: null }]);
      const got = await t.http().get(`/v1/admin/recyclers/${res.body.id}`).set(admin.auth).expect(200);
      expect(got.body).toEqual(res.body);
      const [event] = await events(res.body.id, 'recycler.created');
      expect(event.details).toEqual({ name: '回收甲', creditCode, certifiedFrom: res.body.certifiedAt });
    });

    it('refuses a bad check character or an unknown field (400) and a second registration of a credit code (409), changing nothing', async () => {
      const first = await create();
      const before = await counts();
      const code = randomCreditCode();
      const bad = await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: 'x', creditCode: code.slice(0, 17) + (code[17] === '0' ? '1' : '0') }).expect(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(fields(bad)).toEqual(['creditCode']);
      const extra = await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: 'x', creditCode: randomCreditCode(), status: 'decertified' }).expect(400);
      expect(fields(extra)).toEqual(['status']);
      const dup = await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: 'y', creditCode: first.creditCode.toLowerCase() }).expect(409);
      expect(dup.body.code).toBe('duplicate');
      expect(await counts()).toEqual(before);
    });

    it('answers 404 not_found for an unknown id', async () => {
      for (const id of [UNKNOWN_ID, 'nope']) {
        const res = await t.http().get(`/v1/admin/recyclers/${id}`).set(admin.auth).expect(404);
        expect(res.body.code).toBe('not_found');
      }
    });
  });

  describe('signing keys', () => {
    it('registers an Ed25519 public key, keeps only {kty, crv, x}, and audits its thumbprint, not the key', async () => {
      const r = await create();
      const jwk = await ed25519PublicJwk();
      const res = await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth)
        .send({ kid: 'key-2026.a_1', publicKeyJwk: { ...jwk, kid: 'key-2026.a_1', use: 'sig', alg: 'EdDSA' } }).expect(201);
      expect(res.body).toEqual({
        recyclerId: r.id, kid: 'key-2026.a_1', publicKeyJwk: jwk,
        createdAt: expect.stringMatching(/\+08:00$/), revokedAt: null, reason: null,
      });
      const [row] = await t.db.query(`SELECT public_key_jwk FROM recycler_keys WHERE recycler_id = $1 AND kid = $2`, [r.id, 'key-2026.a_1']);
      expect(row.public_key_jwk).toEqual(jwk);

      const key = await t.app.get(RecyclerKeysRepository).find(r.id, 'key-2026.a_1');
      expect(key).toMatchObject({ recyclerId: r.id, kid: 'key-2026.a_1', publicKeyJwk: jwk, revokedAt: null, revokeReason: null });
      expect(await t.app.get(RecyclerKeysRepository).find(r.id, 'other')).toBeUndefined();
      expect(await t.app.get(RecyclerKeysRepository).find('not-a-uuid', 'key-2026.a_1')).toBeUndefined();

      const [event] = await events(r.id, 'recycler.key_registered');
      expect(event.details).toEqual({ kid: 'key-2026.a_1', jwkThumbprint: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(JSON.stringify(event)).not.toContain(jwk.x);

      const got = await t.http().get(`/v1/admin/recyclers/${r.id}`).set(admin.auth).expect(200);
      expect(got.body.keys).toEqual([res.body]);
    });

    it.each([
      ['a private key (with d)', async () => ({ ...(await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }).then((k) => exportJWK(k.privateKey))) }), 'publicKeyJwk.d'],
      ['an RSA key', async () => exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey), 'publicKeyJwk.kty'],
      ['an EC P-256 key', async () => exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey), 'publicKeyJwk.kty'],
      ['a wrong curve (X25519)', async () => ({ ...(await ed25519PublicJwk()), crv: 'X25519' }), 'publicKeyJwk.crv'],
      ['a wrong curve (Ed448)', async () => ({ ...(await ed25519PublicJwk()), crv: 'Ed448' }), 'publicKeyJwk.crv'],
      ['x of 31 bytes', async () => ({ ...(await ed25519PublicJwk()), x: Buffer.alloc(31, 7).toString('base64url') }), 'publicKeyJwk.x'],
      ['x of 33 bytes', async () => ({ ...(await ed25519PublicJwk()), x: Buffer.alloc(33, 7).toString('base64url') }), 'publicKeyJwk.x'],
      ['x in padded base64', async () => ({ ...(await ed25519PublicJwk()), x: Buffer.alloc(32, 250).toString('base64') }), 'publicKeyJwk.x'],
      ['no x', async () => ({ kty: 'OKP', crv: 'Ed25519' }), 'publicKeyJwk.x'],
      ['a symmetric key', async () => ({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }), 'publicKeyJwk.k'],
      ['a kid in the JWK that differs', async () => ({ ...(await ed25519PublicJwk()), kid: 'other' }), 'publicKeyJwk.kid'],
      ['an unknown JWK member', async () => ({ ...(await ed25519PublicJwk()), x5c: ['MIIB'] }), 'publicKeyJwk.x5c'],
      ['a JWK that is a string', async () => 'eyJrdHkiOiJPS1AifQ', 'publicKeyJwk'],
      ['no JWK', async () => undefined, 'publicKeyJwk'],
    ])('refuses %s with validation_failed naming the member; nothing stored or echoed', async (_label, makeJwk, field) => {
      const r = await create();
      const publicKeyJwk = await makeJwk();
      const before = await counts();
      const res = await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth).send({ kid: 'k1', publicKeyJwk }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
      // whatever secret the JWK held (d of a private key, k of a symmetric one) is not in the answer
      const { d, k } = (publicKeyJwk && typeof publicKeyJwk === 'object' ? publicKeyJwk : {}) as { d?: string; k?: string };
      expect(JSON.stringify(res.body)).not.toContain(d ?? k ?? '\u0000no-secret');
    });

    it('refuses a malformed kid (400), a kid registered twice for one recycler (409), and an unknown recycler (404)', async () => {
      const r = await create();
      const other = await create();
      for (const kid of ['', 'has space', 'slash/kid', 'x'.repeat(101)]) {
        const res = await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth).send({ kid, publicKeyJwk: await ed25519PublicJwk() }).expect(400);
        expect(fields(res)).toContain('kid');
      }
      await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth).send({ kid: 'k1', publicKeyJwk: await ed25519PublicJwk() }).expect(201);
      const before = await counts();
      const dup = await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth).send({ kid: 'k1', publicKeyJwk: await ed25519PublicJwk() }).expect(409);
      expect(dup.body.code).toBe('duplicate');
      const unknown = await t.http().post(`/v1/admin/recyclers/${UNKNOWN_ID}/keys`).set(admin.auth).send({ kid: 'k1', publicKeyJwk: await ed25519PublicJwk() }).expect(404);
      expect(unknown.body.code).toBe('not_found');
      expect(await counts()).toEqual(before);
      // another recycler may use the same kid
      await t.http().post(`/v1/admin/recyclers/${other.id}/keys`).set(admin.auth).send({ kid: 'k1', publicKeyJwk: await ed25519PublicJwk() }).expect(201);
    });
  });

  describe('revoking signing keys', () => {
    const register = async (recyclerId: string, kid: string) =>
      t.http().post(`/v1/admin/recyclers/${recyclerId}/keys`).set(admin.auth).send({ kid, publicKeyJwk: await ed25519PublicJwk() }).expect(201);
    const revoke = (recyclerId: string, kid: string, reason: string) =>
      t.http().post(`/v1/admin/recyclers/${recyclerId}/keys/${kid}/revoke`).set(admin.auth).send({ reason });

    it('retires a key: earlier signatures stay trusted, later ones do not; revoking again is 409 conflict', async () => {
      const r = await create();
      await register(r.id, 'old');
      const res = await revoke(r.id, 'old', 'retired').expect(200);
      expect(res.body).toEqual({ kid: 'old', revokedAt: expect.stringMatching(/\+08:00$/), reason: 'retired' });
      const key = (await t.app.get(RecyclerKeysRepository).find(r.id, 'old'))!;
      expect(key).toMatchObject({ revokeReason: 'retired', revokedAt: expect.any(Date) });
      expect(keyTrustedForSignatureAt(key, new Date(key.revokedAt!.getTime() - 1000))).toBe(true);
      expect(keyTrustedForSignatureAt(key, new Date(key.revokedAt!.getTime() + 1000))).toBe(false);

      const before = await counts();
      const again = await revoke(r.id, 'old', 'retired').expect(409);
      expect(again.body.code).toBe('conflict');
      expect(await counts()).toEqual(before);
      const [event] = await events(r.id, 'recycler.key_revoked');
      expect(event.details).toEqual({ kid: 'old', reason: 'retired' });
    });

    it('a compromised key trusts nothing and is never downgraded to retired', async () => {
      const r = await create();
      await register(r.id, 'leaked');
      const res = await revoke(r.id, 'leaked', 'compromised').expect(200);
      expect(res.body.reason).toBe('compromised');
      const before = await counts();
      for (const reason of ['retired', 'compromised']) {
        const again = await revoke(r.id, 'leaked', reason).expect(409);
        expect(again.body.code).toBe('conflict');
      }
      expect(await counts()).toEqual(before);
      const key = (await t.app.get(RecyclerKeysRepository).find(r.id, 'leaked'))!;
      expect(key.revokeReason).toBe('compromised');
      expect(keyTrustedForSignatureAt(key, new Date(key.revokedAt!.getTime() - 86_400_000))).toBe(false);
    });

    it('a retired key found to be leaked can be raised to compromised, keeping its revocation time', async () => {
      const r = await create();
      await register(r.id, 'k');
      const retired = await revoke(r.id, 'k', 'retired').expect(200);
      const raised = await revoke(r.id, 'k', 'compromised').expect(200);
      expect(raised.body).toEqual({ kid: 'k', revokedAt: retired.body.revokedAt, reason: 'compromised' });
      const audit = await events(r.id, 'recycler.key_revoked');
      expect(audit.map((e: { details: unknown }) => e.details)).toEqual([
        { kid: 'k', reason: 'retired' },
        { kid: 'k', reason: 'compromised', previousReason: 'retired' },
      ]);
    });

    it('refuses an unknown reason (400), an unknown kid or recycler (404)', async () => {
      const r = await create();
      await register(r.id, 'k');
      const before = await counts();
      const bad = await revoke(r.id, 'k', 'lost').expect(400);
      expect(fields(bad)).toEqual(['reason']);
      expect((await revoke(r.id, 'nope', 'retired').expect(404)).body.code).toBe('not_found');
      expect((await revoke(UNKNOWN_ID, 'k', 'retired').expect(404)).body.code).toBe('not_found');
      expect(await counts()).toEqual(before);
    });
  });

  describe('API keys', () => {
    it('issues a key that authenticates as the recycler until revoked; the audit log never holds it', async () => {
      const r = await create();
      const res = await t.http().post(`/v1/admin/recyclers/${r.id}/api-keys`).set(admin.auth).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), key: expect.stringMatching(/^hx_/) });
      const keys = t.app.get(ApiKeysService);
      expect(await keys.authenticate(res.body.key)).toEqual({ kind: 'api_key', id: res.body.id, role: 'recycler', recyclerId: r.id });
      await t.http().get(`/v1/admin/recyclers/${r.id}`).set('X-Api-Key', res.body.key).expect(403);

      await t.http().post(`/v1/admin/recyclers/${r.id}/api-keys/${res.body.id}/revoke`).set(admin.auth).expect(200);
      expect(await keys.authenticate(res.body.key)).toBeUndefined();
      await t.http().get(`/v1/admin/recyclers/${r.id}`).set('X-Api-Key', res.body.key).expect(401);
      const again = await t.http().post(`/v1/admin/recyclers/${r.id}/api-keys/${res.body.id}/revoke`).set(admin.auth).expect(409);
      expect(again.body.code).toBe('conflict');

      expect((await events(r.id, 'recycler.api_key_created'))[0].details).toEqual({ keyId: res.body.id });
      expect((await events(r.id, 'recycler.api_key_revoked'))[0].details).toEqual({ keyId: res.body.id });
      const all = await t.db.query(`SELECT actor, details FROM audit_events`);
      expect(JSON.stringify(all)).not.toContain(res.body.key);
      await t.http().post(`/v1/admin/recyclers/${UNKNOWN_ID}/api-keys`).set(admin.auth).expect(404);
    });
  });

  describe('decertify and recertify', () => {
    afterEach(() => t.clock.set(undefined));

    it('keeps every certification period, so receipts signed while certified stay acceptable', async () => {
      const t0 = new Date('2026-11-01T02:00:00Z');
      const t1 = new Date('2026-11-10T02:00:00Z');
      const t2 = new Date('2026-11-20T02:00:00Z');
      t.clock.set(t0);
      const r = await create();
      t.clock.set(t1);
      const off = await t.http().post(`/v1/admin/recyclers/${r.id}/decertify`).set(admin.auth).send({ reason: '资质过期' }).expect(200);
      expect(off.body).toMatchObject({ status: 'decertified', certifiedAt: '2026-11-01T10:00:00+08:00', decertifiedAt: '2026-11-10T10:00:00+08:00' });
      // idempotent: no change, no second event
      await t.http().post(`/v1/admin/recyclers/${r.id}/decertify`).set(admin.auth).send({ reason: 'again' }).expect(200);
      expect(await events(r.id, 'recycler.decertified')).toEqual([{ details: { reason: '资质过期' } }]);

      t.clock.set(t2);
      const on = await t.http().post(`/v1/admin/recyclers/${r.id}/recertify`).set(admin.auth).send({ reason: '资质更新' }).expect(200);
      expect(on.body).toMatchObject({ status: 'certified', certifiedAt: '2026-11-20T10:00:00+08:00', decertifiedAt: null });
      expect(on.body.certifications).toEqual([
        { certifiedAt: '2026-11-01T10:00:00+08:00', decertifiedAt: '2026-11-10T10:00:00+08:00' },
        { certifiedAt: '2026-11-20T10:00:00+08:00', decertifiedAt: null },
      ]);
      await t.http().post(`/v1/admin/recyclers/${r.id}/recertify`).set(admin.auth).send({ reason: 'again' }).expect(200);
      expect(await events(r.id, 'recycler.recertified')).toEqual([{ details: { reason: '资质更新' } }]);

      const periods = await t.app.get(RecyclersRepository).certificationPeriods(r.id);
      expect(periods).toEqual([{ certifiedAt: t0, decertifiedAt: t1 }, { certifiedAt: t2, decertifiedAt: null }]);
      expect(wasCertifiedAt(periods, new Date('2026-11-05T00:00:00Z'))).toBe(true);
      expect(wasCertifiedAt(periods, new Date('2026-11-15T00:00:00Z'))).toBe(false);
      expect(wasCertifiedAt(periods, new Date('2026-11-25T00:00:00Z'))).toBe(true);
      expect(wasCertifiedAt(periods, new Date('2026-10-25T00:00:00Z'))).toBe(false);
      expect(await t.app.get(RecyclersRepository).findById(r.id)).toMatchObject({ status: 'certified', certifiedAt: t2, decertifiedAt: null });
    });

    it('needs a reason (400) and a known recycler (404)', async () => {
      const r = await create();
      const before = await counts();
      expect(new Set(fields(await t.http().post(`/v1/admin/recyclers/${r.id}/decertify`).set(admin.auth).send({}).expect(400)))).toEqual(new Set(['reason']));
      await t.http().post(`/v1/admin/recyclers/${UNKNOWN_ID}/decertify`).set(admin.auth).send({ reason: 'x' }).expect(404);
      await t.http().post(`/v1/admin/recyclers/${UNKNOWN_ID}/recertify`).set(admin.auth).send({ reason: 'x' }).expect(404);
      expect(await counts()).toEqual(before);
    });
  });

  describe('access', () => {
    it('an auditor gets 403 and no token gets 401 on every endpoint, and nothing changes', async () => {
      const r = await create();
      const { body: apiKey } = await t.http().post(`/v1/admin/recyclers/${r.id}/api-keys`).set(admin.auth).expect(201);
      const jwk = await ed25519PublicJwk();
      await t.http().post(`/v1/admin/recyclers/${r.id}/keys`).set(admin.auth).send({ kid: 'k', publicKeyJwk: jwk }).expect(201);
      const auditor = await t.make.auditor();
      const routes: [string, string, object | undefined][] = [
        ['post', '/v1/admin/recyclers', { name: 'x', creditCode: randomCreditCode() }],
        ['get', `/v1/admin/recyclers/${r.id}`, undefined],
        ['post', `/v1/admin/recyclers/${r.id}/keys`, { kid: `k-${uniq()}`, publicKeyJwk: jwk }],
        ['post', `/v1/admin/recyclers/${r.id}/keys/k/revoke`, { reason: 'compromised' }],
        ['post', `/v1/admin/recyclers/${r.id}/api-keys`, undefined],
        ['post', `/v1/admin/recyclers/${r.id}/api-keys/${apiKey.id}/revoke`, undefined],
        ['post', `/v1/admin/recyclers/${r.id}/decertify`, { reason: 'x' }],
        ['post', `/v1/admin/recyclers/${r.id}/recertify`, { reason: 'x' }],
      ];
      const before = await counts();
      const failures: string[] = [];
      for (const [method, path, payload] of routes) {
        const asAuditor = await (t.http() as any)[method](path).set(auditor.auth).send(payload);
        const anonymous = await (t.http() as any)[method](path).send(payload);
        if (asAuditor.status !== 403 || asAuditor.body.code !== 'forbidden') failures.push(`auditor ${method} ${path} → ${asAuditor.status}`);
        if (anonymous.status !== 401 || anonymous.body.code !== 'unauthorized') failures.push(`anonymous ${method} ${path} → ${anonymous.status}`);
      }
      expect(failures).toEqual([]);
      expect(await counts()).toEqual(before);
    });
  });

  it('the factory makes a recycler whose private key signs what its registered key verifies', async () => {
    const rec = await t.make.recycler();
    const registered = (await t.app.get(RecyclerKeysRepository).find(rec.id, rec.kid))!;
    expect(registered.publicKeyJwk).toEqual(rec.publicJwk);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify({ rid: uniq(), iss: rec.id })))
      .setProtectedHeader({ alg: 'EdDSA', kid: rec.kid, typ: 'hx-receipt+jwt' })
      .sign(rec.privateKey);
    const { protectedHeader } = await compactVerify(jws, await importJWK(registered.publicKeyJwk, 'EdDSA'));
    expect(protectedHeader.kid).toBe(rec.kid);
    expect(await t.app.get(ApiKeysService).authenticate(rec.apiKey)).toMatchObject({ role: 'recycler', recyclerId: rec.id });
  });
});
