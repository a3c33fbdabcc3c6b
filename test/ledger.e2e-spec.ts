import fc from 'fast-check';
import { Actor, DomainError } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';

const ACTOR: Actor = { kind: 'system', id: 'ledger-test' };
const CAP = 200_000;

describe('budget ledger (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  let ledger: LedgerService;
  let db: TransactionService;
  let retailers: string[];

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
    ledger = t.app.get(LedgerService);
    db = t.app.get(TransactionService);
    retailers = [];
    for (let i = 0; i < 3; i++) retailers.push((await t.make.retailer()).id);
  });
  afterAll(() => t.close());

  const run = <T>(work: (tx: Tx) => Promise<T>) => db.run(work);
  const program = async () => (await t.make.program(admin)) as { id: string; code: string };
  /** Everything a failed movement must leave untouched. */
  const snapshot = async (programId: string) => ({
    transactions: (await t.db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE program_id = $1`, [programId]))[0].n,
    entries: (await t.db.query(`SELECT count(*)::int AS n FROM ledger_entries`))[0].n,
    accounts: await t.db.query(`SELECT id, kind, retailer_id, balance_fen FROM ledger_accounts WHERE program_id = $1 ORDER BY id`, [programId]),
  });
  const code = (err: unknown) => (err instanceof DomainError ? err.code : err);

  describe('grants', () => {
    it('add up per city, through the endpoint and the service alike', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'hangzhou', 1_000_000);
      await t.make.budget(admin, p.code, 'hangzhou', 2_500_000);
      await t.make.budget(admin, p.code, 'ningbo', 700);
      await run((tx) => ledger.grant(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 1, note: 'service' }));

      expect(await ledger.balances(p.id)).toEqual([
        { city: 'hangzhou', grantedFen: 3_500_001, availableFen: 3_500_001, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0, balanced: true },
        { city: 'ningbo', grantedFen: 700, availableFen: 700, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0, balanced: true },
      ]);
      expect(await ledger.balances(p.id, 'ningbo')).toHaveLength(1);
      expect(await ledger.balances(p.id, 'lishui')).toEqual([
        { city: 'lishui', grantedFen: 0, availableFen: 0, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0, balanced: true },
      ]);
      expect(await ledger.checkInvariants(p.id)).toEqual({ balanced: true, problems: [] });
    });

    it('are positive: a zero or negative grant is a programming error', async () => {
      const p = await program();
      await expect(run((tx) => ledger.grant(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 0 }))).rejects.toThrow(RangeError);
      await expect(run((tx) => ledger.grant(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: -5 }))).rejects.toThrow(RangeError);
    });
  });

  describe('overspending', () => {
    it('is refused by the database as budget_exhausted, and nothing changes', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'hangzhou', 1000);
      const before = await snapshot(p.id);
      const err = await run((tx) => ledger.reserve(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 1001 })).catch((e) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'budget_exhausted', message: expect.stringContaining('available holds 1000 fen, the movement needs 1001 fen') });
      expect(await snapshot(p.id)).toEqual(before);
    });

    it('undoes the whole business transaction, earlier movements included', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'hangzhou', 1000);
      const before = await snapshot(p.id);
      const err = await run(async (tx) => {
        await ledger.reserve(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 600 });
        await ledger.reserve(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 600 });
      }).catch((e) => e);
      expect(code(err)).toBe('budget_exhausted');
      expect(await snapshot(p.id)).toEqual(before);
    });

    it('guards every non-negative account, not only available', async () => {
      const p = await program();
      const [r] = retailers;
      await t.make.budget(admin, p.code, 'hangzhou', 10_000);
      await run(async (tx) => {
        await ledger.reserve(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 5000 });
        await ledger.commit(tx, ACTOR, { programId: p.id, city: 'hangzhou', retailerId: r, reservedFen: 5000, amountFen: 3000 });
      });
      const before = await snapshot(p.id);
      for (const move of [
        (tx: Tx) => ledger.release(tx, ACTOR, { programId: p.id, city: 'hangzhou', amountFen: 1 }),
        (tx: Tx) => ledger.pay(tx, ACTOR, { programId: p.id, city: 'hangzhou', retailerId: r, amountFen: 3001 }),
        (tx: Tx) => ledger.uncommit(tx, ACTOR, { programId: p.id, city: 'hangzhou', retailerId: retailers[1], amountFen: 1 }),
      ]) {
        expect(code(await run(move).catch((e) => e))).toBe('budget_exhausted');
      }
      expect(await snapshot(p.id)).toEqual(before);
      const [hz] = await ledger.balances(p.id, 'hangzhou');
      expect(hz).toMatchObject({ grantedFen: 10_000, availableFen: 7000, reservedFen: 0, payableFen: 3000, balanced: true });
    });

    it('lets a claim larger than its reservation draw the difference from available, within the pool', async () => {
      const p = await program();
      const [r] = retailers;
      await t.make.budget(admin, p.code, 'ningbo', 1000);
      await run((tx) => ledger.reserve(tx, ACTOR, { programId: p.id, city: 'ningbo', amountFen: 600 }));
      const tooMuch = { programId: p.id, city: 'ningbo', retailerId: r, reservedFen: 600, amountFen: 1001 };
      expect(code(await run((tx) => ledger.commit(tx, ACTOR, tooMuch)).catch((e) => e))).toBe('budget_exhausted');
      await run((tx) => ledger.commit(tx, ACTOR, { ...tooMuch, amountFen: 1000 }));
      expect((await ledger.balances(p.id, 'ningbo'))[0]).toMatchObject({ availableFen: 0, reservedFen: 0, payableFen: 1000, grantedFen: 1000 });
    });
  });

  describe('post', () => {
    it.each([
      ['unbalanced entries', [{ account: 'available', amountFen: 100 }, { account: 'granted', amountFen: -99 }], /sum to zero/],
      ['fractional fen', [{ account: 'available', amountFen: 0.5 }, { account: 'granted', amountFen: -0.5 }], /safe integers/],
      ['amounts as strings', [{ account: 'available', amountFen: '100' }, { account: 'granted', amountFen: '-100' }], /safe integers/],
      ['amounts beyond 2^53', [{ account: 'available', amountFen: 2 ** 53 }, { account: 'granted', amountFen: -(2 ** 53) }], /safe integers/],
      ['one entry', [{ account: 'available', amountFen: 0 }], /at least two/],
      ['an unknown account', [{ account: 'cash', amountFen: 100 }, { account: 'granted', amountFen: -100 }], /unknown city account/],
      ['a payable without a retailer', [{ account: { kind: 'payable' }, amountFen: 100 }, { account: 'available', amountFen: -100 }], /retailer id/],
      ['a retailer account named as a city one', [{ account: 'payable', amountFen: 100 }, { account: 'available', amountFen: -100 }], /unknown city account/],
    ])('refuses %s as a programming error, before touching the database', async (_label, entries, message) => {
      const p = await program();
      await t.make.budget(admin, p.code, 'hangzhou', 1000);
      const before = await snapshot(p.id);
      const err = await run((tx) => ledger['post'](tx, { programId: p.id, city: 'hangzhou', kind: 'test', entries: entries as never })).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(DomainError);
      expect(err.message).toMatch(message);
      expect(await snapshot(p.id)).toEqual(before);
    });

    it('refuses an unknown city or programme id', async () => {
      const p = await program();
      const entries = [{ account: 'available' as const, amountFen: 1 }, { account: 'granted' as const, amountFen: -1 }];
      await expect(run((tx) => ledger['post'](tx, { programId: p.id, city: 'shanghai', kind: 'test', entries }))).rejects.toThrow(/unknown city/);
      await expect(run((tx) => ledger['post'](tx, { programId: 'p-1', city: 'hangzhou', kind: 'test', entries }))).rejects.toThrow(/UUID/);
    });

    it('sums legs on the same account and drops zero legs', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'jinhua', 1000);
      const id = await run((tx) => ledger['post'](tx, {
        programId: p.id, city: 'jinhua', kind: 'reserve', reference: 'V-1', note: 'split', actorId: 'someone',
        entries: [
          { account: 'available', amountFen: -100 }, { account: 'available', amountFen: -50 },
          { account: 'reserved', amountFen: 150 }, { account: 'paid', amountFen: 0 },
        ],
      }));
      const posted = await ledger.findTransaction(db.manager, id);
      expect(posted).toMatchObject({ id, programId: p.id, city: 'jinhua', kind: 'reserve', reference: 'V-1', note: 'split', actorId: 'someone' });
      expect(posted!.entries.map((e) => [e.account, e.amountFen])).toEqual([['available', -100], ['available', -50], ['reserved', 150]]);
      expect((await ledger.balances(p.id, 'jinhua'))[0]).toMatchObject({ availableFen: 850, reservedFen: 150, paidFen: 0 });
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ledger_accounts WHERE program_id = $1 AND kind = 'paid'`, [p.id]);
      expect(n).toBe(0);
    });

    it('records a movement whose legs are all zero without moving anything', async () => {
      const p = await program();
      const id = await run((tx) => ledger['post'](tx, {
        programId: p.id, city: 'quzhou', kind: 'commit', reference: 'claim-0',
        entries: [{ account: 'reserved', amountFen: 0 }, { account: 'available', amountFen: 0 }],
      }));
      expect((await ledger.findTransaction(db.manager, id))!.entries).toEqual([]);
      expect(await ledger.checkInvariants(p.id)).toEqual({ balanced: true, problems: [] });
    });

    it('keeps entries append-only', async () => {
      const p = await program();
      const grant = await t.make.budget(admin, p.code, 'hangzhou', 1000);
      await expect(t.db.query(`UPDATE ledger_entries SET amount_fen = 1 WHERE transaction_id = $1`, [grant.id])).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM ledger_entries WHERE transaction_id = $1`, [grant.id])).rejects.toThrow(/append-only/);
    });
  });

  describe('concurrency', () => {
    it('50 concurrent reservations against a pool that covers 20: exactly 20 succeed', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'wenzhou', 20 * CAP);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          run((tx) => ledger.reserve(tx, ACTOR, { programId: p.id, city: 'wenzhou', amountFen: CAP, reference: `V-${i}` }))),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(20);
      expect(lost.map((r) => code(r.reason))).toEqual(Array(30).fill('budget_exhausted'));
      expect((await ledger.balances(p.id, 'wenzhou'))[0]).toMatchObject({ grantedFen: 20 * CAP, availableFen: 0, reservedFen: 20 * CAP, balanced: true });
      expect(await ledger.checkInvariants(p.id)).toEqual({ balanced: true, problems: [] });
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE program_id = $1 AND kind = 'reserve'`, [p.id]);
      expect(n).toBe(20);
    });

    it('does not deadlock when movements lock the same accounts from opposite directions', async () => {
      const p = await program();
      await t.make.budget(admin, p.code, 'huzhou', 1_000_000);
      await run((tx) => ledger.reserve(tx, ACTOR, { programId: p.id, city: 'huzhou', amountFen: 500_000 }));
      const moves = Array.from({ length: 40 }, (_, i) => (i % 2
        ? run((tx) => ledger.reserve(tx, ACTOR, { programId: p.id, city: 'huzhou', amountFen: 1000 }))
        : run((tx) => ledger.release(tx, ACTOR, { programId: p.id, city: 'huzhou', amountFen: 1000 }))));
      await Promise.all(moves);
      expect((await ledger.balances(p.id, 'huzhou'))[0]).toMatchObject({ availableFen: 500_000, reservedFen: 500_000 });
    });
  });

  describe('checkInvariants', () => {
    it('notices a balance that is not the sum of its entries, and an unbalanced transaction', async () => {
      const p = await program();
      const grant = await t.make.budget(admin, p.code, 'zhoushan', 1000);
      expect(await ledger.checkInvariants(p.id)).toEqual({ balanced: true, problems: [] });

      await t.db.query(`UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE program_id = $1 AND kind = 'available'`, [p.id]);
      const drifted = await ledger.checkInvariants(p.id);
      expect(drifted.balanced).toBe(false);
      expect(drifted.problems).toEqual(expect.arrayContaining([
        expect.stringMatching(/zhoushan available\): balance 1001 fen but its entries sum to 1000 fen/),
        expect.stringMatching(/zhoushan: available \+ reserved \+ payable \+ paid - receivable = 1001 fen but granted = 1000 fen/),
      ]));
      expect((await ledger.balances(p.id, 'zhoushan'))[0].balanced).toBe(false);

      // a forged one-sided entry that also moved the balance: only the transaction check can see it
      await t.db.query(`UPDATE ledger_accounts SET balance_fen = balance_fen - 1 WHERE program_id = $1 AND kind = 'available'`, [p.id]);
      await t.db.query(
        `INSERT INTO ledger_entries (transaction_id, account_id, amount_fen)
         SELECT $1, id, 5 FROM ledger_accounts WHERE program_id = $2 AND kind = 'available'`, [grant.id, p.id]);
      await t.db.query(`UPDATE ledger_accounts SET balance_fen = balance_fen + 5 WHERE program_id = $1 AND kind = 'available'`, [p.id]);
      const forged = await ledger.checkInvariants(p.id);
      expect(forged.problems).toEqual(expect.arrayContaining([`transaction ${grant.id}: entries sum to 5 fen, not 0`]));
    });
  });

  describe('property: random movements, some concurrent', () => {
    type Op =
      | { t: 'grant'; city: string; amount: number; viaHttp: boolean }
      | { t: 'reserve' | 'release'; city: string; amount: number }
      | { t: 'commit'; city: string; retailer: number; reserved: number; amount: number }
      | { t: 'uncommit' | 'pay' | 'clawback'; city: string; retailer: number; amount: number };

    const CITIES = ['hangzhou', 'ningbo'];
    const city = fc.constantFrom(...CITIES);
    const retailer = fc.integer({ min: 0, max: 2 });
    const fen = (max: number) => fc.integer({ min: 1, max });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 2, arbitrary: fc.record({ t: fc.constant('grant' as const), city, amount: fen(1_500_000), viaHttp: fc.boolean() }) },
      { weight: 5, arbitrary: fc.record({ t: fc.constant('reserve' as const), city, amount: fen(CAP) }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), city, amount: fen(CAP) }) },
      {
        weight: 4,
        arbitrary: fc.record({ t: fc.constant('commit' as const), city, retailer, reserved: fen(CAP), amount: fc.integer({ min: 0, max: CAP + 20_000 }) }),
      },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('uncommit' as const), city, retailer, amount: fen(100_000) }) },
      { weight: 3, arbitrary: fc.record({ t: fc.constant('pay' as const), city, retailer, amount: fen(150_000) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('clawback' as const), city, retailer, amount: fen(50_000) }) },
    );
    // batches run one after another; the operations of a batch run concurrently, each in its own transaction
    const batches = fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 12, maxLength: 20 });

    /** What each operation does to which account: the model the database must agree with. */
    function legs(o: Op): [string, number][] {
      const r = 'retailer' in o ? retailers[o.retailer] : '';
      switch (o.t) {
        case 'grant': return [[`${o.city}:granted:`, -o.amount], [`${o.city}:available:`, o.amount]];
        case 'reserve': return [[`${o.city}:available:`, -o.amount], [`${o.city}:reserved:`, o.amount]];
        case 'release': return [[`${o.city}:reserved:`, -o.amount], [`${o.city}:available:`, o.amount]];
        case 'commit': return [[`${o.city}:reserved:`, -o.reserved], [`${o.city}:payable:${r}`, o.amount], [`${o.city}:available:`, o.reserved - o.amount]];
        case 'uncommit': return [[`${o.city}:payable:${r}`, -o.amount], [`${o.city}:available:`, o.amount]];
        case 'pay': return [[`${o.city}:payable:${r}`, -o.amount], [`${o.city}:paid:`, o.amount]];
        case 'clawback': return [[`${o.city}:receivable:${r}`, -o.amount], [`${o.city}:available:`, o.amount]];
      }
    }

    async function apply(p: { id: string; code: string }, o: Op): Promise<boolean> {
      const scope = { programId: p.id, city: o.city, reference: `prop-${o.t}` };
      try {
        if (o.t === 'grant' && o.viaHttp) {
          const res = await t.http().post(`/v1/admin/programs/${p.code}/budgets`).set(admin.auth).send({ city: o.city, amountFen: o.amount });
          if (res.status !== 201) throw new Error(`grant failed: ${res.status} ${JSON.stringify(res.body)}`);
          return true;
        }
        await run((tx) => {
          switch (o.t) {
            case 'grant': return ledger.grant(tx, ACTOR, { ...scope, amountFen: o.amount });
            case 'reserve': return ledger.reserve(tx, ACTOR, { ...scope, amountFen: o.amount });
            case 'release': return ledger.release(tx, ACTOR, { ...scope, amountFen: o.amount });
            case 'commit': return ledger.commit(tx, ACTOR, { ...scope, retailerId: retailers[o.retailer], reservedFen: o.reserved, amountFen: o.amount });
            case 'uncommit': return ledger.uncommit(tx, ACTOR, { ...scope, retailerId: retailers[o.retailer], amountFen: o.amount });
            case 'pay': return ledger.pay(tx, ACTOR, { ...scope, retailerId: retailers[o.retailer], amountFen: o.amount });
            case 'clawback': return ledger.clawback(tx, ACTOR, { ...scope, retailerId: retailers[o.retailer], amountFen: o.amount });
          }
        });
        return true;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'budget_exhausted') return false;
        throw err;
      }
    }

    const accountsOf = async (programId: string) => {
      const rows: { city: string; kind: string; retailer_id: string | null; balance_fen: string }[] = await t.db.query(
        `SELECT city, kind, retailer_id, balance_fen::text AS balance_fen FROM ledger_accounts WHERE program_id = $1`, [programId]);
      return rows.map((r) => ({ key: `${r.city}:${r.kind}:${r.retailer_id ?? ''}`, kind: r.kind, balance: Number(r.balance_fen) }));
    };

    it('keeps every invariant over ~1,000 operations and agrees with a model of the successful ones', async () => {
      let total = 0;
      let succeeded = 0;
      await fc.assert(
        fc.asyncProperty(batches, async (plan) => {
          const p = await program();
          const expected = new Map<string, number>();
          let ok = 0;
          for (const batch of plan) {
            const outcomes = await Promise.all(batch.map((o) => apply(p, o)));
            batch.forEach((o, i) => {
              if (!outcomes[i]) return;
              ok++;
              for (const [key, amount] of legs(o)) expected.set(key, (expected.get(key) ?? 0) + amount);
            });
            // after every batch: no guarded balance below zero, no contra balance above it
            const wrongSign = (await accountsOf(p.id)).filter((a) =>
              (a.kind === 'granted' || a.kind === 'receivable' ? a.balance > 0 : a.balance < 0));
            expect(wrongSign).toEqual([]);
          }
          total += plan.flat().length;
          succeeded += ok;

          const actual = new Map((await accountsOf(p.id)).filter((a) => a.balance !== 0).map((a) => [a.key, a.balance]));
          expect(actual).toEqual(new Map([...expected].filter(([, v]) => v !== 0)));
          expect(await ledger.checkInvariants(p.id)).toEqual({ balanced: true, problems: [] });
          for (const c of await ledger.balances(p.id)) {
            expect(c.balanced).toBe(true);
            expect(c.availableFen + c.reservedFen + c.payableFen + c.paidFen - c.receivableFen).toBe(c.grantedFen);
          }
          const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE program_id = $1`, [p.id]);
          expect(n).toBe(ok); // a refused movement leaves no transaction behind
        }),
        // ~16 runs × ~65 operations; each run is a fresh programme. Shrinking would replay hundreds of
        // database transactions per step: the seed reproduces a failure instead.
        { seed: 20261111, numRuns: 16, endOnFailure: true },
      );
      expect(total).toBeGreaterThanOrEqual(800);
      expect(succeeded).toBeGreaterThan(total / 3);
      expect(succeeded).toBeLessThan(total); // some were refused, so the guard was exercised
    }, 300_000);
  });
});
