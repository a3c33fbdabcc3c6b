import { exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { signReceipt } from '@huanxin/recycling';
import { randomCreditCode, randomGtin, randomPhone, randomResidentId, uniq } from './ids';

/**
 * Plain HTTP against a running API process, for the fault drills: what test/support/scenario.ts and
 * factories.ts do through the in-process app, done as a client would (the drills' API is a real OS process on
 * a private PostgreSQL that no in-process app shares). Every answer carries how long it took.
 */

export interface Answer {
  status: number;
  /** the parsed JSON body, or the text when it is not JSON */
  body: any;
  contentType: string;
  retryAfter: string | null;
  replayed: boolean;
  ms: number;
}

/** A request that got no HTTP answer at all (connection refused or reset, or our own timeout). */
export class NoAnswer extends Error {
  constructor(message: string, readonly ms: number) {
    super(message);
  }
}

export type Headers = Record<string, string>;

export async function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Headers; timeoutMs?: number } = {}): Promise<Answer> {
  const started = performance.now();
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: Error };
    throw new NoAnswer(`${method} ${path}: ${e.name} ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`, performance.now() - started);
  }
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return {
    status: res.status,
    body,
    contentType: res.headers.get('content-type') ?? '',
    retryAfter: res.headers.get('retry-after'),
    replayed: res.headers.get('idempotent-replayed') === 'true',
    ms: performance.now() - started,
  };
}

async function expectStatus(base: string, method: string, path: string, status: number, opts: { body?: unknown; headers?: Headers } = {}): Promise<any> {
  const a = await call(base, method, path, opts);
  if (a.status !== status) throw new Error(`${method} ${path} → ${a.status} ${JSON.stringify(a.body)} (expected ${status})`);
  return a.body;
}

export interface DrillHousehold {
  phone: string;
  password: string;
  idNumber: string;
  city: string;
  auth: Headers;
}

export interface DrillProgramme {
  base: string;
  programCode: string;
  city: string;
  storeCode: string;
  modelCode: string;
  admin: Headers;
  retailerId: string;
  /** the POS's `X-Api-Key` header */
  pos: Headers;
  recycler: { id: string; kid: string; privateKey: KeyLike };
}

export async function login(base: string, username: string, password: string): Promise<Headers> {
  const body = await expectStatus(base, 'POST', '/v1/auth/login', 200, { body: { username, password } });
  return { Authorization: `Bearer ${body.accessToken}` };
}

/**
 * A running programme in one city through the admin API, signed in as `admin`: budget and quota, a retailer with
 * one store and a POS key, a recycler with a signing key, an approved model. `backdateRecycler` runs SQL that
 * moves the recycler's certification 400 days back (as Scenario.newRecycler does), so receipts from yesterday
 * fall within it.
 */
export async function createProgramme(base: string, admin: Headers, backdateRecycler: (recyclerId: string) => Promise<void>, city = 'hangzhou'): Promise<DrillProgramme> {
  const post = (path: string, body: unknown, status = 201) => expectStatus(base, 'POST', path, status, { body, headers: admin });
  const programCode = `p-${uniq().toLowerCase()}`;
  const now = Date.now();
  await post('/v1/admin/programs', {
    code: programCode, name: '故障演练项目',
    startsAt: new Date(now - 60 * 86400e3).toISOString(), endsAt: new Date(now + 365 * 86400e3).toISOString(),
    voucherValidityDays: 30, perHouseholdLimit: 1,
    rules: { ...DEFAULT_POLICY_RULES, firstClaimsReviewed: 0, reviewSampleBp: 0, storeBurstPerHour: 100000 },
  });
  await post(`/v1/admin/programs/${programCode}/budgets`, { city, amountFen: 1_000_000_000, note: 'drill' });
  await expectStatus(base, 'PUT', `/v1/admin/programs/${programCode}/quotas/${city}`, 200, { body: { dailyVouchers: 10_000, releaseTime: '00:00' }, headers: admin });

  const storeCode = 'DRILL-1';
  const retailer = await post('/v1/admin/retailers', {
    name: `演练电器 ${uniq()}`, creditCode: randomCreditCode(), city, stores: [{ code: storeCode, name: '演练门店', city }],
  });
  const key = await post(`/v1/admin/retailers/${retailer.id}/api-keys`, undefined);

  const recycler = await post('/v1/admin/recyclers', { name: `演练回收 ${uniq()}`, creditCode: randomCreditCode() });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  const kid = `k-${uniq().toLowerCase()}`;
  await post(`/v1/admin/recyclers/${recycler.id}/keys`, { kid, publicKeyJwk: { kty, crv, x } });
  await backdateRecycler(recycler.id);

  const modelCode = `M-${uniq()}`;
  await post('/v1/admin/catalog/models', {
    modelCode, gtin: randomGtin(), brand: 'Hisense', name: '演练电视', category: 'tv', resolution: '4K',
    energyGrade: 1, screenInches: 65, referencePriceFen: 600000,
  });
  await post(`/v1/admin/catalog/models/${modelCode}/approve`, undefined, 200);

  return {
    base, programCode, city, storeCode, modelCode, admin, retailerId: retailer.id,
    pos: { 'X-Api-Key': key.key }, recycler: { id: recycler.id, kid, privateKey },
  };
}

/** A registered, signed-in household. */
export async function household(base: string, city = 'hangzhou'): Promise<DrillHousehold> {
  const body = { phone: randomPhone(), password: `pw-${uniq()}`, name: '演练住户', idNumber: randomResidentId(), city };
  await expectStatus(base, 'POST', '/v1/auth/register', 201, { body });
  return { phone: body.phone, password: body.password, idNumber: body.idNumber, city, auth: await login(base, body.phone, body.password) };
}

export async function voucher(p: DrillProgramme, h: DrillHousehold): Promise<string> {
  return (await expectStatus(p.base, 'POST', '/v1/household/vouchers', 201, { body: { programCode: p.programCode }, headers: h.auth })).code;
}

export interface TradeIn {
  key: string;
  body: Record<string, unknown>;
}

/** A complete, valid trade-in for a household holding `voucherCode`, with its own Idempotency-Key. */
export async function tradeIn(p: DrillProgramme, h: DrillHousehold, voucherCode: string): Promise<TradeIn> {
  const now = Date.now();
  const recyclingReceipt = await signReceipt({
    recyclerId: p.recycler.id, kid: p.recycler.kid, privateKey: p.recycler.privateKey, rid: `R-${uniq()}`, holderIdNumber: h.idNumber,
    issuedAt: new Date(now - 86400e3),
    device: { category: 'tv', brand: 'Sony', model: 'KD-42', serialNumber: `OLD-${uniq()}`, screenInches: 42 },
  });
  return {
    key: `drill-${uniq()}`,
    body: {
      voucherCode, householdIdNumber: h.idNumber, storeCode: p.storeCode, modelCode: p.modelCode,
      serialNumber: `SN-${uniq()}`, salePriceFen: 599900, invoiceNumber: `INV-${uniq()}`,
      soldAt: new Date(now - 3600e3).toISOString(), recyclingReceipt,
    },
  };
}

/** Runs `fn` over `items` with at most `n` at a time (set-up would otherwise flood a two-core machine). */
export async function inBatches<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map((it, j) => fn(it, i + j)))));
  return out;
}
