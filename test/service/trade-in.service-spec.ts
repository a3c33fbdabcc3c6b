import { Actor, DomainError, SYSTEM_ACTOR } from '@huanxin/core';
import { TradeInInput, TradeInService } from '@huanxin/claims';
import { TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { startTestApp, TestApp } from '../support/app';
import { Scenario } from '../support/scenario';

/**
 * Service level, no HTTP: the trade-in's checklist (TradeInService, DESIGN.md "What a trade-in must pass") called
 * directly, its effects read back from PostgreSQL — the claim, the voucher used, the ledger's legs and the audit
 * event in one transaction; a refusal changing nothing but the fraud signal; a quote changing nothing at all.
 */
describe('the trade-in checklist (service)', () => {
  let t: TestApp;
  let s: Scenario;
  let trades: TradeInService;
  let till: Actor;
  let programId: string;
  const city = 'hangzhou';

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: [city], budgetFen: 10_000_000 });
    trades = t.app.get(TradeInService);
    till = { kind: 'api_key', id: 'service-test', role: 'retailer', retailerId: s.retailer.id };
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  async function sale(overrides: Record<string, unknown> = {}) {
    const h = await s.household(city);
    const v = await s.voucher(h);
    return { h, v, input: (await s.tradeInBody(h, v.code, overrides)) as unknown as TradeInInput };
  }

  const balances = async () => (await t.app.get(LedgerService).balances(programId, city))[0];
  /** The accounts (kind and slot) the claim's ledger movements posted to. */
  const legsOf = async (claimId: string): Promise<{ kind: string; slot: number }[]> => t.db.query(
    `SELECT a.kind, a.slot FROM ledger_transactions lt JOIN ledger_entries e ON e.transaction_id = lt.id JOIN ledger_accounts a ON a.id = e.account_id
      WHERE lt.program_id = $1 AND lt.reference = $2 ORDER BY a.kind`, [programId, claimId]);

  it('records the claim, uses the voucher, books the money and the audit event, together', async () => {
    const { v, input } = await sale();
    const before = await balances();
    const result = await trades.submit(till, input);
    const [claim] = await t.db.query(
      `SELECT status, amount_fen::int AS amount, reserved_fen::int AS reserved, program_code, store_code, voucher_code, checks
         FROM claims WHERE id = $1`, [result.claimId]);
    expect(claim).toMatchObject({ status: result.status, amount: result.subsidy.amountFen, reserved: v.reservedFen, program_code: s.programCode, store_code: input.storeCode, voucher_code: v.code });
    expect(claim.checks.map((c: { check: string }) => c.check)).toEqual([
      'retailer_active', 'voucher_owner', 'voucher_open', 'store_city', 'sale_time', 'model_eligible', 'price', 'serial_new', 'invoice_new', 'receipt', 'household_limit',
    ]);
    expect((await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [v.code]))[0].status).toBe('used');
    const after = await balances();
    // the voucher reserved the cap; the claim keeps its amount (reserved under review, payable once approved), the rest is back
    expect(after.availableFen - before.availableFen).toBe(v.reservedFen - result.subsidy.amountFen);
    expect(after.reservedFen + after.payableFen - before.reservedFen - before.payableFen).toBe(result.subsidy.amountFen - v.reservedFen);
    const events = await t.db.query(`SELECT action FROM audit_events WHERE subject_type = 'claim' AND subject_id = $1`, [result.claimId]);
    expect(events).toEqual([{ action: 'claim.submitted' }]);
    // Posted where the voucher's reservation is: the voucher's ledger slot (and the retailer's payable when approved;
    // a retailer's first approved claim here creates that account, under the city's ledger lock, as before).
    const next = await sale();
    const second = await trades.submit(till, next.input);
    const [{ slot }] = await t.db.query(`SELECT slot FROM vouchers WHERE code = $1`, [next.v.code]);
    expect(slot).toBeGreaterThanOrEqual(1);
    const legs = await legsOf(second.claimId);
    expect(legs.length).toBeGreaterThanOrEqual(2);
    for (const leg of legs) expect(leg).toEqual(leg.kind === 'payable' ? { kind: 'payable', slot: 0 } : { kind: leg.kind, slot });
  });

  it('a quote runs the same checklist and changes nothing', async () => {
    const { v, input } = await sale();
    const snap = await s.snapshot();
    const quote = await trades.quote(till, input);
    expect(quote).toMatchObject({ policyVersion: 1, payableByCustomerFen: input.salePriceFen - quote.subsidy.amountFen });
    expect(await s.snapshot()).toEqual(snap);
    expect((await t.db.query(`SELECT status FROM vouchers WHERE code = $1`, [v.code]))[0].status).toBe('open');
  });

  it("a refusal changes nothing but the fraud signal: another household's voucher is voucher_not_owned", async () => {
    const { input } = await sale();
    const other = await s.household(city);
    const snap = await s.snapshot();
    const failuresBefore = (await t.db.query(`SELECT count(*)::int AS n FROM trade_in_failures WHERE retailer_id = $1`, [s.retailer.id]))[0].n;
    await expect(trades.submit(till, { ...input, householdIdNumber: other.idNumber })).rejects.toMatchObject({ code: 'voucher_not_owned' });
    expect(await s.snapshot()).toEqual(snap);
    const failures = await t.db.query(`SELECT code FROM trade_in_failures WHERE retailer_id = $1 ORDER BY id DESC LIMIT 1`, [s.retailer.id]);
    expect(failures).toEqual([{ code: 'voucher_not_owned' }]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM trade_in_failures WHERE retailer_id = $1`, [s.retailer.id]))[0].n).toBe(failuresBefore + 1);
  });

  it('the same TV twice: the second is serial_already_subsidised, whichever voucher it comes with', async () => {
    const first = await sale();
    await trades.submit(till, first.input);
    const second = await sale({ serialNumber: ` ${first.input.serialNumber.toLowerCase()} ` });
    const refusal = await trades.submit(till, second.input).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'serial_already_subsidised' });
  });

  /**
   * Issue 11, a count and not a timing: every statement the trade-in sends inside its transaction goes through the
   * transaction's manager, wrapped here to count them, and those the ledger's movement sends are told apart.
   */
  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: { sql: string; ledger: boolean; prepared: boolean }[] }> {
    const db = t.app.get(TransactionService);
    const ledger = t.app.get(LedgerService);
    const statements: { sql: string; ledger: boolean; prepared: boolean }[] = [];
    let inLedger = false;
    const counting = (tx: Tx): Tx => new Proxy(tx, {
      get: (target, prop, receiver) => (prop === 'query'
        ? (sql: string | { text: string }, params?: unknown[]) => {
          // a prepared statement (queryPrepared) comes as node-postgres's query config
          statements.push({ sql: (typeof sql === 'string' ? sql : sql.text).replace(/\s+/g, ' ').trim(), ledger: inLedger, prepared: typeof sql !== 'string' });
          return target.query(sql as string, params);
        }
        : Reflect.get(target, prop, receiver)),
    });
    const run = db.run.bind(db);
    const spies = [
      jest.spyOn(db, 'run').mockImplementation(((w: (tx: Tx) => Promise<unknown>) => run((tx) => w(counting(tx)))) as typeof db.run),
      ...(['commit', 'holdForReview', 'commitInSlot'] as const).map((name) => {
        const move = ledger[name].bind(ledger) as (...a: unknown[]) => Promise<string>;
        return jest.spyOn(ledger, name).mockImplementation((async (...args: unknown[]) => {
          inLedger = true;
          try {
            return await move(...args);
          } finally {
            inLedger = false;
          }
        }) as never);
      }),
    ];
    try {
      return { result: await work(), statements };
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  }

  it('few round trips: one statement per owner for the checks, three writes, then the ledger movement last', async () => {
    const { input } = await sale();
    const { result, statements } = await counted(() => trades.submit(till, input));
    expect(result.status).toBe('approved');
    const own = statements.filter((s) => !s.ledger).map((s) => s.sql.split(' ').slice(0, 4).join(' '));
    // the checks: the voucher (locked); the programme with its policy versions; the retailer and its store
    // (share-locked, in that order); the holder; the model; everything asked of claims; the receipt's key,
    // certification and revocation — then the claim, the voucher used, the audit event
    expect(own).toHaveLength(10);
    expect(own.slice(7)).toEqual([
      expect.stringMatching(/^INSERT INTO claims/), expect.stringMatching(/^UPDATE vouchers SET/), expect.stringMatching(/^INSERT INTO audit_events/),
    ]);
    // the ledger's movement holds its accounts until COMMIT: nothing of the trade-in's own runs after it
    const firstLedger = statements.findIndex((s) => s.ledger);
    expect(firstLedger).toBe(own.length);
    expect(statements.slice(firstLedger).every((s) => s.ledger)).toBe(true);
    // in the voucher's ledger slot (issue 11): the retailer's payable and the slot's accounts locked, then one write —
    // and never the city's ledger lock (its `granted` account), which would queue every trade-in of the city
    const ledgerSql = statements.filter((s) => s.ledger).map((s) => s.sql);
    expect(ledgerSql).toHaveLength(2);
    expect(ledgerSql[0]).toMatch(/FOR UPDATE/);
    expect(ledgerSql.some((q) => /'granted'/.test(q))).toBe(false);
    // every one a named prepared statement (queryPrepared): PostgreSQL plans each once per pooled connection
    expect(statements.filter((s) => !s.prepared).map((s) => s.sql.slice(0, 60))).toEqual([]);
  });

  it("a voucher whose slot no longer holds its reservation is posted through the city's ledger, exactly", async () => {
    const ledger = t.app.get(LedgerService);
    const db = t.app.get(TransactionService);
    const { v, input } = await sale();
    const [{ slot }] = await t.db.query(`SELECT slot FROM vouchers WHERE code = $1`, [v.code]);
    expect(slot).toBeGreaterThanOrEqual(1);
    // move every slot's reservations to the main account (a release reaching into the slots, then a reservation in
    // the main account): the city's balances end where they began, the voucher's slot holds nothing reserved
    const slotReserved = async () => Number((await t.db.query(
      `SELECT coalesce(sum(balance_fen), 0)::bigint AS n FROM ledger_accounts WHERE program_id = $1 AND city = $2 AND kind = 'reserved' AND slot > 0`, [programId, city]))[0].n);
    const held = await slotReserved();
    expect(held).toBeGreaterThanOrEqual(v.reservedFen);
    const total = (await balances()).reservedFen;
    await db.run(async (tx) => {
      await ledger.release(tx, SYSTEM_ACTOR, { programId, city, amountFen: total, reference: 'test:drain' });
      await ledger.reserve(tx, SYSTEM_ACTOR, { programId, city, amountFen: total, reference: 'test:drain' });
    });
    expect(await slotReserved()).toBe(0);
    const before = await balances();
    const result = await trades.submit(till, input);
    const after = await balances();
    expect(after.availableFen - before.availableFen).toBe(v.reservedFen - result.subsidy.amountFen);
    expect(after.reservedFen + after.payableFen - before.reservedFen - before.payableFen).toBe(result.subsidy.amountFen - v.reservedFen);
    expect((await ledger.checkInvariants(programId)).balanced).toBe(true);
    // one claim, one commit movement naming it (the first run rolled back entirely)
    expect((await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE voucher_code = $1`, [v.code]))[0].n).toBe(1);
    const moves = await ledger.movementsFor(programId, [result.claimId]);
    expect(moves.map((m) => m.kind)).toEqual(['commit']);
    // through the city's main accounts
    const legs = await legsOf(result.claimId);
    expect(legs.length).toBeGreaterThanOrEqual(2);
    expect(legs.every((l) => l.slot === 0)).toBe(true);
  });

  it('a refusal reads no more than a sale does, writes nothing in its transaction, and records one failure', async () => {
    const first = await sale();
    await trades.submit(till, first.input);
    const again = await sale({ serialNumber: first.input.serialNumber });
    const { result, statements } = await counted(() => trades.submit(till, again.input).catch((e: unknown) => e));
    expect(result).toMatchObject({ code: 'serial_already_subsidised' });
    // voucher, programme, retailer and store, holder, model, claims: the refusal is known after the sixth statement
    expect(statements).toHaveLength(6);
    expect(statements.some((s) => /^(INSERT|UPDATE|DELETE)/.test(s.sql))).toBe(false);
  });

  it('only a till may submit: another role is refused before anything is read', async () => {
    const { input } = await sale();
    await expect(trades.submit({ kind: 'user', id: 'x', role: 'auditor' }, input)).rejects.toMatchObject({ code: 'forbidden' });
  });
});
