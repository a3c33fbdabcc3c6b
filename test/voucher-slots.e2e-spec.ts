import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { VouchersService } from '@huanxin/vouchers';
import request from 'supertest';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import type { Household } from './support/factories';
import { uniq } from './support/ids';
import { Scenario } from './support/scenario';
import { tally } from './support/tally';

jest.setTimeout(120_000);

const SLOTS = 8;
const CAP = DEFAULT_POLICY_RULES.capFen;

/**
 * The voucher rush without a hot row (issue 11): a city's day is released over VOUCHER_SLOTS quota slots and its
 * money reserved in as many ledger slot accounts. Run against two real API processes, as the races are, with
 * the cases the slots add: a quota smaller than the slots, a budget that runs out while quota is left (slots
 * funding each other), a rush racing trade-ins and inline expiries that take money out of the slots under the
 * city lock (no deadlock), and the sweep that gives the slots' money back to the city's main accounts.
 */
describe('voucher slots: the rush across two API processes (e2e)', () => {
  let t: TestApp;
  const api: ApiProcess[] = [];
  const ledger = () => t.app.get(LedgerService);
  const via = (i: number) => request(api[i % 2].url);

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp({ VOUCHER_SLOTS: String(SLOTS) });
    const started = await Promise.allSettled([0, 1].map(() => startApiProcess(t.database.url, { VOUCHER_SLOTS: String(SLOTS), DB_POOL_SIZE: '8' })));
    for (const s of started) if (s.status === 'fulfilled') api.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const h = await t.make.household();
    for (const p of api) for (let i = 0; i < 3; i++) await request(p.url).get('/v1/household/vouchers').set(h.auth).expect(200);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);
  afterEach(() => t.clock.set(undefined));

  const households = (n: number, city: string): Promise<Household[]> => t.make.households(n, city);

  const programId = async (s: Scenario): Promise<string> => (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  const rush = (s: Scenario, hs: Household[]) =>
    Promise.all(hs.map((h, i) => via(i).post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode })));

  async function expectBalanced(pid: string): Promise<void> {
    expect(await ledger().checkInvariants(pid)).toEqual({ balanced: true, problems: [] });
  }

  /** Each voucher's own `reserve` transaction, named by its code: available −cap and reserved +cap of one slot. */
  async function expectOneReservePerVoucher(pid: string, codes: string[]): Promise<void> {
    const rows: { reference: string; n: number; legs: string }[] = await t.db.query(
      `SELECT t.reference, count(DISTINCT t.id)::int AS n,
              string_agg(a.kind || '@' || a.slot || ':' || e.amount_fen, ',' ORDER BY a.kind) AS legs
         FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
        WHERE t.program_id = $1 AND t.kind = 'reserve'
        GROUP BY t.reference`,
      [pid],
    );
    expect(rows.map((r) => r.reference).sort()).toEqual([...codes].sort());
    for (const r of rows) {
      expect(r.n).toBe(1);
      expect(r.legs).toMatch(new RegExp(`^available@(\\d+):-${CAP},reserved@\\1:${CAP}$`));
    }
  }

  it('a quota smaller than the slots: 40 concurrent requests for a quota of 5 issue exactly 5', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 5 });
    const pid = await programId(s);
    const responses = await rush(s, await households(40, 'hangzhou'));

    expect(tally(responses)).toEqual({ '201': 5, '409 quota_exhausted': 35 });
    expect(await t.db.query(`SELECT city, released, issued FROM quota_days WHERE program_id = $1`, [pid])).toEqual([{ city: 'hangzhou', released: 5, issued: 5 }]);
    const slots: { released: number; issued: number }[] = await t.db.query(`SELECT released, issued FROM quota_day_slots WHERE program_id = $1 ORDER BY slot`, [pid]);
    expect(slots).toHaveLength(SLOTS);
    expect(slots.every((x) => x.issued <= x.released)).toBe(true);
    expect((await ledger().balances(pid, 'hangzhou'))[0]).toMatchObject({ reservedFen: 5 * CAP, availableFen: 100_000_000 - 5 * CAP, balanced: true });
    await expectOneReservePerVoucher(pid, responses.filter((r) => r.status === 201).map((r) => r.body.code));
    await expectBalanced(pid);
  });

  it('a budget for 7½ caps over 8 slots and a quota of 30: 40 requests get exactly 7 vouchers, the slots funding each other', async () => {
    const budget = 7 * CAP + CAP / 2;
    const s = await Scenario.create(t, { cities: ['ningbo'], dailyVouchers: 30, budgetFen: budget });
    const pid = await programId(s);
    const responses = await rush(s, await households(40, 'ningbo'));

    expect(tally(responses)).toEqual({ '201': 7, '409 budget_exhausted': 33 });
    // a request refused for want of money gave its quota slot back
    expect(await t.db.query(`SELECT issued FROM quota_days WHERE program_id = $1`, [pid])).toEqual([{ issued: 7 }]);
    expect((await ledger().balances(pid, 'ningbo'))[0]).toMatchObject({ grantedFen: budget, availableFen: CAP / 2, reservedFen: 7 * CAP, balanced: true });
    const negative = await t.db.query(`SELECT id FROM ledger_accounts WHERE program_id = $1 AND kind IN ('available', 'reserved') AND balance_fen < 0`, [pid]);
    expect(negative).toEqual([]);
    await expectOneReservePerVoucher(pid, responses.filter((r) => r.status === 201).map((r) => r.body.code));
    await expectBalanced(pid);
  });

  it('a rush racing trade-ins and inline expiries in its city: every answer a contract answer, the ledger exact', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 1000 });
    const pid = await programId(s);
    const modelCode = await s.model();
    // vouchers to trade in during the rush (their money sits in the slots), and households whose open voucher
    // has expired, so their new request expires it inline (reserved → available under the city lock)
    const buyers = await households(10, 'hangzhou');
    const bodies = await Promise.all(buyers.map(async (h) => s.tradeInBody(h, (await s.voucher(h)).code, { modelCode })));
    const lapsed = await households(6, 'hangzhou');
    const old = await Promise.all(lapsed.map((h) => s.voucher(h)));
    await t.db.query(`UPDATE vouchers SET issued_at = now() - interval '40 days', expires_at = now() - interval '1 day' WHERE code = ANY($1)`, [old.map((v) => v.code)]);
    const fresh = await households(40, 'hangzhou');
    const before = (await ledger().balances(pid, 'hangzhou'))[0];

    const [vouchers, tradeIns] = await Promise.all([
      rush(s, [...fresh, ...lapsed]),
      Promise.all(bodies.map((body, i) => via(i + 1).post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(body))),
    ]);

    expect(tally(vouchers)).toEqual({ '201': 46 });
    expect(tally(tradeIns)).toEqual({ '201': 10 });
    expect(tradeIns.map((r) => r.body.status)).toEqual(Array(10).fill('approved'));
    const paid = tradeIns.reduce((sum, r) => sum + r.body.subsidy.amountFen, 0);
    expect(await t.db.query(`SELECT status, count(*)::int AS n FROM vouchers WHERE program_id = $1 GROUP BY status ORDER BY status`, [pid]))
      .toEqual([{ status: 'expired', n: 6 }, { status: 'open', n: 46 }, { status: 'used', n: 10 }]);
    expect((await ledger().balances(pid, 'hangzhou'))[0]).toMatchObject({
      grantedFen: before.grantedFen, reservedFen: 46 * CAP, payableFen: paid, availableFen: before.grantedFen - 46 * CAP - paid, balanced: true,
    });
    await expectBalanced(pid);
  });

  it('the sweep gives the slots\' money back to the city pool once their quota is done, and the next day funds them afresh', async () => {
    const s = await Scenario.create(t, { cities: ['wenzhou'], dailyVouchers: 5 * SLOTS });
    const pid = await programId(s);
    const issued = await rush(s, await households(3, 'wenzhou'));
    expect(tally(issued)).toEqual({ '201': 3 });
    const bySlot = async () => (await t.db.query(
      `SELECT kind, slot > 0 AS in_slot, sum(balance_fen)::text AS fen FROM ledger_accounts WHERE program_id = $1 AND kind IN ('available', 'reserved')
        GROUP BY 1, 2 ORDER BY 1, 2`, [pid],
    )).map((r: { kind: string; in_slot: boolean; fen: string }) => `${r.kind}${r.in_slot ? '@slots' : '@main'} ${r.fen}`);
    const balances = (await ledger().balances(pid, 'wenzhou'))[0];
    // the day's release funded every slot for its quota (5 vouchers each); three caps are reserved: the rest waits in
    // the slots. At least that much: a request that met its slot before the release's funding committed funds its slot
    // itself (fundFirst), and the two may together put a cap or two more in a slot — the city's money, in a slot.
    const waiting = (5 * SLOTS - 3) * CAP;
    const day1 = await bySlot();
    const fenOf = (rows: string[], key: string) => Number(rows.find((r) => r.startsWith(`${key} `))!.split(' ')[1]);
    expect(day1.map((r: string) => r.split(' ')[0])).toEqual(['available@main', 'available@slots', 'reserved@slots']);
    expect(fenOf(day1, 'available@main') + fenOf(day1, 'available@slots')).toBe(100_000_000 - 3 * CAP);
    expect(fenOf(day1, 'available@slots')).toBeGreaterThanOrEqual(waiting);
    expect(fenOf(day1, 'reserved@slots')).toBe(3 * CAP);
    // today the slots still have vouchers left: the sweep leaves them be
    await t.app.get(VouchersService).sweepSlots();
    expect(await bySlot()).toEqual(day1);

    // tomorrow, before anyone asks: every slot's available money goes back, and no balance of the city moves; the
    // three open vouchers' reservations stay in their slots, where their trade-ins will spend them (commitInSlot)
    t.clock.set(new Date(Date.now() + 86400e3));
    expect(await t.app.get(VouchersService).sweepSlots()).toBeGreaterThanOrEqual(1);
    expect(await bySlot()).toEqual([`available@main ${100_000_000 - 3 * CAP}`, 'available@slots 0', 'reserved@main 0', `reserved@slots ${3 * CAP}`]);
    expect((await ledger().balances(pid, 'wenzhou'))[0]).toEqual(balances);
    const moves = await t.db.query(`SELECT kind, reference FROM ledger_transactions WHERE program_id = $1 AND kind = 'rebalance' ORDER BY id`, [pid]);
    expect(moves.at(-1)).toEqual({ kind: 'rebalance', reference: 'voucher-slots:swept' });
    await expectBalanced(pid);

    // a sweep with nothing left to give back moves nothing
    expect(await t.app.get(VouchersService).sweepSlots()).toBe(0);
    // the day's new voucher is traded in: committed in its slot, the three older reservations untouched
    const [h] = await households(1, 'wenzhou');
    const v = await s.voucher(h);
    const res = await s.tradeIn(await s.tradeInBody(h, v.code)).expect(201);
    expect((await ledger().balances(pid, 'wenzhou'))[0]).toMatchObject({ reservedFen: 3 * CAP, payableFen: res.body.subsidy.amountFen, balanced: true });
    await expectBalanced(pid);
  });
});
