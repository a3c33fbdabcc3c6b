import { Actor, DomainError } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { DEFAULT_POLICY_RULES, PolicyRules } from '@huanxin/policy';
import { ReceiptRegistrationsService, ReceiptVerifier, VerifiedReceipt } from '@huanxin/recycling';
import { startTestApp, TestApp } from '../support/app';
import type { RecyclerFixture } from '../support/factories';
import { randomResidentId, uniq } from '../support/ids';
import { Scenario } from '../support/scenario';

/**
 * Service level, no HTTP: the receipt verifier's decision table under receipt transparency (issue 13), on real
 * PostgreSQL — which time a receipt is judged at (its registration, now, or its iat), and which code refuses it —
 * and the registration service's own checks at the platform's clock.
 */
describe('receipt verification with registration (service)', () => {
  let t: TestApp;
  let s: Scenario;
  let verifier: ReceiptVerifier;
  let registrations: ReceiptRegistrationsService;
  let db: TransactionService;
  const HOUR = 3600e3;
  const required = (graceHours = 0): PolicyRules => ({ ...DEFAULT_POLICY_RULES, receiptRegistration: { required: true, graceHours } });
  const optional: PolicyRules = DEFAULT_POLICY_RULES;

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou'] });
    verifier = t.app.get(ReceiptVerifier);
    registrations = t.app.get(ReceiptRegistrationsService);
    db = t.app.get(TransactionService);
  }, 120_000);
  afterEach(() => t.clock.set(undefined));
  afterAll(() => t?.close());

  const actorOf = (r: RecyclerFixture): Actor => ({ kind: 'api_key', id: r.apiKeyId, role: 'recycler', recyclerId: r.id });

  /** Verifies inside a transaction as the trade-in does; the code of a refusal, or the verified receipt. */
  async function judge(jws: string, holder: string, rules: PolicyRules, soldAt = new Date()): Promise<string | VerifiedReceipt> {
    try {
      return await db.run((tx) => verifier.verify(jws, { holderIdNumber: holder, soldAt, rules }, tx));
    } catch (err) {
      if (err instanceof DomainError) return err.code;
      throw err;
    }
  }

  async function issued(r: RecyclerFixture, hoursAgo: number) {
    const holder = randomResidentId();
    const jws = await s.receipt(holder, { recycler: r, issuedAt: new Date(Date.now() - hoursAgo * HOUR), rid: `R-${uniq()}` });
    return { holder, jws };
  }

  it('a registered receipt is issued at its registration; without the rule an unregistered one at its iat', async () => {
    const r = await s.newRecycler();
    const a = await issued(r, 0);
    const { created, registration } = await registrations.register(actorOf(r), a.jws);
    expect(created).toBe(true);
    const v = await judge(a.jws, a.holder, required()) as VerifiedReceipt;
    expect(v.issuedAt.getTime()).toBe(Date.parse(registration.registeredAt));
    const b = await issued(r, 30);
    const w = await judge(b.jws, b.holder, optional, new Date()) as VerifiedReceipt;
    const iat = JSON.parse(Buffer.from(b.jws.split('.')[1], 'base64url').toString()).iat as number;
    expect(w.issuedAt.getTime()).toBe(iat * 1000);
    expect(await judge(b.jws, b.holder, required())).toBe('receipt_not_registered');
  });

  it('grace: registered n hours after its iat passes only when graceHours allows n', async () => {
    const r = await s.newRecycler();
    const a = await issued(r, 10);
    await registrations.register(actorOf(r), a.jws);
    expect(await judge(a.jws, a.holder, required(0))).toBe('receipt_not_registered');
    expect(await judge(a.jws, a.holder, required(9))).toBe('receipt_not_registered');
    expect(typeof await judge(a.jws, a.holder, required(10))).toBe('object');
    // without the rule the late registration is no refusal: the registration time is simply its issue time
    expect(typeof await judge(a.jws, a.holder, optional)).toBe('object');
  });

  it('decertification: a receipt registered before keeps working; one never registered is recycler_not_certified under the rule', async () => {
    const r = await s.newRecycler();
    const before = await issued(r, 0);
    await registrations.register(actorOf(r), before.jws);
    const backdated = await issued(r, 24 * 20);
    await t.http().post(`/v1/admin/recyclers/${r.id}/decertify`).set(s.admin.auth).send({ reason: 'licence withdrawn' }).expect(200);

    expect(await judge(before.jws, before.holder, required())).toMatchObject({ rid: expect.any(String) });
    expect(await judge(backdated.jws, backdated.holder, required())).toBe('recycler_not_certified');
    // registration itself is refused at the platform's clock, whatever the iat
    await expect(registrations.register(actorOf(r), backdated.jws)).rejects.toMatchObject({ code: 'recycler_not_certified' });
    // without the rule the old behaviour stands: signed while certified (by its own word) is accepted
    expect(await judge(backdated.jws, backdated.holder, optional)).toMatchObject({ rid: expect.any(String) });
  });

  it('registration: idempotent on the receipt, 409 on another receipt with its rid, another recycler\'s receipt forbidden', async () => {
    const r = await s.newRecycler();
    const other = await s.newRecycler();
    const rid = `R-${uniq()}`;
    const holder = randomResidentId();
    const first = await s.receipt(holder, { recycler: r, rid });
    const a = await registrations.register(actorOf(r), first);
    t.clock.set(new Date(Date.now() + 60_000));
    const b = await registrations.register(actorOf(r), first);
    expect(b).toEqual({ created: false, registration: a.registration });
    const second = await s.receipt(holder, { recycler: r, rid, issuedAt: new Date(Date.now() - 5 * HOUR) });
    await expect(registrations.register(actorOf(r), second)).rejects.toMatchObject({ code: 'receipt_rid_conflict' });
    await expect(registrations.register(actorOf(other), first)).rejects.toMatchObject({ code: 'forbidden' });
    // the presented receipt is not the registered one: under the rule it is not registered
    expect(await judge(second, holder, required(24))).toBe('receipt_not_registered');
  });
});
