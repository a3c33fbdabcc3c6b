import { TransactionService } from '@huanxin/database';
import { startTestApp, TestApp } from '../support/app';
import { uniq } from '../support/ids';
import { Scenario } from '../support/scenario';

/**
 * Issue 11, a count and not a timing: the reads a voucher request sends from the pool before any transaction
 * (most of a rush is refused there). Every pool statement goes through TransactionService's manager, wrapped here
 * to record them; the request goes through HTTP into this same process.
 */
describe('voucher refusals: the reads before the transaction (service)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  }, 120_000);
  afterAll(async () => {
    t.clock.set(undefined);
    await t?.close();
  });

  /** The pool statements `work` sent that read programmes, vouchers or claims (the idempotency key's read aside). */
  async function reads<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const manager = t.app.get(TransactionService).manager;
    const statements: string[] = [];
    const query = manager.query.bind(manager);
    const spy = jest.spyOn(manager, 'query').mockImplementation(((sql: string | { text: string }, params?: unknown[]) => {
      // a prepared statement (queryPrepared) comes as node-postgres's query config
      statements.push((typeof sql === 'string' ? sql : sql.text).replace(/\s+/g, ' ').trim());
      return query(sql as string, params);
    }) as typeof manager.query);
    try {
      const result = await work();
      return { result, statements: statements.filter((s) => /\b(programs|vouchers|claims)\b/.test(s)) };
    } finally {
      spy.mockRestore();
    }
  }

  const ask = (s: Scenario, h: { auth: Record<string, string> }) =>
    t.http().post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', `v-${uniq()}`).send({ programCode: s.programCode });
  const fromClaims = (statements: string[]) => statements.filter((q) => /\bFROM claims\b/.test(q));

  /** A programme with this per-household limit, and a household in Hangzhou whose first voucher became a claim. */
  async function householdWithClaim(perHouseholdLimit: number) {
    const s = await Scenario.create(t, { cities: ['hangzhou'], perHouseholdLimit });
    const h = await s.household('hangzhou');
    const v = await s.voucher(h);
    expect((await s.tradeIn(await s.tradeInBody(h, v.code))).status).toBe(201);
    return { s, h };
  }

  it('a first-time household refused for a sold-out day: two reads (the programme; its vouchers and the day), claims not read', async () => {
    const s = await Scenario.create(t, { cities: ['jiaxing'], dailyVouchers: 1 });
    await s.voucher(await s.household('jiaxing'));
    const late = await s.household('jiaxing');
    const { result, statements } = await reads(() => ask(s, late));
    expect(result.status).toBe(409);
    expect(result.body.code).toBe('quota_exhausted');
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/FROM programs p/);
    expect(statements[1]).toMatch(/FROM \(SELECT 1\) one LEFT JOIN vouchers v/);
    expect(fromClaims(statements)).toEqual([]);
  });

  it('a household that has held as many vouchers as the limit: its live claims are counted — refused while its claim lives', async () => {
    const { s, h } = await householdWithClaim(1);
    const { result, statements } = await reads(() => ask(s, h));
    expect(result.status).toBe(409);
    expect(result.body.code).toBe('household_limit_reached');
    expect(fromClaims(statements)).toHaveLength(1);
  });

  it('a household whose only voucher expired unused: counted, no live claim, so it is issued a new one', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'], perHouseholdLimit: 1, voucherValidityDays: 1 });
    const h = await s.household('hangzhou');
    const first = await s.voucher(h);
    t.clock.set(new Date(Date.now() + 2 * 86400e3));
    try {
      const { result, statements } = await reads(() => ask(s, h));
      expect(result.status).toBe(201);
      expect(result.body.code).not.toBe(first.code);
      expect(fromClaims(statements)).toHaveLength(1);
    } finally {
      t.clock.set(undefined);
    }
  });

  it('a household under the limit with a claim already (limit 2): not counted, issued its second voucher', async () => {
    const { s, h } = await householdWithClaim(2);
    const { result, statements } = await reads(() => ask(s, h));
    expect(result.status).toBe(201);
    expect(fromClaims(statements)).toEqual([]);
    // its second claim reaches the limit: the next request counts them and is refused
    expect((await s.tradeIn(await s.tradeInBody(h, result.body.code))).status).toBe(201);
    const again = await reads(() => ask(s, h));
    expect(again.result.body.code).toBe('household_limit_reached');
    expect(fromClaims(again.statements)).toHaveLength(1);
  });
});
