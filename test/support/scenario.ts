import { DEFAULT_POLICY_RULES, PolicyRules } from '@huanxin/policy';
import { signReceipt } from '@huanxin/recycling';
import type { TestApp } from './app';
import type { Household, RecyclerFixture, RetailerFixture, SignedIn } from './factories';
import { randomGtin, uniq } from './ids';

export interface ModelSpec {
  resolution?: '4K' | '8K' | 'FHD';
  energyGrade?: number;
  referencePriceFen?: number;
  approved?: boolean;
}

/**
 * A running programme through the admin API: budget and quota in the cities asked for, a retailer with a
 * store in each, a recycler with a signing key. Helpers walk voucher → receipt → trade-in as the till would.
 */
export class Scenario {
  programCode = '';
  admin!: SignedIn;
  retailer!: RetailerFixture;
  recycler!: RecyclerFixture;

  constructor(private readonly t: TestApp) {}

  static async create(t: TestApp, opts: {
    cities?: string[]; budgetFen?: number; dailyVouchers?: number; rules?: Partial<PolicyRules>; releaseTime?: string;
    startsAt?: Date; endsAt?: Date; perHouseholdLimit?: number; voucherValidityDays?: number;
  } = {}): Promise<Scenario> {
    const s = new Scenario(t);
    const cities = opts.cities ?? ['hangzhou', 'ningbo'];
    s.admin = await t.make.admin();
    s.programCode = `p-${uniq().toLowerCase()}`;
    const now = t.clock.now().getTime();
    await s.post('/v1/admin/programs', {
      code: s.programCode, name: '测试项目',
      startsAt: (opts.startsAt ?? new Date(now - 60 * 86400e3)).toISOString(),
      endsAt: (opts.endsAt ?? new Date(now + 365 * 86400e3)).toISOString(),
      voucherValidityDays: opts.voucherValidityDays ?? 30, perHouseholdLimit: opts.perHouseholdLimit ?? 1,
      rules: { ...DEFAULT_POLICY_RULES, firstClaimsReviewed: 0, reviewSampleBp: 0, storeBurstPerHour: 100000, ...opts.rules },
    }, 201);
    for (const city of cities) {
      await s.post(`/v1/admin/programs/${s.programCode}/budgets`, { city, amountFen: opts.budgetFen ?? 100_000_000, note: 'test' }, 201);
      await s.put(`/v1/admin/programs/${s.programCode}/quotas/${city}`, { dailyVouchers: opts.dailyVouchers ?? 1000, releaseTime: opts.releaseTime ?? '00:00' });
    }
    s.retailer = await t.make.retailer({ city: cities[0], stores: cities.map((city, i) => ({ code: `ST-${i + 1}`, city })) });
    s.recycler = await s.newRecycler();
    return s;
  }

  /** A recycler certified long ago, so receipts it signed in the past are within its certification. */
  async newRecycler(): Promise<RecyclerFixture> {
    const r = await this.t.make.recycler();
    await this.t.db.query(`UPDATE recycler_certifications SET certified_at = certified_at - interval '400 days' WHERE recycler_id = $1`, [r.id]);
    await this.t.db.query(`UPDATE recyclers SET certified_at = certified_at - interval '400 days' WHERE id = $1`, [r.id]);
    return r;
  }

