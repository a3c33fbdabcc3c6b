import { createHash } from 'node:crypto';
import { compactVerify, generateKeyPair, importJWK, JWK } from 'jose';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { signReceipt } from '@huanxin/recycling';
import { startTestApp, TestApp } from './support/app';
import type { Household, RecyclerFixture } from './support/factories';
import { randomCreditCode, uniq } from './support/ids';
import { Scenario } from './support/scenario';

/**
 * Receipt transparency and certification dates (issue 13, API.md "Receipt transparency and dismantling"): a recycler
 * registers each receipt as it issues it, the platform's clock becomes its issue time, and a programme whose policy
 * requires registration refuses unregistered, back-dated or late receipts with their own codes.
 */
describe('receipt transparency (e2e)', () => {
  let t: TestApp;
  let s: Scenario;

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou'] });
  });
  afterEach(() => t.clock.set(undefined));
  afterAll(() => t.close());

  const register = (r: RecyclerFixture, receipt: unknown) => t.http().post('/v1/recycler/receipts').set(r.keyAuth).send({ receipt });
  const hashOf = (jws: string) => createHash('sha256').update(jws).digest('hex');
  const events = (subjectId: string, action: string) =>
    t.db.query(`SELECT actor, details FROM audit_events WHERE subject_type = 'receipt' AND subject_id = $1 AND action = $2`, [subjectId, action]);
  const hoursAgo = (h: number) => new Date(t.clock.now().getTime() - h * 3600e3);

  /** A programme whose policy requires registered receipts, with the grace asked for. */
  async function requiring(graceHours: number, extra: Record<string, unknown> = {}): Promise<Scenario> {
    const p = await Scenario.create(t, { cities: ['hangzhou'], rules: { receiptRegistration: { required: true, graceHours }, ...extra } });
    p.recycler = s.recycler; // one recycler serves every programme
    return p;
  }

  async function sale(p: Scenario, receiptFor: (h: Household) => Promise<string>) {
    const h = await p.household();
    const v = await p.voucher(h);
    const body = await p.tradeInBody(h, v.code, { recyclingReceipt: await receiptFor(h) });
    return { h, body };
  }

  describe('POST /v1/recycler/receipts', () => {
    it('registers a receipt: 201 with the platform time and a timestamp signed by the audit key; an audit event; only the hash is kept', async () => {
      const h = await s.household();
      const receipt = await s.receipt(h.idNumber, { issuedAt: hoursAgo(0.01) });
      const res = await register(s.recycler, receipt).expect(201);
      const { rid, holderIdHash } = JSON.parse(Buffer.from(receipt.split('.')[1], 'base64url').toString());
      expect(res.body).toEqual({
        iss: s.recycler.id, rid, registeredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/),
        timestampToken: expect.any(String),
      });
      expect(Math.abs(Date.parse(res.body.registeredAt) - Date.now())).toBeLessThan(60_000);

      // anyone holding the platform's public key checks the timestamp
      const jwk = (await t.http().get('/v1/audit/public-key').set(s.admin.auth).expect(200)).body as JWK;
      const { payload, protectedHeader } = await compactVerify(res.body.timestampToken, await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'));
      expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'hx-receipt-timestamp+jwt', kid: jwk.kid });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ iss: s.recycler.id, rid, receiptHash: hashOf(receipt), registeredAt: res.body.registeredAt });
      // a forged token does not verify
      const [h64, p64, sig] = res.body.timestampToken.split('.');
      const forged = `${h64}.${Buffer.from(JSON.stringify({ iss: s.recycler.id, rid, receiptHash: hashOf(receipt), registeredAt: '2020-01-01T00:00:00.000+08:00' })).toString('base64url')}.${sig}`;
      await expect(compactVerify(forged, await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'))).rejects.toThrow();
      expect(p64).toBeTruthy();

      const [event] = await events(`${s.recycler.id}/${rid}`, 'receipt.registered');
      expect(event.details).toEqual({ kid: s.recycler.kid, receiptHash: hashOf(receipt), registeredAt: res.body.registeredAt });
      // nothing personal is stored: not the receipt, not the holder's hash
      const [row] = await t.db.query(`SELECT row_to_json(r)::text AS j FROM receipt_registrations r WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]);
      expect(row.j).toContain(hashOf(receipt));
      expect(row.j).not.toContain(holderIdHash);
      expect(row.j).not.toContain(receipt.split('.')[1]);
      expect((await t.db.query(`SELECT row_to_json(e)::text AS j FROM audit_events e WHERE subject_id = $1`, [`${s.recycler.id}/${rid}`]))[0].j).not.toContain(holderIdHash);
    });

    it('the same receipt again answers 200 with the first answer and records nothing; another receipt with the same rid is 409 receipt_rid_conflict', async () => {
      const h = await s.household();
      const rid = `R-${uniq()}`;
      const receipt = await s.receipt(h.idNumber, { rid });
      const first = await register(s.recycler, receipt).expect(201);
      t.clock.set(new Date(Date.now() + 60_000));
      const again = await register(s.recycler, receipt).expect(200);
      expect(again.body).toEqual(first.body);
      expect(await events(`${s.recycler.id}/${rid}`, 'receipt.registered')).toHaveLength(1);

      const other = await s.receipt(h.idNumber, { rid, issuedAt: hoursAgo(2) });
      const conflict = await register(s.recycler, other).expect(409);
      expect(conflict.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(conflict.body.code).toBe('receipt_rid_conflict');
      expect((await t.db.query(`SELECT receipt_hash FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [s.recycler.id, rid]))[0].receipt_hash).toBe(hashOf(receipt));
    });

    it('refuses what it cannot vouch for, each with its code, and stores nothing', async () => {
      const h = await s.household();
      const other = await t.make.recycler();
      const { privateKey: stranger } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const wrongSignature = await signReceipt({
        recyclerId: s.recycler.id, kid: s.recycler.kid, privateKey: stranger, rid: `R-${uniq()}`, holderIdNumber: h.idNumber,
        issuedAt: hoursAgo(1), device: { category: 'tv' },
      });
      const unknownKid = await signReceipt({
        recyclerId: s.recycler.id, kid: 'no-such-kid', privateKey: s.recycler.privateKey, rid: `R-${uniq()}`, holderIdNumber: h.idNumber,
        issuedAt: hoursAgo(1), device: { category: 'tv' },
      });
      const valid = await s.receipt(h.idNumber);
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', kid: s.recycler.kid, typ: 'hx-receipt+jwt' })}.${valid.split('.')[1]}.`;
      const revokedRid = `R-${uniq()}`;
      await t.http().post(`/v1/recycler/receipts/${revokedRid}/revoke`).set(s.recycler.keyAuth).send({ reason: 'error' }).expect(200);
      const before = (await t.db.query(`SELECT count(*)::int AS n FROM receipt_registrations`))[0].n;
      const cases: [string, unknown, number, string, RecyclerFixture?][] = [
        ['not a JWS', 'not-a-jws', 400, 'receipt_malformed'],
        ['a number', 42, 400, 'validation_failed'],
        ['a foreign signature', wrongSignature, 422, 'receipt_signature_invalid'],
        ['an unknown kid', unknownKid, 422, 'receipt_key_unknown'],
        ['a receipt it revoked', await s.receipt(h.idNumber, { rid: revokedRid }), 422, 'receipt_revoked'],
        ["another recycler's receipt", await s.receipt(h.idNumber, { recycler: other }), 403, 'forbidden'],
        ['an unsigned (alg none) receipt', unsigned, 422, 'receipt_signature_invalid'],
      ];
      for (const [what, receipt, status, code, who] of cases) {
        const res = await register(who ?? s.recycler, receipt);
        expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status, code });
      }
      await t.http().post('/v1/recycler/receipts').send({ receipt: 'a.b.c' }).expect(401);
      await t.http().post('/v1/recycler/receipts').set(h.auth).send({ receipt: 'a.b.c' }).expect(403);
      await t.http().post('/v1/recycler/receipts').set(s.recycler.keyAuth).send({ receipt: 'a.b.c', extra: 1 }).expect(400);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM receipt_registrations`))[0].n).toBe(before);
    });

    it('checks the key at the platform clock: a retired key registers nothing now, whatever the iat', async () => {
      const r = await s.newRecycler();
      const h = await s.household();
      const old = await s.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(48) });
      await t.http().post(`/v1/admin/recyclers/${r.id}/keys/${r.kid}/revoke`).set(s.admin.auth).send({ reason: 'retired' }).expect(200);
      const res = await register(r, old).expect(422);
      expect(res.body.code).toBe('receipt_key_revoked');
    });
  });

  describe('a programme requiring registration (policy receiptRegistration)', () => {
    it('refuses an unregistered receipt as receipt_not_registered (quote and submission alike), and accepts it once registered', async () => {
      const p = await requiring(0);
      const { body } = await sale(p, (h) => p.receipt(h.idNumber, { issuedAt: hoursAgo(0) }));
      const quote = await t.http().post('/v1/retailer/trade-ins/quote').set(p.retailer.keyAuth).send(body).expect(422);
      expect(quote.body.code).toBe('receipt_not_registered');
      const before = await p.snapshot();
      const refused = await p.tradeIn(body).expect(422);
      expect(refused.body.code).toBe('receipt_not_registered');
      expect(await p.snapshot()).toEqual(before);

      const reg = await register(p.recycler, body.recyclingReceipt).expect(201);
      const ok = await p.tradeIn({ ...body, soldAt: new Date().toISOString() }).expect(201);
      // the refusals above left their trail: the same receipt failed before (prior_rejections), nothing else
      expect(ok.body.flags).toEqual(['prior_rejections']);
      // the registration time is the receipt's issue time from then on
      const [claim] = await t.db.query(`SELECT receipt_issued_at FROM claims WHERE id = $1`, [ok.body.claimId]);
      expect(new Date(claim.receipt_issued_at).getTime()).toBe(Date.parse(reg.body.registeredAt));
    });

    it('accepts a receipt registered late only within graceHours of its iat', async () => {
      const strict = await requiring(0);
      const lenient = await requiring(6);
      for (const [p, status, code] of [[strict, 422, 'receipt_not_registered'], [lenient, 201, undefined]] as const) {
        const { body } = await sale(p, (h) => p.receipt(h.idNumber, { issuedAt: hoursAgo(5) }));
        await register(p.recycler, body.recyclingReceipt).expect(201);
        const res = await p.tradeIn({ ...body, soldAt: new Date().toISOString() });
        expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      }
    });

    it('refuses a receipt registered for a different receipt with the same rid', async () => {
      const p = await requiring(0);
      const rid = `R-${uniq()}`;
      const h0 = await p.household();
      await register(p.recycler, await p.receipt(h0.idNumber, { rid, issuedAt: hoursAgo(0) })).expect(201);
      const { body } = await sale(p, (h) => p.receipt(h.idNumber, { rid, issuedAt: hoursAgo(0) }));
      const res = await p.tradeIn(body).expect(422);
      expect(res.body.code).toBe('receipt_not_registered');
    });

    it('back-dating: after decertification an old iat does not help; a receipt registered before still works', async () => {
      const p = await requiring(0);
      const r = await p.newRecycler();
      p.recycler = r;
      const early = await sale(p, (h) => p.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(0) }));
      await register(r, early.body.recyclingReceipt).expect(201);
      await t.http().post(`/v1/admin/recyclers/${r.id}/decertify`).set(p.admin.auth).send({ reason: 'licence withdrawn' }).expect(200);

      // signed "30 days ago", when the recycler was certified: registration now is refused, and so is the trade-in
      const late = await sale(p, (h) => p.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(24 * 30) }));
      const refusedRegistration = await register(r, late.body.recyclingReceipt).expect(422);
      expect(refusedRegistration.body.code).toBe('recycler_not_certified');
      const refused = await p.tradeIn(late.body).expect(422);
      expect(refused.body.code).toBe('recycler_not_certified');

      // the household holding a receipt registered while the recycler was certified keeps it
      const ok = await p.tradeIn(early.body).expect(201);
      expect(ok.body.claimId).toEqual(expect.any(String));
    });

    it('key revocation: retired after registration keeps the receipt; compromised refuses it; an unregistered one after retirement is receipt_key_revoked', async () => {
      const p = await requiring(0);
      const r = await p.newRecycler();
      p.recycler = r;
      const registered = await sale(p, (h) => p.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(0) }));
      const registered2 = await sale(p, (h) => p.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(0) }));
      await register(r, registered.body.recyclingReceipt).expect(201);
      await register(r, registered2.body.recyclingReceipt).expect(201);
      const unregistered = await sale(p, (h) => p.receipt(h.idNumber, { recycler: r, issuedAt: hoursAgo(3) }));
      await t.http().post(`/v1/admin/recyclers/${r.id}/keys/${r.kid}/revoke`).set(p.admin.auth).send({ reason: 'retired' }).expect(200);

      expect((await p.tradeIn(registered.body)).status).toBe(201);
      const old = await p.tradeIn(unregistered.body).expect(422);
      expect(old.body.code).toBe('receipt_key_revoked');

      await t.http().post(`/v1/admin/recyclers/${r.id}/keys/${r.kid}/revoke`).set(p.admin.auth).send({ reason: 'compromised' }).expect(200);
      const compromised = await p.tradeIn(registered2.body).expect(422);
      expect(compromised.body.code).toBe('receipt_key_revoked');
    });

    it('without the rule, an unregistered receipt is judged at its iat as before', async () => {
      const { body } = await sale(s, (h) => s.receipt(h.idNumber));
      expect((await s.tradeIn(body)).status).toBe(201);
    });
  });

  describe('policy rules', () => {
    const program = (rules: unknown) => t.http().post('/v1/admin/programs').set(s.admin.auth).send({
      code: `p-${uniq().toLowerCase()}`, name: '项目', startsAt: '2026-01-01T00:00:00+08:00', endsAt: '2027-12-31T00:00:00+08:00',
      voucherValidityDays: 30, perHouseholdLimit: 1, rules,
    });

    it('accepts receiptRegistration and dismantleWithinDays, and answers them back', async () => {
      const rules = { ...DEFAULT_POLICY_RULES, receiptRegistration: { required: true, graceHours: 12 }, dismantleWithinDays: 7 };
      const res = await program(rules).expect(201);
      const got = await t.http().get(`/v1/admin/programs/${res.body.code}`).set(s.admin.auth).expect(200);
      expect(got.body.policyVersions[0].rules).toEqual(rules);
      await program({ ...DEFAULT_POLICY_RULES, dismantleWithinDays: null }).expect(201);
    });

    it.each([
      [{ receiptRegistration: { required: 'yes', graceHours: 0 } }, 'rules.receiptRegistration.required'],
      [{ receiptRegistration: { required: true, graceHours: -1 } }, 'rules.receiptRegistration.graceHours'],
      [{ receiptRegistration: { required: true } }, 'rules.receiptRegistration.graceHours'],
      [{ receiptRegistration: { required: true, graceHours: 1, extra: 1 } }, 'rules.receiptRegistration.extra'],
      [{ receiptRegistration: 'on' }, 'rules.receiptRegistration'],
      [{ dismantleWithinDays: 0 }, 'rules.dismantleWithinDays'],
      [{ dismantleWithinDays: 1.5 }, 'rules.dismantleWithinDays'],
      [{ dismantleWithinDays: '7' }, 'rules.dismantleWithinDays'],
    ])('refuses %j as validation_failed on %s', async (patch, field) => {
      const res = await program({ ...DEFAULT_POLICY_RULES, ...patch }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });

  describe('certifiedFrom', () => {
    it('a recycler certified before onboarding: its first period starts then, and its receipts signed since verify', async () => {
      const from = new Date(Date.now() - 20 * 86400e3);
      const res = await t.http().post('/v1/admin/recyclers').set(s.admin.auth)
        .send({ name: `回收 ${uniq()}`, creditCode: randomCreditCode(), certifiedFrom: from.toISOString() }).expect(201);
      expect(Date.parse(res.body.certifiedAt)).toBe(Math.floor(from.getTime() / 1000) * 1000);
      expect(res.body.certifications).toEqual([{ certifiedAt: res.body.certifiedAt, decertifiedAt: null }]);
      expect(Date.parse(res.body.createdAt)).toBeGreaterThan(from.getTime());
      const got = await t.http().get(`/v1/admin/recyclers/${res.body.id}`).set(s.admin.auth).expect(200);
      expect(got.body.certifications).toEqual(res.body.certifications);
    });

    it('a retailer: answered and kept; default now', async () => {
      const body = (extra: Record<string, unknown>) => ({
        name: `零售 ${uniq()}`, creditCode: randomCreditCode(), city: 'hangzhou', stores: [{ code: `S-${uniq()}`, name: '店', city: 'hangzhou' }], ...extra,
      });
      const res = await t.http().post('/v1/admin/retailers').set(s.admin.auth).send(body({ certifiedFrom: '2026-10-01T00:00:00+08:00' })).expect(201);
      expect(res.body.certifiedFrom).toBe('2026-10-01T00:00:00+08:00');
      expect((await t.http().get(`/v1/admin/retailers/${res.body.id}`).set(s.admin.auth).expect(200)).body.certifiedFrom).toBe('2026-10-01T00:00:00+08:00');
      const dflt = await t.http().post('/v1/admin/retailers').set(s.admin.auth).send(body({})).expect(201);
      expect(dflt.body.certifiedFrom).toBe(dflt.body.createdAt);
    });

    it.each(['/v1/admin/recyclers', '/v1/admin/retailers'])('%s refuses a future or malformed certifiedFrom, creating nothing', async (path) => {
      const base = path.endsWith('recyclers')
        ? { name: `x ${uniq()}` }
        : { name: `x ${uniq()}`, city: 'hangzhou', stores: [{ code: `S-${uniq()}`, name: '店', city: 'hangzhou' }] };
      for (const certifiedFrom of [new Date(Date.now() + 86400e3).toISOString(), '2026-10-01', 'yesterday', 12]) {
        const creditCode = randomCreditCode();
        const res = await t.http().post(path).set(s.admin.auth).send({ ...base, creditCode, certifiedFrom }).expect(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['certifiedFrom']);
        const table = path.endsWith('recyclers') ? 'recyclers' : 'retailers';
        expect((await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE credit_code = $1`, [creditCode]))[0].n).toBe(0);
      }
    });
  });
});
