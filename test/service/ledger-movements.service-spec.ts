import { SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { LedgerService, SlotUnfunded } from '@huanxin/ledger';
import { startTestApp, TestApp } from '../support/app';
import { Scenario } from '../support/scenario';

/**
 * Service level, no HTTP: each named movement of the ledger — the only ways in — posts exactly the legs its
 * documentation names (LedgerService's table), read back from PostgreSQL. Every case runs in a transaction that
 * is rolled back, after the movements it needs first (a release needs a reservation, a payment a payable).
 */
describe('ledger movements: each posts the legs it is named for (service)', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let programId: string;
  let retailerId: string;
  const city = 'hangzhou';

  beforeAll(async () => {
    t = await startTestApp();
    const s = await Scenario.create(t, { cities: [city], budgetFen: 10_000_000 });
    ledger = t.app.get(LedgerService);
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    retailerId = s.retailer.id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  class RolledBack extends Error {
    constructor(readonly legs: Record<string, number>, readonly kind: string) {
      super('rolled back');
    }
  }

  /** Runs `setup`, then the movement, reads its legs back, and rolls everything back. */
  async function legsOf(setup: (tx: Tx) => Promise<unknown>, movement: (tx: Tx) => Promise<string>): Promise<{ kind: string; legs: Record<string, number> }> {
    try {
      await t.app.get(TransactionService).run(async (tx) => {
        await setup(tx);
        const id = await movement(tx);
        const found = (await ledger.findTransaction(tx, id))!;
        const legs: Record<string, number> = {};
        for (const e of found.entries) legs[typeof e.account === 'string' ? e.account : `${e.account.kind}(r)`] = e.amountFen;
        throw new RolledBack(legs, found.kind);
      });
    } catch (err) {
      if (err instanceof RolledBack) return { kind: err.kind, legs: err.legs };
      throw err;
    }
    throw new Error('unreachable');
  }

  const scope = () => ({ programId, city, reference: 'test' });
  const r = () => ({ ...scope(), retailerId });
  const actor = SYSTEM_ACTOR;
  const none = async () => undefined;

  it('grant, reserve, release', async () => {
    expect(await legsOf(none, (tx) => ledger.grant(tx, actor, { ...scope(), amountFen: 500 }))).toEqual({ kind: 'grant', legs: { granted: -500, available: 500 } });
    expect(await legsOf(none, (tx) => ledger.reserve(tx, actor, { ...scope(), amountFen: 200 }))).toEqual({ kind: 'reserve', legs: { available: -200, reserved: 200 } });
    expect(await legsOf((tx) => ledger.reserve(tx, actor, { ...scope(), amountFen: 200 }), (tx) => ledger.release(tx, actor, { ...scope(), amountFen: 200 })))
      .toEqual({ kind: 'release', legs: { reserved: -200, available: 200 } });
  });

  it('commit and holdForReview turn a reservation into a claim; approve and uncommit follow', async () => {
    const reserve = (tx: Tx) => ledger.reserve(tx, actor, { ...scope(), amountFen: 2000 });
    expect(await legsOf(reserve, (tx) => ledger.commit(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200 })))
      .toEqual({ kind: 'commit', legs: { reserved: -2000, 'payable(r)': 1200, available: 800 } });
    expect(await legsOf(reserve, (tx) => ledger.holdForReview(tx, actor, { ...scope(), reservedFen: 2000, amountFen: 1200 })))
      .toEqual({ kind: 'commit', legs: { reserved: -800, available: 800 } });
    const held = async (tx: Tx) => { await reserve(tx); await ledger.holdForReview(tx, actor, { ...scope(), reservedFen: 2000, amountFen: 1200 }); };
    expect(await legsOf(held, (tx) => ledger.approve(tx, actor, { ...r(), amountFen: 1200 }))).toEqual({ kind: 'approve', legs: { reserved: -1200, 'payable(r)': 1200 } });
    const committed = async (tx: Tx) => { await reserve(tx); await ledger.commit(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200 }); };
    expect(await legsOf(committed, (tx) => ledger.uncommit(tx, actor, { ...r(), amountFen: 1200 }))).toEqual({ kind: 'uncommit', legs: { 'payable(r)': -1200, available: 1200 } });
  });

  it("commitInSlot posts a trade-in in its voucher's ledger slot; a slot that cannot cover it writes nothing; the sweep leaves reservations there", async () => {
    await ledger.prepareSlots(programId, city, 2);
    /** Slot accounts' balances as `kind@slot`, read in `tx`. */
    const slots = async (tx: Tx) => Object.fromEntries((await tx.query(
      `SELECT kind, slot, balance_fen::bigint AS b FROM ledger_accounts WHERE program_id = $1 AND city = $2 AND slot > 0 ORDER BY slot, kind`, [programId, city],
    )).map((x: { kind: string; slot: number; b: string }) => [`${x.kind}@${x.slot}`, Number(x.b)]));
    // a voucher's cap reserved in slot 1 (funded for it first), and the retailer's payable made by an earlier claim
    const reservedInSlot = async (tx: Tx) => {
      await ledger.fundSlots(tx, actor, { programId, city, needs: [{ slot: 1, needFen: 2000 }] });
      await ledger.reserveFromSlot(tx, actor, { ...scope(), amountFen: 2000, slot: 1, slotNeedFen: 2000 });
      await ledger.reserve(tx, actor, { ...scope(), amountFen: 100 });
      await ledger.commit(tx, actor, { ...r(), reservedFen: 100, amountFen: 100 });
    };
    expect(await legsOf(reservedInSlot, (tx) => ledger.commitInSlot(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200, slot: 1 })))
      .toEqual({ kind: 'commit', legs: { reserved: -2000, 'payable(r)': 1200, available: 800 } });
    expect(await legsOf(reservedInSlot, (tx) => ledger.commitInSlot(tx, actor, { ...scope(), reservedFen: 2000, amountFen: 1200, slot: 1 })))
      .toEqual({ kind: 'commit', legs: { reserved: -800, available: 800 } });

    // the rest in one transaction, rolled back at its end; what it saw is asserted after
    const seen: Record<string, unknown> = {};
    class Done extends Error {}
    await t.app.get(TransactionService).run(async (tx) => {
      await reservedInSlot(tx);
      const count = async () => Number((await tx.query(`SELECT count(*) AS n FROM ledger_transactions WHERE program_id = $1`, [programId]))[0].n);
      const state = async () => ({ n: await count(), slots: await slots(tx) });
      seen.before = await state();
      // slot 2 holds no reservation; a review's claim worth more than its reservation needs more than slot 1's
      // available holds: both refused, nothing written (the caller rolls back and takes the city's ledger)
      seen.unfunded = await ledger.commitInSlot(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200, slot: 2 }).catch((e: unknown) => e);
      seen.short = await ledger.commitInSlot(tx, actor, { ...scope(), reservedFen: 2000, amountFen: 2500, slot: 1 }).catch((e: unknown) => e);
      seen.afterRefusals = await state();
      // posted in slot 1: the slot's reservation spent, the rest available in the slot; a new voucher reserves there
      await ledger.commitInSlot(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200, slot: 1 });
      await ledger.reserveFromSlot(tx, actor, { ...scope(), amountFen: 50, slot: 1, slotNeedFen: 50 });
      seen.posted = await slots(tx);
      const byKind = async () => tx.query(`SELECT kind, sum(balance_fen)::bigint::text AS fen FROM ledger_accounts WHERE program_id = $1 AND city = $2 GROUP BY kind ORDER BY kind`, [programId, city]);
      seen.totalsBefore = await byKind();
      seen.swept = await ledger.sweepSlots(tx, actor, { programId, city, slots: [1, 2] });
      seen.sweptSlots = await slots(tx);
      seen.totalsAfter = await byKind();
      throw new Done();
    }).catch((err: unknown) => {
      if (!(err instanceof Done)) throw err;
    });
    expect(seen.before).toMatchObject({ slots: { 'available@1': 0, 'reserved@1': 2000, 'reserved@2': 0 } });
    expect(seen.unfunded).toBeInstanceOf(SlotUnfunded);
    expect(seen.short).toBeInstanceOf(SlotUnfunded);
    expect(seen.afterRefusals).toEqual(seen.before);
    expect(seen.posted).toMatchObject({ 'available@1': 750, 'reserved@1': 50 });
    // the sweep gives the slot's available back to the pool and leaves the open voucher's reservation in the slot
    expect(seen.swept).toEqual(expect.any(String));
    expect(seen.sweptSlots).toMatchObject({ 'available@1': 0, 'reserved@1': 50 });
    expect(seen.totalsAfter).toEqual(seen.totalsBefore);
  });

  it('pay (with and without netting or a credit), unpay, clawback, recover', async () => {
    const committed = async (tx: Tx) => { await ledger.reserve(tx, actor, { ...scope(), amountFen: 2000 }); await ledger.commit(tx, actor, { ...r(), reservedFen: 2000, amountFen: 1200 }); };
    expect(await legsOf(committed, (tx) => ledger.pay(tx, actor, { ...r(), amountFen: 1200 }))).toEqual({ kind: 'pay', legs: { 'payable(r)': -1200, paid: 1200 } });
    const paidAndClawed = async (tx: Tx) => {
      await committed(tx);
      await ledger.pay(tx, actor, { ...r(), amountFen: 1200 });
      await ledger.clawback(tx, actor, { ...r(), amountFen: 300 });
    };
    expect(await legsOf(committed, async (tx) => { await ledger.pay(tx, actor, { ...r(), amountFen: 1200 }); return ledger.clawback(tx, actor, { ...r(), amountFen: 300 }); }))
      .toEqual({ kind: 'clawback', legs: { 'receivable(r)': -300, available: 300 } });
    expect(await legsOf(async (tx) => { await paidAndClawed(tx); await committed(tx); }, (tx) => ledger.pay(tx, actor, { ...r(), amountFen: 1200, nettedFen: 300 })))
      .toEqual({ kind: 'pay', legs: { 'payable(r)': -1200, 'receivable(r)': 300, paid: 900 } });
    expect(await legsOf(committed, (tx) => ledger.pay(tx, actor, { ...r(), amountFen: 1200, nettedFen: -100 })))
      .toEqual({ kind: 'pay', legs: { 'payable(r)': -1200, 'receivable(r)': -100, paid: 1300 } });
    expect(await legsOf(paidAndClawed, (tx) => ledger.unpay(tx, actor, { ...r(), grossFen: 900, returnedFen: 300, undoneFen: 0 })))
      .toEqual({ kind: 'unpay', legs: { 'payable(r)': 900, 'receivable(r)': 300, paid: -1200 } });
    expect(await legsOf(paidAndClawed, (tx) => ledger.recover(tx, actor, { ...r(), amountFen: 300 })))
      .toEqual({ kind: 'recover', legs: { 'receivable(r)': 300, paid: -300 } });
  });

  it('refuses amounts a movement cannot take, before touching the database', async () => {
    await expect(legsOf(none, (tx) => ledger.reserve(tx, actor, { ...scope(), amountFen: 0 }))).rejects.toThrow(RangeError);
    await expect(legsOf(none, (tx) => ledger.approve(tx, actor, { ...r(), amountFen: -1 }))).rejects.toThrow(RangeError);
    await expect(legsOf(none, (tx) => ledger.pay(tx, actor, { ...r(), amountFen: 1.5 }))).rejects.toThrow(RangeError);
    await expect(legsOf(none, (tx) => ledger.unpay(tx, actor, { ...r(), grossFen: 1, returnedFen: -1, undoneFen: 0 }))).rejects.toThrow(RangeError);
  });
});
