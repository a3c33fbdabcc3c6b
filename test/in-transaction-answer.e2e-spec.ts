import { AsyncLocalStorage } from 'node:async_hooks';
import { shanghaiDate } from '@huanxin/core';
import { startTestApp, TestApp } from './support/app';
import { Scenario } from './support/scenario';

jest.setTimeout(120_000);

// Every AsyncLocalStorage used in this process from here on (the API runs in it, Jest's own excepted), with where:
// a storage in use turns on Node's promise hooks for every promise of the process (issue 11).
const storageUses: string[] = [];
for (const method of ['run', 'enterWith'] as const) {
  const original = AsyncLocalStorage.prototype[method] as (...args: unknown[]) => unknown;
  (AsyncLocalStorage.prototype as unknown as Record<string, unknown>)[method] = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
    const from = new Error().stack?.split('\n')[2]?.trim() ?? '';
    // Jest runs each test in a storage of its own (jest-circus): the API's uses are what is looked for
    if (!from.includes('/node_modules/jest-')) storageUses.push(`${method} ${from}`);
    return original.apply(this, args);
  };
}

/**
 * The four routes whose answer is saved under the Idempotency-Key in the work's own transaction
 * (IdempotentInTransaction, handed to the service as `@InTransactionAnswer()`): the key's row and the work's row
 * carry the same transaction id (`xmin`), so one commits with the other or neither does; the retry replays the
 * answer. And none of it runs an AsyncLocalStorage.
 */
describe('answers saved in the work transaction, without an async context (e2e)', () => {
  let t: TestApp;
  let s: Scenario;

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'], dailyVouchers: 1 });
  }, 120_000);
  afterAll(async () => {
    t?.clock.set(undefined);
    await t?.close();
  });

  const keyXmin = async (key: string) => (await t.db.query(`SELECT xmin::text AS x, state FROM idempotency_keys WHERE key = $1`, [key]))[0];

  it('a voucher: the key is written by the transaction that issues it, and a retry replays it', async () => {
    const h = await s.household('hangzhou');
    const key = `v-in-tx-${Date.now()}`;
    const first = await t.http().post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', key).send({ programCode: s.programCode }).expect(201);
    const [voucher] = await t.db.query(`SELECT xmin::text AS x FROM vouchers WHERE code = $1`, [first.body.code]);
    expect(await keyXmin(key)).toEqual({ x: voucher.x, state: 'completed' });
    const again = await t.http().post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', key).send({ programCode: s.programCode }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('a trade-in: the key is written by the transaction that makes the claim', async () => {
    const h = await s.household('ningbo');
    const v = await s.voucher(h);
    const key = `ti-in-tx-${Date.now()}`;
    const body = await s.tradeInBody(h, v.code);
    const res = await s.tradeIn(body, key).expect(201);
    const [claim] = await t.db.query(`SELECT xmin::text AS x FROM claims WHERE id = $1`, [res.body.claimId]);
    expect(await keyXmin(key)).toEqual({ x: claim.x, state: 'completed' });
    const again = await s.tradeIn(body, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(res.body);
  });

  it('the waitlist: the key is written by the transaction that puts the household on it', async () => {
    // hangzhou's one voucher of the day went to the first test's household
    const h = await s.household('hangzhou');
    const key = `wl-in-tx-${Date.now()}`;
    const res = await t.http().post('/v1/household/waitlist').set(h.auth).set('Idempotency-Key', key).send({ programCode: s.programCode });
    expect(res.status).toBe(201);
    const [entry] = await t.db.query(`SELECT xmin::text AS x FROM waitlist_entries WHERE household_id = $1`, [h.id]);
    expect(await keyXmin(key)).toEqual({ x: entry.x, state: 'completed' });
  });

  it('a lottery entry: the key is written by the transaction that enters the draw', async () => {
    const lottery = await Scenario.create(t, { cities: ['wenzhou'] });
    await t.http().put(`/v1/admin/programs/${lottery.programCode}/quotas/wenzhou`).set(lottery.admin.auth)
      .send({ dailyVouchers: 3, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' }).expect(200);
    t.clock.set(new Date(`${shanghaiDate(new Date())}T12:00:00+08:00`));
    try {
      const h = await lottery.household('wenzhou');
      const key = `le-in-tx-${Date.now()}`;
      const res = await t.http().post('/v1/household/lottery-entries').set(h.auth).set('Idempotency-Key', key).send({ programCode: lottery.programCode });
      expect(res.status).toBe(201);
      const [entry] = await t.db.query(`SELECT xmin::text AS x FROM lottery_entries WHERE entry_id = $1`, [res.body.entryId]);
      expect(await keyXmin(key)).toEqual({ x: entry.x, state: 'completed' });
    } finally {
      t.clock.set(undefined);
    }
  });

  it('answering all of that ran no AsyncLocalStorage', () => {
    expect(storageUses).toEqual([]);
  });
});
