import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { ZHEJIANG_CITIES } from '@huanxin/core';
import catalogue from './demo-catalogue.json';

export const DEMO_PROGRAM = 'zj-tv-demo';

export interface DemoCredentials {
  admin: { email: string; password: string };
  auditor: { email: string; password: string };
  retailerStaff: { email: string; password: string };
  household: { phone: string; password: string; idNumber: string; city: string };
  posApiKey: string;
  recyclerApiKey: string;
  retailerId: string;
  recyclerId: string;
  recyclerKid: string;
}

const pw = () => randomBytes(9).toString('base64url');

/**
 * Seeds the demo through the public HTTP contract, as the programme office would: the API itself checks
 * every value. Runs once per database (the programme's existence is the marker); credentials are kept
 * under the data folder so every later start can print them again.
 */
export async function seedDemo(baseUrl: string, dataDir: string, admin: { email: string; password: string }, log: (s: string) => void): Promise<DemoCredentials | undefined> {
  const credsFile = join(dataDir, 'demo-credentials.json');
  const call = async (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return json;
  };
  const login = async (username: string, password: string) => (await call('POST', '/v1/auth/login', undefined, { username, password })).accessToken as string;

  const adminToken = await login(admin.email, admin.password);
  const existing = await fetch(`${baseUrl}/v1/admin/programs/${DEMO_PROGRAM}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (existing.ok) {
    return existsSync(credsFile) ? (JSON.parse(readFileSync(credsFile, 'utf8')) as DemoCredentials) : undefined;
  }

  log('seeding demo data (first start) …');
  const auditor = { email: 'auditor@huanxin.local', password: pw() };
  await call('POST', '/v1/admin/users', adminToken, { ...auditor, name: '省商务厅审核员', role: 'auditor' });

  const now = Date.now();
  const startsAt = new Date(now - 30 * 86400e3).toISOString();
  const endsAt = new Date(now + 365 * 86400e3).toISOString();
  await call('POST', '/v1/admin/programs', adminToken, {
    code: DEMO_PROGRAM, name: '浙江省 4K/8K 电视以旧换新（演示）', startsAt, endsAt,
    voucherValidityDays: 30, perHouseholdLimit: 1, rules: DEFAULT_POLICY_RULES,
  });
  for (const city of ZHEJIANG_CITIES) {
    await call('POST', `/v1/admin/programs/${DEMO_PROGRAM}/budgets`, adminToken, { city, amountFen: 50_000_000, note: 'demo grant' });
    // released at midnight so a demo started at any hour has vouchers to take
    await call('PUT', `/v1/admin/programs/${DEMO_PROGRAM}/quotas/${city}`, adminToken, { dailyVouchers: 200, releaseTime: '00:00' });
  }
  log(`  programme ${DEMO_PROGRAM}, budgets and quotas for ${ZHEJIANG_CITIES.length} cities`);

  for (const m of catalogue.models) {
    await call('POST', '/v1/admin/catalog/models', adminToken, m);
    await call('POST', `/v1/admin/catalog/models/${m.modelCode}/approve`, adminToken);
  }
  log(`  ${catalogue.models.length} catalogue models (4K, 8K and FHD; grades 1-3)`);

  const retailer = await call('POST', '/v1/admin/retailers', adminToken, {
    name: '苏宁易购（演示）', creditCode: '91330100MA27XK3Q2L', city: 'hangzhou',
    payout: { bank: { accountName: '苏宁易购杭州分公司', accountNumber: '6222020200112233445', bankCode: 'ICBKCNBJZJP' } },
    stores: [
      { code: 'HZ-001', name: '杭州西湖店', city: 'hangzhou' },
      { code: 'NB-001', name: '宁波天一店', city: 'ningbo' },
    ],
  });
  const retailerStaff = { email: 'cashier@huanxin.local', password: pw() };
  await call('POST', `/v1/admin/retailers/${retailer.id}/staff`, adminToken, { ...retailerStaff, name: '收银员' });
  const posKey = await call('POST', `/v1/admin/retailers/${retailer.id}/api-keys`, adminToken);
  log('  retailer with stores HZ-001 (hangzhou) and NB-001 (ningbo), a cashier and a POS key');

  const recycler = await call('POST', '/v1/admin/recyclers', adminToken, { name: '浙江绿色回收（演示）', creditCode: '91330106MA2B0C1D55' });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = 'demo-2026';
  await call('POST', `/v1/admin/recyclers/${recycler.id}/keys`, adminToken, { kid, publicKeyJwk: publicKey.export({ format: 'jwk' }) });
  const recyclerKey = await call('POST', `/v1/admin/recyclers/${recycler.id}/api-keys`, adminToken);
  writeFileSync(
    join(dataDir, 'demo-recycler-key.json'),
    JSON.stringify({ recyclerId: recycler.id, kid, privateKeyJwk: privateKey.export({ format: 'jwk' }) }, null, 2),
    { mode: 0o600 },
  );
  log('  recycler with an Ed25519 key (private key in .data/demo-recycler-key.json)');

  const household = { phone: '13800000001', password: pw(), idNumber: '330106199003070014', city: 'hangzhou' };
  await call('POST', '/v1/auth/register', undefined, { ...household, name: '演示住户' });

  const creds: DemoCredentials = {
    admin, auditor, retailerStaff, household, posApiKey: posKey.key, recyclerApiKey: recyclerKey.key,
    retailerId: retailer.id, recyclerId: recycler.id, recyclerKid: kid,
  };
  writeFileSync(credsFile, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}

