import { LedgerService } from '@huanxin/ledger';
import { startTestApp, TestApp } from './support/app';
import { Scenario } from './support/scenario';

describe('vouchers and availability (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.set(undefined));

  const programId = async (code: string) => (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [code]))[0].id;

  it('issues a voucher that reserves the cap from the city pool', async () => {
    const s = await Scenario.create(t);
    const h = await s.household('ningbo');
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(201);
    expect(res.body).toMatchObject({ code: expect.stringMatching(/^HX-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/), status: 'open', city: 'ningbo', reservedFen: 200000 });
    expect(res.body.expiresAt).toMatch(/\+08:00$/);
    const [b] = await t.app.get(LedgerService).balances(await programId(s.programCode), 'ningbo');
    expect(b).toMatchObject({ reservedFen: 200000, availableFen: 100_000_000 - 200000 });
  });

  it('a household holds one open voucher per programme', async () => {
    const s = await Scenario.create(t);
    const h = await s.household();
    await s.voucher(h);
    const before = await s.snapshot();
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
    expect(res.body.code).toBe('voucher_already_open');
    expect(await s.snapshot()).toEqual(before);
  });

  it("quota_exhausted when the day's release is gone, and before the release time", async () => {
    const s = await Scenario.create(t, { dailyVouchers: 2 });
    await s.voucher(await s.household());
    await s.voucher(await s.household());
    const h = await s.household();
    const before = await s.snapshot();
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
    expect(res.body.code).toBe('quota_exhausted');
    expect(await s.snapshot()).toEqual(before);
    const avail = await t.http().get(`/v1/public/programs/${s.programCode}/availability`).expect(200);
    const hz = avail.body.cities.find((c: { city: string }) => c.city === 'hangzhou');
    expect(hz).toMatchObject({ vouchersLeftToday: 0, budget: 'open' });
    // tomorrow's release is announced; at that time the quota refills
    const next = new Date(hz.nextReleaseAt);
    t.clock.set(new Date(next.getTime() + 1000));
    await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(201);
  });

  it('before the release time nothing is issued, and availability says when', async () => {
    const s = await Scenario.create(t, { releaseTime: '10:00', dailyVouchers: 5 });
    // 09:59 Shanghai today
    const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    t.clock.set(new Date(`${day}T09:59:00+08:00`));
    const h = await s.household();
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
    expect(res.body.code).toBe('quota_exhausted');
    const avail = await t.http().get(`/v1/public/programs/${s.programCode}/availability`).expect(200);
    expect(avail.body.cities.find((c: { city: string }) => c.city === 'hangzhou')).toEqual({
      city: 'hangzhou', vouchersLeftToday: 5, nextReleaseAt: `${day}T10:00:00+08:00`, budget: 'open',
    });
    t.clock.set(new Date(`${day}T10:00:00+08:00`));
    await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(201);
    const after = await t.http().get(`/v1/public/programs/${s.programCode}/availability`).expect(200);
    expect(after.body.cities.find((c: { city: string }) => c.city === 'hangzhou').vouchersLeftToday).toBe(4);
  });

  it('budget_exhausted when the pool cannot cover one more cap, and availability says paused', async () => {
    const s = await Scenario.create(t, { budgetFen: 450000 });
    await s.voucher(await s.household());
    await s.voucher(await s.household());
    const h = await s.household();
    const before = await s.snapshot();
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
    expect(res.body.code).toBe('budget_exhausted');
    expect(await s.snapshot()).toEqual(before);
    // the quota was not spent on the refused request
    const [q] = await t.db.query(`SELECT issued FROM quota_days WHERE program_id = $1 AND city = 'hangzhou'`, [await programId(s.programCode)]);
    expect(q.issued).toBe(2);
    const avail = await t.http().get(`/v1/public/programs/${s.programCode}/availability`).expect(200);
    expect(avail.body.cities.find((c: { city: string }) => c.city === 'hangzhou').budget).toBe('paused');
    expect((await t.app.get(LedgerService).checkInvariants(await programId(s.programCode))).balanced).toBe(true);
  });

  it('household_limit_reached once the household has used its vouchers', async () => {
    const s = await Scenario.create(t);
    const h = await s.household();
    const v = await s.voucher(h);
    await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
    const before = await s.snapshot();
    const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
    expect(res.body.code).toBe('household_limit_reached');
    expect(await s.snapshot()).toEqual(before);
  });

  it('an expired voucher no longer blocks a new one and gives its reservation back', async () => {
    const s = await Scenario.create(t, { voucherValidityDays: 1 });
    const h = await s.household();
    const v = await s.voucher(h);
    t.clock.set(new Date(Date.now() + 2 * 86400e3));
    const again = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(201);
    expect(again.body.code).not.toBe(v.code);
    const [old] = await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [v.code]);
    expect(old.status).toBe('expired');
    const [b] = await t.app.get(LedgerService).balances(await programId(s.programCode), 'hangzhou');
    expect(b.reservedFen).toBe(200000);
  });

  it('unknown and inactive programmes', async () => {
    const s = await Scenario.create(t, { startsAt: new Date(Date.now() + 10 * 86400e3), endsAt: new Date(Date.now() + 20 * 86400e3) });
    const h = await s.household();
    const notYet = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(422);
    expect(notYet.body.code).toBe('program_not_active');
    const unknown = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: 'no-such-programme' }).expect(404);
    expect(unknown.body.code).toBe('not_found');
    await t.http().get('/v1/public/programs/no-such-programme/availability').expect(404);
    const bad = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: 'X' }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('only households take vouchers', async () => {
    const s = await Scenario.create(t);
    const res = await t.http().post('/v1/household/vouchers').set(s.retailer.keyAuth).send({ programCode: s.programCode }).expect(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('a second policy version takes over for later sales while earlier sales keep version 1', async () => {
    const s = await Scenario.create(t);
    const now = Date.now();
    const switchAt = new Date(now + 86400e3);
    // the 2026 national rules of POLICY.md: grade 1 only, 15%, capped at 1,500.00
    const v2 = await s.post(`/v1/admin/programs/${s.programCode}/policy-versions`, {
      effectiveFrom: switchAt.toISOString(),
      rules: {
        ...(await t.db.query(`SELECT rules FROM policy_versions WHERE version = 1 AND program_id = $1`, [await programId(s.programCode)]))[0].rules,
        eligibility: { category: 'tv', resolutions: ['4K', '8K'], maxEnergyGrade: 1 },
        rates: [{ energyGrade: 1, rateBp: 1500 }],
        capFen: 150000,
      },
    }, 201);
    expect(v2.version).toBe(2);
    const grade1 = await s.model({ energyGrade: 1, referencePriceFen: 1200000 });
    const grade2 = await s.model({ energyGrade: 2, referencePriceFen: 500000 });
    t.clock.set(new Date(now + 2 * 86400e3));
    const later = await s.household();
    const lv = await s.voucher(later);
    expect(lv.reservedFen).toBe(150000);
    const laterSale = await s.tradeIn(await s.tradeInBody(later, lv.code, { modelCode: grade1, salePriceFen: 1200000, soldAt: new Date(now + 2 * 86400e3 - 60e3).toISOString() })).expect(201);
    expect(laterSale.body).toMatchObject({ policyVersion: 2, subsidy: { rateBp: 1500, capFen: 150000, amountFen: 150000, capped: true }, payableByCustomerFen: 1050000 });
    const ineligible = await s.household();
    const iv = await s.voucher(ineligible);
    const refused = await s.tradeIn(await s.tradeInBody(ineligible, iv.code, { modelCode: grade2, salePriceFen: 500000, soldAt: new Date(now + 2 * 86400e3 - 60e3).toISOString() })).expect(422);
    expect(refused.body.code).toBe('model_not_eligible');
    // a sale made before the switch, submitted after it, keeps version 1
    const earlier = await s.tradeIn(await s.tradeInBody(ineligible, iv.code, { modelCode: grade2, salePriceFen: 500000, soldAt: new Date(now - 3600e3).toISOString() })).expect(201);
    expect(earlier.body).toMatchObject({ policyVersion: 1, subsidy: { rateBp: 1500, amountFen: 75000, capFen: 200000 } });
    expect((await t.app.get(LedgerService).checkInvariants(await programId(s.programCode))).balanced).toBe(true);
  });
});
