import { AuthService } from '@huanxin/auth';
import { SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import type { TestApp } from './app';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { randomCreditCode, randomGtin, randomPhone, randomResidentId, uniq } from './ids';

export interface SignedIn {
  id: string;
  token: string;
  refreshToken: string;
  auth: { Authorization: string };
}

export interface Household extends SignedIn {
  phone: string;
  password: string;
  idNumber: string;
  city: string;
}

/** A certified retailer made by `make.retailer()`: its stores, a signed-in staff member and a POS API key. */
export interface RetailerFixture {
  id: string;
  creditCode: string;
  city: string;
  stores: { id: string; code: string; name: string; city: string }[];
  /** a staff member (role `retailer`), signed in */
  staff: SignedIn & { email: string; password: string };
  /** the staff member's `Authorization` header */
  auth: { Authorization: string };
  /** a POS API key (`X-Api-Key`), its id, and the header ready to `.set()` */
  apiKey: string;
  apiKeyId: string;
  keyAuth: { 'X-Api-Key': string };
}

/** A certified recycler made by `make.recycler()`, with one registered Ed25519 signing key and an API key. */
export interface RecyclerFixture {
  id: string;
  creditCode: string;
  /** the registered key's kid: put it in the receipt's JWS header */
  kid: string;
  /**
   * The private half, to sign receipts:
   * `new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'hx-receipt+jwt' }).sign(privateKey)`
   */
  privateKey: KeyLike;
  /** the public half as registered ({kty, crv, x}) */
  publicJwk: JWK;
  apiKey: string;
  apiKeyId: string;
  keyAuth: { 'X-Api-Key': string };
}

/** Test data through the real services and HTTP, never fixed ids (STYLE.md). */
export class Factories {
  constructor(private readonly t: TestApp) {}

  async login(username: string, password: string): Promise<{ token: string; refreshToken: string }> {
    const res = await this.t.http().post('/v1/auth/login').send({ username, password });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { token: res.body.accessToken, refreshToken: res.body.refreshToken };
  }

  /** A staff user created directly through the auth service (as the bootstrap admin is). */
  async staff(role: 'admin' | 'auditor', opts: { email?: string; password?: string } = {}): Promise<SignedIn & { email: string; password: string }> {
    const email = opts.email ?? `${role}-${uniq().toLowerCase()}@example.gov.cn`;
    const password = opts.password ?? `pw-${uniq()}`;
    const auth = this.t.app.get(AuthService);
    const user = await this.t.app.get(TransactionService).run((tx) =>
      auth.createStaff(tx, SYSTEM_ACTOR, { email, password, name: `${role} ${email}`, role }),
    );
    const { token, refreshToken } = await this.login(email, password);
    return { id: user.id, email, password, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
  }

  admin() {
    return this.staff('admin');
  }

  auditor() {
    return this.staff('auditor');
  }

  /** `n` households in `city`, registered 25 at a time (the races' and the rush tests' crowds). */
  async households(n: number, city: string): Promise<Household[]> {
    const out: Household[] = [];
    for (let i = 0; i < n; i += 25) out.push(...(await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => this.household({ city })))));
    return out;
  }

  async household(opts: { city?: string; idNumber?: string; phone?: string } = {}): Promise<Household> {
    const body = {
      phone: opts.phone ?? randomPhone(),
      password: `pw-${uniq()}`,
      name: '测试住户',
      idNumber: opts.idNumber ?? randomResidentId(),
      city: opts.city ?? 'hangzhou',
    };
    const res = await this.t.http().post('/v1/auth/register').send(body);
    if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
    const { token, refreshToken } = await this.login(body.phone, body.password);
    return { id: res.body.id, ...body, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
  }

  /** POST through the admin API; throws with the problem body unless the status is the expected one. */
  private async adminPost(auth: { Authorization: string }, path: string, body: object | undefined, status: number) {
    const res = await this.t.http().post(path).set(auth).send(body);
    if (res.status !== status) throw new Error(`POST ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * A certified, active retailer made through the admin API (a fresh admin each call): its stores (default one
   * store `S-001` in the retailer's city), a signed-in staff member and a POS API key.
   * `await t.make.retailer({ city: 'ningbo', stores: [{ code: 'NB-1', city: 'ningbo' }] })`
   */
  async retailer(opts: { city?: string; stores?: { code: string; city: string; name?: string }[] } = {}): Promise<RetailerFixture> {
    const admin = await this.admin();
    const city = opts.city ?? 'hangzhou';
    const stores = (opts.stores ?? [{ code: 'S-001', city }]).map((s, i) => ({ code: s.code, city: s.city, name: s.name ?? `测试门店 ${i + 1}` }));
    const created = await this.adminPost(admin.auth, '/v1/admin/retailers', {
      name: `测试电器 ${uniq()}`, creditCode: randomCreditCode(), city, stores,
    }, 201);
    const email = `till-${uniq().toLowerCase()}@retailer.example.cn`;
    const password = `pw-${uniq()}`;
    const user = await this.adminPost(admin.auth, `/v1/admin/retailers/${created.id}/staff`, { email, password, name: '测试店员' }, 201);
    const { token, refreshToken } = await this.login(email, password);
    const staff = { id: user.id, email, password, token, refreshToken, auth: { Authorization: `Bearer ${token}` } };
    const key = await this.adminPost(admin.auth, `/v1/admin/retailers/${created.id}/api-keys`, undefined, 201);
    return {
      id: created.id, creditCode: created.creditCode, city, stores: created.stores, staff, auth: staff.auth,
      apiKey: key.key, apiKeyId: key.id, keyAuth: { 'X-Api-Key': key.key },
    };
  }

  /**
   * A certified recycler made through the admin API, with a freshly generated Ed25519 key pair registered
   * under a random kid, and an API key for its system.
   */
  async recycler(): Promise<RecyclerFixture> {
    const admin = await this.admin();
    const created = await this.adminPost(admin.auth, '/v1/admin/recyclers', { name: `测试回收 ${uniq()}`, creditCode: randomCreditCode() }, 201);
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const { kty, crv, x } = await exportJWK(publicKey);
    const publicJwk: JWK = { kty, crv, x };
    const kid = `k-${uniq().toLowerCase()}`;
    await this.adminPost(admin.auth, `/v1/admin/recyclers/${created.id}/keys`, { kid, publicKeyJwk: publicJwk }, 201);
    const key = await this.adminPost(admin.auth, `/v1/admin/recyclers/${created.id}/api-keys`, undefined, 201);
    return {
      id: created.id, creditCode: created.creditCode, kid, privateKey, publicJwk,
      apiKey: key.key, apiKeyId: key.id, keyAuth: { 'X-Api-Key': key.key },
    };
  }

  /**
   * A catalogue model made through the admin API, approved unless `approve: false`; a 4K grade-1 TV by
   * default. Answers the model as the API does (`modelCode`, `status`, …).
   */
  async model(admin: { auth: { Authorization: string } }, overrides: Record<string, unknown> & { approve?: boolean } = {}) {
    const { approve = true, ...fields } = overrides;
    const created = await this.adminPost(admin.auth, '/v1/admin/catalog/models', {
      modelCode: `M-${uniq()}`, gtin: randomGtin(), brand: 'Hisense', name: '测试 55 英寸 4K 电视', category: 'tv',
      resolution: '4K', energyGrade: 1, screenInches: 55, referencePriceFen: 500000, ...fields,
    }, 201);
    if (!approve) return created;
    return this.adminPost(admin.auth, `/v1/admin/catalog/models/${encodeURIComponent(created.modelCode)}/approve`, undefined, 200);
  }

  /**
   * A programme made through the admin API: a unique code, running from 30 days before the app's clock to
   * 365 days after it, under POLICY.md's version 1 rules (DEFAULT_POLICY_RULES) unless overridden.
   */
  async program(admin: { auth: { Authorization: string } }, overrides: Record<string, unknown> = {}) {
    const now = this.t.clock.now().getTime();
    return this.adminPost(admin.auth, '/v1/admin/programs', {
      code: `p-${uniq().toLowerCase()}`, name: '测试以旧换新计划',
      startsAt: new Date(now - 30 * 86400_000).toISOString(), endsAt: new Date(now + 365 * 86400_000).toISOString(),
      voucherValidityDays: 30, perHouseholdLimit: 1, rules: DEFAULT_POLICY_RULES, ...overrides,
    }, 201);
  }

  /** A budget grant into a city's pool; answers `{id, programCode, city, amountFen, note, createdAt}`. */
  budget(admin: { auth: { Authorization: string } }, programCode: string, city: string, amountFen: number) {
    return this.adminPost(admin.auth, `/v1/admin/programs/${programCode}/budgets`, { city, amountFen, note: 'test grant' }, 201);
  }

  /** A city's daily voucher quota; answers `{programCode, city, dailyVouchers, releaseTime}`. */
  async quota(admin: { auth: { Authorization: string } }, programCode: string, city: string, dailyVouchers: number, releaseTime = '00:00') {
    const path = `/v1/admin/programs/${programCode}/quotas/${city}`;
    const res = await this.t.http().put(path).set(admin.auth).send({ dailyVouchers, releaseTime });
    if (res.status !== 200) throw new Error(`PUT ${path} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}