  async post(path: string, body: unknown, status: number) {
    const res = await this.t.http().post(path).set(this.admin.auth).send(body as object);
    if (res.status !== status) throw new Error(`POST ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async put(path: string, body: unknown) {
    const res = await this.t.http().put(path).set(this.admin.auth).send(body as object);
    if (res.status !== 200) throw new Error(`PUT ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async model(spec: ModelSpec = {}): Promise<string> {
    const modelCode = `M-${uniq()}`;
    await this.post('/v1/admin/catalog/models', {
      modelCode, gtin: randomGtin(), brand: 'Hisense', name: '测试电视', category: 'tv', resolution: spec.resolution ?? '4K',
      energyGrade: spec.energyGrade ?? 1, screenInches: 65, referencePriceFen: spec.referencePriceFen ?? 600000,
    }, 201);
    if (spec.approved !== false) await this.post(`/v1/admin/catalog/models/${modelCode}/approve`, undefined, 200);
    return modelCode;
  }

  storeIn(city: string): string {
    const store = this.retailer.stores.find((s) => s.city === city);
    if (!store) throw new Error(`no store in ${city}`);
    return store.code;
  }

  async household(city = 'hangzhou'): Promise<Household> {
    return this.t.make.household({ city });
  }

  async voucher(h: Household): Promise<{ code: string; reservedFen: number }> {
    const res = await this.t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: this.programCode });
    if (res.status !== 201) throw new Error(`voucher → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async receipt(holderIdNumber: string, opts: { issuedAt?: Date; category?: string; rid?: string; recycler?: RecyclerFixture; header?: Record<string, unknown> } = {}): Promise<string> {
    const r = opts.recycler ?? this.recycler;
    return signReceipt({
      recyclerId: r.id, kid: r.kid, privateKey: r.privateKey, rid: opts.rid ?? `R-${uniq()}`, holderIdNumber,
      issuedAt: opts.issuedAt ?? new Date(this.t.clock.now().getTime() - 86400e3),
      device: { category: opts.category ?? 'tv', brand: 'Sony', model: 'KD-42', serialNumber: `OLD-${uniq()}`, screenInches: 42 },
    }, opts.header);
  }

  /** A complete, valid trade-in body for a household holding a voucher; override any field. */
  async tradeInBody(h: Household, voucherCode: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return {
      voucherCode, householdIdNumber: h.idNumber, storeCode: this.storeIn(h.city), modelCode: overrides.modelCode ?? (await this.model()),
      serialNumber: `SN-${uniq()}`, salePriceFen: 599900, invoiceNumber: `INV-${uniq()}`,
      soldAt: new Date(this.t.clock.now().getTime() - 3600e3).toISOString(), recyclingReceipt: await this.receipt(h.idNumber),
      ...overrides,
    };
  }

  tradeIn(body: Record<string, unknown>, key = `ti-${uniq()}`, auth: Record<string, string> = this.retailer.keyAuth) {
    return this.t.http().post('/v1/retailer/trade-ins').set(auth).set('Idempotency-Key', key).send(body);
  }

  /**
   * A claim made by a new household and rejected by `rejecter` (an auditor): priced far above its model's reference,
   * so it is held for review; `status` is what the trade-in answered before the rejection.
   */
  async rejectedClaim(rejecter: SignedIn): Promise<{ id: string; amountFen: number; status: string; h: Household }> {
    const h = await this.household();
    const v = await this.voucher(h);
    const modelCode = await this.model({ referencePriceFen: 300000 });
    const res = await this.tradeIn(await this.tradeInBody(h, v.code, { modelCode, salePriceFen: 599900 })).expect(201);
    await this.t.http().post(`/v1/auditor/claims/${res.body.claimId}/decision`).set(rejecter.auth).send({ decision: 'reject', reason: '可疑' }).expect(200);
    return { id: res.body.claimId, amountFen: res.body.subsidy.amountFen, status: res.body.status, h };
  }

  /** Everything a failed request must leave untouched. */
  async snapshot(): Promise<Record<string, unknown>> {
    const q = async (sql: string) => (await this.t.db.query(sql))[0];
    return {
      claims: await q(`SELECT count(*)::int AS n, coalesce(string_agg(id::text || status, ',' ORDER BY id), '') AS s FROM claims`),
      vouchers: await q(`SELECT count(*)::int AS n, coalesce(string_agg(code || status, ',' ORDER BY code), '') AS s FROM vouchers`),
      ledger: await q(`SELECT coalesce(string_agg(id::text || ':' || balance_fen::text, ',' ORDER BY id), '') AS s FROM ledger_accounts`),
      entries: await q(`SELECT count(*)::int AS n FROM ledger_entries`),
      audit: await q(`SELECT count(*)::int AS n FROM audit_events`),
    };
  }
}
