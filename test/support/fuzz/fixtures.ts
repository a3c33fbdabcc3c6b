import { AuditSealer } from '@huanxin/audit-log';
import { randomUUID } from 'node:crypto';
import { creditCodeCheckChar, gtin13CheckDigit, residentIdCheckChar } from '@huanxin/core';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { decodeJwt, SignJWT } from 'jose';
import type { TestApp } from '../app';
import { Scenario } from '../scenario';

/** Who sends a request: the six roles of the platform, nobody, and forged or garbage credentials. */
export type CredName = 'none' | 'admin' | 'auditor' | 'retailer_staff' | 'pos_key' | 'recycler_key' | 'household' | 'garbage';
export const CRED_NAMES: CredName[] = ['none', 'admin', 'auditor', 'retailer_staff', 'pos_key', 'recycler_key', 'household', 'garbage'];

/** Credentials no server accepts (to which `signedGarbage` adds tokens signed with the real key); one is picked per request. */
const GARBAGE_CREDENTIALS: Record<string, string>[] = [
  { Authorization: 'Bearer garbage' },
  { Authorization: 'Bearer ' },
  { Authorization: 'Basic YWRtaW46YWRtaW4=' },
  { Authorization: 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.' },
  // HS256 over {"sub":"x","role":"admin"} with the key "wrong-secret"
  { Authorization: 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIiwiZmFtIjoieCJ9.2fL5V3VvQm1Yb2c1n8mO4U8QdQwq1b7hV3p7o8Xh4mE' },
  { Authorization: `Bearer ${'a'.repeat(4000)}` },
  { Authorization: 'Bearer a.b.c' },
  { 'X-Api-Key': `hx_${'A'.repeat(40)}` },
  { 'X-Api-Key': 'hx_' },
  { 'X-Api-Key': 'not-a-key' },
  { 'X-Api-Key': `hx_${'\u00ff'.repeat(30)}` },
  { 'X-Api-Key': `hx_${'B'.repeat(5000)}` },
];

/** What the generators need to build realistic bodies and paths: the ids and codes of the fixtures. */
export interface FuzzFixtures {
  creds: Record<Exclude<CredName, 'none' | 'garbage'>, Record<string, string>>;
  garbage: Record<string, string>[];
  programCode: string;
  voucherCode: string;
  householdPhone: string;
  householdIdNumber: string;
  spareRefreshToken: string;
  retailerId: string;
  retailerPosKeyId: string;
  storeCode: string;
  modelCode: string;
  pendingModelCode: string;
  recyclerId: string;
  recyclerKid: string;
  recyclerApiKeyId: string;
  claimId: string;
  receipt: string;
  receiptRid: string;
  staffEmail: string;
  /** fixed valid-looking values, so generated bodies do not depend on crypto randomness */
  creditCode: string;
  gtin: string;
  residentId: string;
  rules: typeof DEFAULT_POLICY_RULES;
}

const fixedCreditCode = () => '91330100MA27XK3Q2' + creditCodeCheckChar('91330100MA27XK3Q2');
const fixedGtin = () => '690000000001' + gtin13CheckDigit('690000000001');
const fixedResidentId = () => '33010619900101123' + residentIdCheckChar('33010619900101123');

/**
 * A running programme (budget, quota), a household holding an open voucher, a second household whose voucher
 * became a claim, an admin, an auditor, a retailer (staff and POS key), a recycler (signing key, API key),
 * an approved and a pending catalogue model. Then the audit log is sealed and every lazily built row is
 * built, so a fuzz that changes nothing leaves every table exactly as it was.
 */
export async function createFixtures(t: TestApp): Promise<FuzzFixtures> {
  const s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'] });
  const auditor = await t.make.auditor();
  const household = await s.household('hangzhou');
  const voucher = await s.voucher(household);
  const spare = await t.make.login(household.phone, household.password);
  const claimant = await s.household('hangzhou');
  const claimantVoucher = await s.voucher(claimant);
  const modelCode = await s.model();
  const pendingModelCode = await s.model({ approved: false });
  const tradeIn = await s.tradeIn(await s.tradeInBody(claimant, claimantVoucher.code, { modelCode }));
  if (tradeIn.status !== 201) throw new Error(`fixture trade-in failed: ${tradeIn.status} ${JSON.stringify(tradeIn.body)}`);
  const receiptRid = `R-FUZZ-${Date.now()}`;
  const receipt = await s.receipt(household.idNumber, { rid: receiptRid });

  const f: FuzzFixtures = {
    garbage: [...GARBAGE_CREDENTIALS, ...(await signedGarbage(t, household.token))],
    creds: {
      admin: s.admin.auth,
      auditor: auditor.auth,
      retailer_staff: s.retailer.auth,
      pos_key: s.retailer.keyAuth,
      recycler_key: s.recycler.keyAuth,
      household: household.auth,
    },
    programCode: s.programCode,
    voucherCode: voucher.code,
    householdPhone: household.phone,
    householdIdNumber: household.idNumber,
    spareRefreshToken: spare.refreshToken,
    retailerId: s.retailer.id,
    retailerPosKeyId: s.retailer.apiKeyId,
    storeCode: s.storeIn('hangzhou'),
    modelCode,
    pendingModelCode,
    recyclerId: s.recycler.id,
    recyclerKid: s.recycler.kid,
    recyclerApiKeyId: s.recycler.apiKeyId,
    claimId: tradeIn.body.claimId,
    receipt,
    receiptRid,
    staffEmail: s.retailer.staff.email,
    creditCode: fixedCreditCode(),
    gtin: fixedGtin(),
    residentId: fixedResidentId(),
    rules: DEFAULT_POLICY_RULES,
  };
  await settle(t, f);
  return f;
}

/**
 * Tokens signed with the platform's real key whose claims no session has: expired, a role that does not
 * exist, a subject with NUL in it. They get past the signature, so the claim checks must refuse them.
 * Subject and family are fresh for each, so a token wrongly accepted (a logout) cannot end a fixture's
 * session, nor another garbage token's.
 */
async function signedGarbage(t: TestApp, sample: string): Promise<Record<string, string>[]> {
  const { iss, aud, city } = decodeJwt(sample) as Record<string, string>;
  const key = new TextEncoder().encode(t.config.jwtSecret);
  const now = Math.floor(t.clock.now().getTime() / 1000);
  const sign = async (claims: Record<string, unknown>, exp: number) => {
    let jwt = new SignJWT({ fam: randomUUID(), city, ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(now - 60).setExpirationTime(exp);
    if (iss) jwt = jwt.setIssuer(iss);
    if (aud) jwt = jwt.setAudience(aud);
    return { Authorization: `Bearer ${await jwt.sign(key)}` };
  };
  return [
    await sign({ sub: randomUUID(), role: 'household' }, now - 3600),
    await sign({ sub: randomUUID(), role: 'superuser' }, now + 600),
    await sign({ sub: `${randomUUID()}\u0000`, role: 'household' }, now + 600),
  ];
}

/** Seals every audit event and answers each GET once with its owner's credentials, building what is built lazily. */
async function settle(t: TestApp, f: FuzzFixtures): Promise<void> {
  const sealer = t.app.get(AuditSealer);
  while ((await sealer.sealBatch(10_000)) > 0) { /* until nothing is left to seal */ }
  const gets: [string, Record<string, string>][] = [
    ['/v1/audit/tree-head', f.creds.admin],
    [`/v1/public/programs/${f.programCode}/availability`, {}],
    ['/v1/household/vouchers', f.creds.household],
    ['/v1/retailer/claims', f.creds.pos_key],
    ['/v1/retailer/payouts', f.creds.pos_key],
    [`/v1/auditor/ledger?programCode=${f.programCode}`, f.creds.auditor],
    [`/v1/auditor/reports/summary?programCode=${f.programCode}`, f.creds.auditor],
  ];
  for (const [path, auth] of gets) {
    const res = await t.http().get(path).set(auth);
    if (res.status !== 200) throw new Error(`warm-up GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  }
}
