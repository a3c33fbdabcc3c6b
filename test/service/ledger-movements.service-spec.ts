import { SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
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
