import { DomainError, SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import request from 'supertest';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import type { Household } from './support/factories';
import { randomPhone, randomResidentId, uniq } from './support/ids';
import { Scenario } from './support/scenario';
import { tally } from './support/tally';

// jest takes testTimeout from the top-level config only, not from the e2e project's settings
jest.setTimeout(120_000); // generous: a loaded two-core machine can triple the usual ~15 s

/**
 * The races of DESIGN.md ("Uniqueness that protects money … is a unique index, so two API processes racing
 * each other still cannot both win"), run against two real API processes (`node dist/apps/api/src/main.js`)
 * sharing one database. Set-up goes through the in-process test app; every racing request goes to one of the
 * two processes, alternately, all fired at once. No process holds anything the other can see except the
 * database, so whatever keeps the numbers exact has to be PostgreSQL's.
 */
describe('races between two API processes on one database (e2e)', () => {
  const CAP = DEFAULT_POLICY_RULES.capFen;
  let t: TestApp;
  const api: ApiProcess[] = [];
  const ledger = () => t.app.get(LedgerService);

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    const started = await Promise.allSettled([0, 1].map(() =>
      // the idempotency race parks duplicates for as long as the first request takes: be generous
      startApiProcess(t.database.url, { IDEMPOTENCY_WAIT_MS: '20000', DB_POOL_SIZE: '8' }),
    ));
    for (const s of started) if (s.status === 'fulfilled') api.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    // warm both up, so neither wins a race only because the other is still compiling its code paths
    const h = await t.make.household();
    for (const p of api) {
      for (let i = 0; i < 3; i++) await request(p.url).get('/v1/household/vouchers').set(h.auth).expect(200);
    }
  }, 240_000);

  afterAll(async () => {
    // the processes first: dropping the database under them would only add noise to their logs
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);

  /** The i-th request goes to process i mod 2. */
  const via = (i: number) => request(api[i % 2].url);

  const households = (n: number, city: string): Promise<Household[]> => t.make.households(n, city);

  async function programId(s: Scenario): Promise<string> {
    return (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  }

  async function expectLedgerBalanced(...programIds: string[]): Promise<void> {
    for (const id of programIds) expect(await ledger().checkInvariants(id)).toEqual({ balanced: true, problems: [] });
    expect(await ledger().checkInvariants()).toEqual({ balanced: true, problems: [] });
  }

  async function balances(id: string, city: string) {
    return (await ledger().balances(id, city))[0];
  }

  it('runs two separate API processes on the one database', async () => {
    expect(api).toHaveLength(2);
    expect(new Set([process.pid, ...api.map((p) => p.pid)]).size).toBe(3);
    expect(api[0].url).not.toBe(api[1].url);
    for (const p of api) await request(p.url).get('/health/ready').expect(200);
    // one database: what one process writes, the other reads
    const body = { phone: randomPhone(), password: `pw-${uniq()}`, name: '测试住户', idNumber: randomResidentId(), city: 'hangzhou' };
    await via(0).post('/v1/auth/register').send(body).expect(201);
    await via(1).post('/v1/auth/login').send({ username: body.phone, password: body.password }).expect(200);
  });

  it('200 concurrent voucher requests for a quota of 50 issue exactly 50', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 50, budgetFen: 100_000_000 });
    const pid = await programId(s);
    const hs = await households(200, 'hangzhou');

    const responses = await Promise.all(hs.map((h, i) => via(i).post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode })));

    expect(tally(responses)).toEqual({ '201': 50, '409 quota_exhausted': 150 });
    const issued = responses.filter((r) => r.status === 201);
    expect(issued.every((r) => r.body.reservedFen === CAP && r.body.city === 'hangzhou')).toBe(true);
    const vouchers: { code: string; household_id: string }[] = await t.db.query(`SELECT code, household_id FROM vouchers WHERE program_id = $1`, [pid]);
    expect(vouchers).toHaveLength(50);
    expect(new Set(vouchers.map((v) => v.household_id)).size).toBe(50);
    expect(vouchers.map((v) => v.code).sort()).toEqual(issued.map((r) => r.body.code).sort());
    const days = await t.db.query(`SELECT city, released, issued FROM quota_days WHERE program_id = $1`, [pid]);
    expect(days).toEqual([{ city: 'hangzhou', released: 50, issued: 50 }]);
    const b = await balances(pid, 'hangzhou');
    expect(b).toMatchObject({ grantedFen: 100_000_000, reservedFen: 50 * CAP, availableFen: 100_000_000 - 50 * CAP, payableFen: 0 });
    await expectLedgerBalanced(pid);
  });

  it('one household sends one Idempotency-Key for a voucher 10 times at once: one voucher, ten identical answers; a refusal keeps no key', async () => {
    // the voucher route keeps no claim row before its work (IdempotentInTransaction({ claimFirst: false })): the
    // duplicates run, one commits its voucher with the answer under the key, the others find the household's
    // open voucher (or the key) taken and replay the stored answer
    const s = await Scenario.create(t, { cities: ['hangzhou'], dailyVouchers: 5, budgetFen: 100_000_000 });
    const pid = await programId(s);
    const [h, late] = await households(2, 'hangzhou');
    const key = `hh-${uniq()}`;

    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      via(i).post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', key).send({ programCode: s.programCode })));

    expect(tally(responses)).toEqual({ '201': 10 });
    for (const r of responses) expect(r.body).toEqual(responses[0].body);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect(await t.db.query(`SELECT code FROM vouchers WHERE program_id = $1`, [pid])).toEqual([{ code: responses[0].body.code }]);
    expect(await t.db.query(`SELECT reference FROM ledger_transactions WHERE program_id = $1 AND kind = 'reserve'`, [pid])).toEqual([{ reference: responses[0].body.code }]);
    expect(await t.db.query(`SELECT state, response_status FROM idempotency_keys WHERE key = $1`, [key])).toEqual([{ state: 'completed', response_status: 201 }]);
    expect(await t.db.query(`SELECT issued FROM quota_days WHERE program_id = $1`, [pid])).toEqual([{ issued: 1 }]);
    // the same key with another body is another request: 422, nothing issued
    const other = await via(0).post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', key).send({ programCode: `${s.programCode}x` });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    // a refusal writes nothing under its key
    const refusedKey = `hh-${uniq()}`;
    const again = await via(1).post('/v1/household/vouchers').set(h.auth).set('Idempotency-Key', refusedKey).send({ programCode: s.programCode });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('voucher_already_open');
    expect(await t.db.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [refusedKey])).toEqual([]);
    // and the key is free for the retry that succeeds later (another household here, same key text: keys are per caller)
    await via(1).post('/v1/household/vouchers').set(late.auth).set('Idempotency-Key', refusedKey).send({ programCode: s.programCode }).expect(201);
    await expectLedgerBalanced(pid);
  });

  it('a budget that covers N caps gives exactly N vouchers to 3N concurrent requests, however large the quota', async () => {
    const N = 20;
    const s = await Scenario.create(t, { cities: ['ningbo'], dailyVouchers: 3 * N, budgetFen: N * CAP });
    const pid = await programId(s);
    const hs = await households(3 * N, 'ningbo');

    const responses = await Promise.all(hs.map((h, i) => via(i).post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode })));

    expect(tally(responses)).toEqual({ '201': N, '409 budget_exhausted': 2 * N });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM vouchers WHERE program_id = $1`, [pid]))[0].n).toBe(N);
    // a request refused for want of budget rolled back the quota it had taken
    expect(await t.db.query(`SELECT issued FROM quota_days WHERE program_id = $1`, [pid])).toEqual([{ issued: N }]);
    expect(await balances(pid, 'ningbo')).toMatchObject({ grantedFen: N * CAP, availableFen: 0, reservedFen: N * CAP });
    await expectLedgerBalanced(pid);
  });

  describe('one recycling receipt, two retailers at once', () => {
    const ROUNDS = 10;

    /**
     * The receipt is bound to its holder, so both tills serve the same household and so the same open voucher
     * (one a programme). The winner consumes both; the loser is refused for whichever of the two it finds
     * taken first. Today that is always the voucher — the trade-in locks the voucher row (FOR UPDATE) before
     * anything else, so the loser waits for the winner's commit, then reads it `used` — but either refusal is
     * the contract (API.md), so either is accepted and nothing else is.
     */
    it('same voucher: one claim; the other till gets voucher_used or receipt_already_used', async () => {
      const s = await Scenario.create(t, { cities: ['hangzhou'] });
      const pid = await programId(s);
      const other = await t.make.retailer({ city: 'hangzhou', stores: [{ code: 'OTHER-1', city: 'hangzhou' }] });
      const modelCode = await s.model();
      const rounds = await Promise.all((await households(ROUNDS, 'hangzhou')).map(async (h) => {
        const v = await s.voucher(h);
        const recyclingReceipt = await s.receipt(h.idNumber);
        const mine = await s.tradeInBody(h, v.code, { modelCode, recyclingReceipt });
        const theirs = await s.tradeInBody(h, v.code, { modelCode, recyclingReceipt, storeCode: 'OTHER-1' });
        return { v, mine, theirs };
      }));

      const responses = await Promise.all(rounds.flatMap(({ mine, theirs }) => [
        via(0).post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(mine),
        via(1).post('/v1/retailer/trade-ins').set(other.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(theirs),
      ]));

      for (let i = 0; i < ROUNDS; i++) {
        const pair = responses.slice(2 * i, 2 * i + 2);
        expect(pair.map((r) => r.status).sort()).toEqual([201, 409]);
        expect(['voucher_used', 'receipt_already_used']).toContain(pair.find((r) => r.status === 409)!.body.code);
        const claims = await t.db.query(
          `SELECT c.id, c.retailer_id FROM claims c JOIN vouchers v ON v.id = c.voucher_id WHERE v.code = $1`, [rounds[i].v.code],
        );
        const winner = pair.findIndex((r) => r.status === 201);
        expect(claims).toEqual([{ id: pair[winner].body.claimId, retailer_id: winner === 0 ? s.retailer.id : other.id }]);
      }
      const { n } = (await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE program_id = $1`, [pid]))[0];
      expect(n).toBe(ROUNDS);
      await expectLedgerBalanced(pid);
    });

    /**
     * The sharper case: the household holds a voucher in each of two programmes running in its city, and each
     * till redeems a different one with the same receipt. No voucher, serial or invoice is shared, and each
     * programme has its own ledger lock, so only the receipt's uniqueness (claims_receipt_live) stands between
     * the two: the loser must be receipt_already_used, whether the check or the index caught it.
     */
    it('two programmes, two vouchers: one claim; the other till gets receipt_already_used', async () => {
      const [a, b] = await Promise.all([Scenario.create(t, { cities: ['hangzhou'] }), Scenario.create(t, { cities: ['hangzhou'] })]);
      const [pa, pb] = [await programId(a), await programId(b)];
      const modelCode = await a.model();
      const rounds = await Promise.all((await households(ROUNDS, 'hangzhou')).map(async (h) => {
        const [va, vb] = [await a.voucher(h), await b.voucher(h)];
        const recyclingReceipt = await a.receipt(h.idNumber);
        return {
          rid: JSON.parse(Buffer.from(recyclingReceipt.split('.')[1], 'base64url').toString()).rid as string,
          inA: await a.tradeInBody(h, va.code, { modelCode, recyclingReceipt }),
          inB: await b.tradeInBody(h, vb.code, { modelCode, recyclingReceipt }),
        };
      }));

      const responses = await Promise.all(rounds.flatMap(({ inA, inB }) => [
        via(0).post('/v1/retailer/trade-ins').set(a.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(inA),
        via(1).post('/v1/retailer/trade-ins').set(b.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(inB),
      ]));

      expect(tally(responses)).toEqual({ '201': ROUNDS, '409 receipt_already_used': ROUNDS });
      for (let i = 0; i < ROUNDS; i++) {
        const pair = responses.slice(2 * i, 2 * i + 2);
        expect(pair.map((r) => r.status).sort()).toEqual([201, 409]);
        const claims = await t.db.query(`SELECT id FROM claims WHERE receipt_rid = $1`, [rounds[i].rid]);
        expect(claims).toEqual([{ id: pair.find((r) => r.status === 201)!.body.claimId }]);
      }
      await expectLedgerBalanced(pa, pb);
    });
  });

  it('one serial number in 20 concurrent trade-ins: one claim, 19 serial_already_subsidised', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const pid = await programId(s);
    const modelCode = await s.model();
    const serialNumber = `SN-${uniq()}`;
    const bodies = await Promise.all((await households(20, 'hangzhou')).map(async (h) => {
      const v = await s.voucher(h);
      return s.tradeInBody(h, v.code, { modelCode, serialNumber, salePriceFen: 599900 });
    }));
    const before = await balances(pid, 'hangzhou');
    expect(before.reservedFen).toBe(20 * CAP);

    const responses = await Promise.all(bodies.map((body, i) =>
      via(i).post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(body)));

    expect(tally(responses)).toEqual({ '201': 1, '409 serial_already_subsidised': 19 });
    const winner = responses.find((r) => r.status === 201)!;
    const claims = await t.db.query(`SELECT id, amount_fen FROM claims WHERE serial_number = $1`, [serialNumber.toUpperCase()]);
    expect(claims).toEqual([{ id: winner.body.claimId, amount_fen: String(winner.body.subsidy.amountFen) }]);
    expect(await t.db.query(`SELECT status, count(*)::int AS n FROM vouchers WHERE program_id = $1 GROUP BY status ORDER BY status`, [pid]))
      .toEqual([{ status: 'open', n: 19 }, { status: 'used', n: 1 }]);
    const amount = winner.body.subsidy.amountFen;
    expect(await balances(pid, 'hangzhou')).toMatchObject({
      reservedFen: 19 * CAP, payableFen: amount, availableFen: before.availableFen + CAP - amount,
    });
    await expectLedgerBalanced(pid);
  });

  it("40 trade-ins of one city post in their vouchers' ledger slots across two processes while city-lock holders reach into those slots: no deadlock, exact money", async () => {
    const s = await Scenario.create(t, { cities: ['ningbo'] });
    const pid = await programId(s);
    const scope = { programId: pid, city: 'ningbo' };
    // the retailer's first claim here makes its payable account (under the city lock); then 40 vouchers in many slots
    const [first] = await households(1, 'ningbo');
    await s.tradeIn(await s.tradeInBody(first, (await s.voucher(first)).code)).expect(201);
    const bodies = await Promise.all((await households(40, 'ningbo')).map(async (h) => s.tradeInBody(h, (await s.voucher(h)).code)));
    const before = await balances(pid, 'ningbo');
    const slotReserved = async () => Number((await t.db.query(
      `SELECT coalesce(sum(balance_fen), 0)::bigint AS n FROM ledger_accounts WHERE program_id = $1 AND city = 'ningbo' AND kind = 'reserved' AND slot > 0`, [pid]))[0].n);
    expect(await slotReserved()).toBe(40 * CAP);

    // Meanwhile, city-lock holders in this process: each round releases more than the main account reserves (the
    // rest comes from the richest slot, locked) and reserves it back in the main account, then sweeps every slot
    // (locking them all). Vouchers whose slot is drained this way have their trade-in run again through the city lock.
    const db = t.app.get(TransactionService);
    let stop = false;
    let rounds = 0;
    const churn = (async () => {
      for (let tries = 0; !stop && tries < 30 && rounds < 15; tries++) {
        try {
          await db.run(async (tx) => {
            const [{ main }] = await tx.query(
              `SELECT balance_fen::bigint AS main FROM ledger_accounts WHERE program_id = $1 AND city = 'ningbo' AND kind = 'reserved' AND slot = 0`, [pid]);
            const amountFen = Number(main) + CAP;
            await ledger().release(tx, SYSTEM_ACTOR, { ...scope, amountFen, reference: 'race:churn' });
            await ledger().reserve(tx, SYSTEM_ACTOR, { ...scope, amountFen, reference: 'race:churn' });
            await ledger().sweepSlots(tx, SYSTEM_ACTOR, { ...scope, slots: Array.from({ length: 64 }, (_, i) => i + 1) });
          });
          rounds++;
        } catch (err) {
          // the trade-ins spent the slots' reservations meanwhile: the round rolled back whole, as the ledger must
          if (!(err instanceof DomainError && err.code === 'budget_exhausted')) throw err;
        }
      }
    })();
    const responses = await Promise.all(bodies.map((body, i) =>
      via(i).post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).set('Idempotency-Key', `ti-${uniq()}`).send(body)));
    stop = true;
    await churn;

    expect(tally(responses)).toEqual({ '201': 40 });
    expect(rounds).toBeGreaterThan(0);
    const amounts = responses.reduce((sum, r) => sum + r.body.subsidy.amountFen, 0);
    const after = await balances(pid, 'ningbo');
    // every reservation turned into its claim exactly once, wherever it was posted
    expect(after.availableFen).toBe(before.availableFen + 40 * CAP - amounts);
    expect(after.reservedFen + after.payableFen).toBe(before.reservedFen + before.payableFen - 40 * CAP + amounts);
    expect(await slotReserved()).toBe(0);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE program_id = $1`, [pid]))[0].n).toBe(41);
    // commits posted in a slot without the city lock (how many, depends on the churn's timing: those whose slot it
    // had drained ran again through the city lock; test/service/trade-in.service-spec.ts proves that path exactly)
    const paths = await t.db.query(
      `SELECT bool_or(a.slot > 0) AS in_slot FROM ledger_transactions lt JOIN ledger_entries e ON e.transaction_id = lt.id JOIN ledger_accounts a ON a.id = e.account_id
        WHERE lt.program_id = $1 AND lt.kind = 'commit' GROUP BY lt.id`, [pid]);
    expect(paths.some((p: { in_slot: boolean }) => p.in_slot)).toBe(true);
    await expectLedgerBalanced(pid);
  });

  it('one Idempotency-Key sent 10 times at once: one claim and ten identical answers', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const pid = await programId(s);
    const h = await s.household();
    const v = await s.voucher(h);
    const body = await s.tradeInBody(h, v.code);
    const key = `till-${uniq()}`;

    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      via(i).post('/v1/retailer/trade-ins').set(s.retailer.keyAuth).set('Idempotency-Key', key).send(body)));

    expect(tally(responses)).toEqual({ '201': 10 });
    for (const r of responses) expect(r.body).toEqual(responses[0].body);
    expect(responses[0].body).toMatchObject({ claimId: expect.any(String), status: 'approved' });
    // one request did the work; the other nine waited for it and replayed its stored answer
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    const claims = await t.db.query(`SELECT c.id FROM claims c JOIN vouchers v ON v.id = c.voucher_id WHERE v.code = $1`, [v.code]);
    expect(claims).toEqual([{ id: responses[0].body.claimId }]);
    expect(await t.db.query(`SELECT state, response_status FROM idempotency_keys WHERE key = $1`, [key]))
      .toEqual([{ state: 'completed', response_status: 201 }]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'claim.submitted' AND subject_id = $1`, [responses[0].body.claimId]))[0].n).toBe(1);
    await expectLedgerBalanced(pid);
  });
});
