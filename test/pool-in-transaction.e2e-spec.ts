import { startTestApp, TestApp } from './support/app';
import type { Household, SignedIn } from './support/factories';
import { Scenario } from './support/scenario';

jest.setTimeout(120_000);

/**
 * No request reads from the pool while its transaction holds a connection (and locks): with every connection held
 * by such transactions, each waiting for a second one, nothing would move until DB_CONNECT_TIMEOUT_MS and every one
 * of them would answer 503 (an appeal race between two API processes did, on a slow machine). Here the pool is two
 * connections and requests come several at once: appeals filed and vouchers given up all answer.
 */
describe('no pool query inside a transaction (e2e, a pool of two)', () => {
  let t: TestApp;
  let s: Scenario;
  let rejecter: SignedIn;

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_SIZE: '2', DB_CONNECT_TIMEOUT_MS: '2000' });
    s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 100 });
    rejecter = await t.make.auditor();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('six appeals filed at once all answer 201', async () => {
    const claims: { id: string; h: Household }[] = [];
    for (let i = 0; i < 6; i++) claims.push(await s.rejectedClaim(rejecter));
    const answers = await Promise.all(claims.map((c) => t.http().post(`/v1/household/claims/${c.id}/appeal`).set(c.h.auth).send({ reason: '请复核' })));
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
  });

  it('six vouchers given up at once all answer 200', async () => {
    const held: { h: Household; code: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const h = await s.household();
      held.push({ h, code: (await s.voucher(h)).code });
    }
    const answers = await Promise.all(held.map(({ h, code }) => t.http().post(`/v1/household/vouchers/${encodeURIComponent(code)}/give-up`).set(h.auth).send({})));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((r) => r.body.status)).toEqual(['expired', 'expired', 'expired', 'expired', 'expired', 'expired']);
  });
});
