/**
 * What the HTTP workloads stand on, made before anything is timed: programmes, budgets and quotas, retailers with POS
 * keys, a recycler with a signing key and a catalogue model through the admin API (as the programme office would);
 * households written in bulk (as registration writes them: keyed hashes of phone and ID number) and their access
 * tokens minted with the platform's JWT_SECRET in the shape the platform issues them — signing 5,000 households in
 * through argon2 would take minutes and is not what is measured.
 */
import { generateKeyPairSync, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import * as argon2 from 'argon2';
import { SignJWT } from 'jose';
import { Client } from 'pg';
import { JWT_AUDIENCE, JWT_ISSUER } from '@huanxin/auth';
import { creditCodeCheckChar, gtin13CheckDigit } from '@huanxin/core';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { signReceipt } from '@huanxin/recycling';
import { insertHouseholds, SeededHousehold } from '../scripts/seed-scale';

export const CAP_FEN = DEFAULT_POLICY_RULES.capFen;

/** A small JSON client for set-up calls: throws with the answer unless the status is the one expected. */
export class Api {
  constructor(readonly base: string) {}

  /**
   * Set-up calls retry a 503 (the server is briefly out of connections: on a shared machine, other processes' tests
   * hold them) and a dropped connection, as a client following Retry-After would; a programme-office POST carries an
   * Idempotency-Key so that a retry can never make a second one.
   */
  async call<T = any>(method: string, path: string, opts: { token?: string; apiKey?: string; body?: unknown; headers?: Record<string, string>; expect?: number } = {}): Promise<T> {
    const key: Record<string, string> = method === 'POST' && path.startsWith('/v1/admin/') ? { 'Idempotency-Key': `bench-${randomUUID()}` } : {};
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}),
            ...key,
            ...opts.headers,
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(120_000),
        });
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      const text = await res.text();
      if (res.status === 503 && attempt < 10) {
        await new Promise((r) => setTimeout(r, Math.min(2, Number(res.headers.get('retry-after') ?? 1)) * 1000));
        continue;
      }
      const expected = opts.expect ?? (method === 'POST' ? 201 : 200);
      if (res.status !== expected) throw new Error(`${method} ${path} → ${res.status} (expected ${expected}): ${text.slice(0, 500)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  async login(username: string, password: string): Promise<string> {
    return (await this.call<{ accessToken: string }>('POST', '/v1/auth/login', { body: { username, password }, expect: 200 })).accessToken;
  }
}

/** `n` tasks, `concurrency` at a time, in order of index. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function creditCode(): string {
  let tail = '';
  for (let i = 0; i < 9; i++) tail += CREDIT_CHARS[randomBytes(1)[0] % CREDIT_CHARS.length];
  const body = `91330100${tail}`;
  return body + creditCodeCheckChar(body);
}

function gtin(): string {
  let body = '69';
  for (let i = 0; i < 10; i++) body += randomBytes(1)[0] % 10;
  return body + gtin13CheckDigit(body);
}

/**
 * A running programme in the cities given: budget and quota (released at midnight, so any hour has vouchers).
 * `clean` rules send every valid trade-in straight to approval (no first-claims review, no sample, no burst flag),
 * the common path a till takes.
 */
export async function makeProgram(api: Api, admin: string, opts: { code: string; cities: string[]; quota: number; budgetFen: number; clean?: boolean }): Promise<void> {
  const now = Date.now();
  await api.call('POST', '/v1/admin/programs', {
    token: admin,
    body: {
      code: opts.code, name: `bench ${opts.code}`, startsAt: new Date(now - 30 * 86400e3).toISOString(), endsAt: new Date(now + 365 * 86400e3).toISOString(),
      voucherValidityDays: 30, perHouseholdLimit: 1,
      rules: opts.clean ? { ...DEFAULT_POLICY_RULES, firstClaimsReviewed: 0, reviewSampleBp: 0, storeBurstPerHour: 1_000_000 } : DEFAULT_POLICY_RULES,
    },
  });
  for (const city of opts.cities) {
    await api.call('POST', `/v1/admin/programs/${opts.code}/budgets`, { token: admin, body: { city, amountFen: opts.budgetFen, note: 'bench' } });
    await api.call('PUT', `/v1/admin/programs/${opts.code}/quotas/${city}`, { token: admin, body: { dailyVouchers: opts.quota, releaseTime: '00:00' } });
  }
}

export interface BenchRetailer {
  id: string;
  storeCode: string;
  apiKey: string;
}

/** `n` certified retailers in `city`, each with one store there and a POS API key. */
export async function makeRetailers(api: Api, admin: string, n: number, city: string): Promise<BenchRetailer[]> {
  return pool(n, 4, async (k) => {
    const storeCode = `BT-${String(k + 1).padStart(3, '0')}`;
    const r = await api.call('POST', '/v1/admin/retailers', {
      token: admin, body: { name: `bench retailer ${k + 1}`, creditCode: creditCode(), city, stores: [{ code: storeCode, name: `bench store ${k + 1}`, city }] },
    });
    const key = await api.call('POST', `/v1/admin/retailers/${r.id}/api-keys`, { token: admin });
    return { id: r.id, storeCode, apiKey: key.key };
  });
}

export interface BenchRecycler {
  id: string;
  kid: string;
  privateKey: KeyObject;
  /** when it was certified (receipts must be signed after) */
  madeAt: number;
}

export async function makeRecycler(api: Api, admin: string): Promise<BenchRecycler> {
  const r = await api.call('POST', '/v1/admin/recyclers', { token: admin, body: { name: 'bench recycler', creditCode: creditCode() } });
  const madeAt = Date.now();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const kid = 'bench-1';
  await api.call('POST', `/v1/admin/recyclers/${r.id}/keys`, { token: admin, body: { kid, publicKeyJwk: { kty, crv, x } } });
  return { id: r.id, kid, privateKey, madeAt };
}

/** An approved 4K grade-1 65-inch set at 6,000 yuan (a 5,999 yuan sale is not above its reference price). */
export async function makeModel(api: Api, admin: string): Promise<string> {
  const modelCode = `BENCH-${randomBytes(4).toString('hex').toUpperCase()}`;
  await api.call('POST', '/v1/admin/catalog/models', {
    token: admin,
    body: { modelCode, gtin: gtin(), brand: 'Hisense', name: 'bench 65-inch 4K', category: 'tv', resolution: '4K', energyGrade: 1, screenInches: 65, referencePriceFen: 600000 },
  });
  await api.call('POST', `/v1/admin/catalog/models/${modelCode}/approve`, { token: admin, expect: 200 });
  return modelCode;
}

/** An auditor made by the admin, signed in. */
export async function makeAuditor(api: Api, admin: string): Promise<string> {
  const email = `bench-auditor-${randomBytes(3).toString('hex')}@huanxin.local`;
  const password = randomBytes(12).toString('base64url');
  await api.call('POST', '/v1/admin/users', { token: admin, body: { email, password, name: 'bench auditor', role: 'auditor' } });
  return api.login(email, password);
}

export interface BenchHousehold extends SeededHousehold {
  token: string;
}

/**
 * `count` households in `city`, written in bulk into the platform's database, each with an access token as the
 * platform issues them (HS256 under JWT_SECRET; issuer, audience, subject, role, city, a sign-in family of its own),
 * valid for two hours.
 */
export async function makeHouseholds(databaseUrl: string, secrets: { jwtSecret: string; idHashSecret: string }, count: number, city: string): Promise<BenchHousehold[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let hs: SeededHousehold[];
  try {
    const passwordHash = await argon2.hash(randomBytes(12).toString('base64url'), { type: argon2.argon2id });
    hs = await insertHouseholds(db, { count, idHashSecret: secrets.idHashSecret, passwordHash, city: () => city, keep: true });
  } finally {
    await db.end();
  }
  const key = new TextEncoder().encode(secrets.jwtSecret);
  return Promise.all(hs.map(async (h) => ({
    ...h,
    token: await new SignJWT({ role: 'household', fam: randomUUID(), city: h.city })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(h.id).setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setIssuedAt().setExpirationTime('2h')
      .sign(key),
  })));
}

/** Takes a voucher of `programCode` for each household, `concurrency` at a time; answers the codes in order. */
export async function takeVouchers(api: Api, households: BenchHousehold[], programCode: string, concurrency = 16): Promise<string[]> {
  return pool(households.length, concurrency, async (i) => {
    const v = await api.call<{ code: string }>('POST', '/v1/household/vouchers', {
      token: households[i].token, body: { programCode }, headers: { 'Idempotency-Key': `bench-setup-${programCode}-${i}` },
    });
    return v.code;
  });
}

/** A complete, valid trade-in for a household holding a voucher: its own receipt, serial and invoice numbers. */
export async function tradeInBody(h: BenchHousehold, voucherCode: string, ctx: { recycler: BenchRecycler; storeCode: string; modelCode: string; tag: string; i: number }): Promise<string> {
  // signed after the recycler's certification began (whole seconds), and sold a second later
  const signedAt = Math.max(Date.now(), ctx.recycler.madeAt + 1500);
  const recyclingReceipt = await signReceipt({
    recyclerId: ctx.recycler.id, kid: ctx.recycler.kid, privateKey: ctx.recycler.privateKey, rid: `R-${ctx.tag}-${ctx.i}`, holderIdNumber: h.idNumber,
    issuedAt: new Date(signedAt), device: { category: 'tv', brand: 'Sony', model: 'KD-42', serialNumber: `OLD-${ctx.tag}-${ctx.i}`, screenInches: 42 },
  });
  return JSON.stringify({
    voucherCode, householdIdNumber: h.idNumber, storeCode: ctx.storeCode, modelCode: ctx.modelCode, serialNumber: `SN-${ctx.tag}-${ctx.i}`,
    salePriceFen: 599900, invoiceNumber: `INV-${ctx.tag}-${ctx.i}`, soldAt: new Date(signedAt + 1000).toISOString(), recyclingReceipt,
  });
}
