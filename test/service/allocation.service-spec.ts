import { addDays, newId, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR } from '@huanxin/core';
import { AuditSealer } from '@huanxin/audit-log';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import {
  drawWinners, LotteryService, newVoucherCode, verifyDraw, VouchersRepository, VouchersService, WaitlistRepository, WaitlistService,
} from '@huanxin/vouchers';
import { startTestApp, TestApp } from '../support/app';
import type { Household } from '../support/factories';
import { Scenario } from '../support/scenario';

const CAP = DEFAULT_POLICY_RULES.capFen;

/**
 * Service level on real PostgreSQL (issue 13): the draw step (LotteryService.draw) and the waitlist's serving
 * (WaitlistService.serveCity) called directly, their effects read back from the tables — entries, vouchers, the
 * day's quota slots, the ledger's movement and the audit events, all in one transaction.
 */
describe('allocation: the draw step and the waitlist serving (service)', () => {
  let t: TestApp;
  let lottery: LotteryService;
  const D = addDays(shanghaiDate(new Date()), 1);
  const D1 = addDays(D, 1);
  const at = (day: string, hhmm: string, seconds = 0) => new Date(shanghaiInstant(day, hhmm).getTime() + seconds * 1000);

  beforeAll(async () => {
    t = await startTestApp();
    lottery = t.app.get(LotteryService);
  }, 120_000);
  afterAll(async () => {
    t.clock.set(undefined);
    await t?.close();
  });

  async function lotteryCity(city: string, opts: { quota: number; budgetFen?: number; endsAt?: Date }) {
    t.clock.set(at(D, '07:00'));
    const s = await Scenario.create(t, { cities: [city], dailyVouchers: opts.quota, releaseTime: '10:00', budgetFen: opts.budgetFen, endsAt: opts.endsAt });
    await s.put(`/v1/admin/programs/${s.programCode}/quotas/${city}`, { dailyVouchers: opts.quota, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' });
    const pid: string = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    return { s, pid };
  }

  async function enterAll(s: Scenario, hs: Household[]) {
    t.clock.set(at(D, '09:00'));
    for (const h of hs) await t.http().post('/v1/household/lottery-entries').set(h.auth).send({ programCode: s.programCode }).expect(201);
  }

  async function closeAndSeal() {
    t.clock.set(at(D, '20:00', 1));
    await lottery.closeWindows();
    await t.app.get(AuditSealer).sealAll();
    t.clock.set(at(D1, '10:00'));
  }

  it('draws in one step: winners and their vouchers, the others carried, the quota slots spent, one reserve movement, the events', async () => {
    const { s, pid } = await lotteryCity('shaoxing', { quota: 3 });
    const hs = await t.make.households(7, 'shaoxing');
    await enterAll(s, hs);
    await closeAndSeal();
    expect(await lottery.draw(pid, 'shaoxing', D1)).toBe(true);

    const [draw] = await t.db.query(`SELECT status, quota, entries_count, winners_count, cap_fen::int AS cap, seed, entries_root, tree_head FROM lottery_draws WHERE program_id = $1 AND draw_date = $2`, [pid, D1]);
    expect(draw).toMatchObject({ status: 'drawn', quota: 3, entries_count: 7, winners_count: 3, cap: CAP });
    const entries = await t.db.query(`SELECT entry_id, status, win_rank, voucher_code, household_id FROM lottery_entries WHERE program_id = $1 AND draw_date = $2 ORDER BY entry_id COLLATE "C"`, [pid, D1]);
    const sorted = entries.map((e: { entry_id: string }) => e.entry_id);
    // the winners are exactly huanxin-draw-v1's first three, in rank order
    const won = entries.filter((e: { status: string }) => e.status === 'won').sort((a: { win_rank: number }, b: { win_rank: number }) => a.win_rank - b.win_rank);
    expect(won.map((e: { entry_id: string }) => e.entry_id)).toEqual(drawWinners(draw.seed, sorted, 3));
    expect(entries.filter((e: { status: string }) => e.status === 'not_drawn')).toHaveLength(4);
    const vouchers = await t.db.query(`SELECT code, household_id, status, reserved_fen::int AS reserved, slot FROM vouchers WHERE program_id = $1 ORDER BY code`, [pid]);
    expect(vouchers).toHaveLength(3);
    for (const v of vouchers) expect(v).toMatchObject({ status: 'open', reserved: CAP, slot: null });
    expect(new Set(vouchers.map((v: { household_id: string }) => v.household_id))).toEqual(new Set(won.map((e: { household_id: string }) => e.household_id)));
    expect(vouchers.map((v: { code: string }) => v.code).sort()).toEqual(won.map((e: { voucher_code: string }) => e.voucher_code).sort());
    // carried: four new entries for the next day, each a fresh pseudonym
    const carried = await t.db.query(`SELECT entry_id, household_id FROM lottery_entries WHERE program_id = $1 AND draw_date = $2 AND carried`, [pid, addDays(D1, 1)]);
    expect(carried).toHaveLength(4);
    for (const c of carried) expect(sorted).not.toContain(c.entry_id);
    // the draw day's quota: released with the winners, all issued
    const [day] = await t.db.query(`SELECT sum(released)::int AS released, sum(issued)::int AS issued FROM quota_day_slots WHERE program_id = $1 AND day = $2`, [pid, D1]);
    expect(day).toEqual({ released: 3, issued: 3 });
    // one reserve movement of three caps, named after the draw
    const moves = await t.db.query(`SELECT kind, reference FROM ledger_transactions WHERE program_id = $1 AND reference LIKE 'lottery:%'`, [pid]);
    expect(moves).toEqual([{ kind: 'reserve', reference: `lottery:${s.programCode}:shaoxing:${D1}` }]);
    const [bal] = await t.app.get(LedgerService).balances(pid, 'shaoxing');
    expect(bal.reservedFen).toBe(3 * CAP);
    expect((await t.app.get(LedgerService).checkInvariants(pid)).balanced).toBe(true);
    const actions = await t.db.query(`SELECT action, count(*)::int AS n FROM audit_events WHERE details->>'programCode' = $1 GROUP BY action ORDER BY action`, [s.programCode]);
    expect(actions).toEqual(expect.arrayContaining([
      { action: 'lottery.drawn', n: 1 }, { action: 'voucher.issued', n: 3 }, { action: 'lottery.entered', n: 7 + 4 }, { action: 'lottery.committed', n: 2 },
      { action: 'lottery.window_closed', n: 1 },
    ]));
    // the voucher expires like any other: its reservation goes back
    const export1 = await lottery.publicDraw(s.programCode, 'shaoxing', D1);
    expect(verifyDraw(export1).ok).toBe(true);
  });

  it('a household holding an open voucher at draw time is withdrawn before the list is fixed', async () => {
    const { s, pid } = await lotteryCity('zhoushan', { quota: 5 });
    const hs = await t.make.households(3, 'zhoushan');
    await enterAll(s, hs);
    // hs[0] holds an open voucher of the programme by draw time (as a winner of another draw would)
    await t.app.get(TransactionService).run(async (tx) => {
      const code = newVoucherCode();
      await t.app.get(VouchersRepository).insert(tx, {
        id: newId(), code, programId: pid, city: 'zhoushan', householdId: hs[0].id, reservedFen: CAP, policyVersion: 1, issuedAt: at(D, '09:30'), expiresAt: at(D1, '23:00'),
      });
      await t.app.get(LedgerService).reserve(tx, SYSTEM_ACTOR, { programId: pid, city: 'zhoushan', reference: code, amountFen: CAP });
    });
    await closeAndSeal();
    expect(await lottery.draw(pid, 'zhoushan', D1)).toBe(true);
    const rows = await t.db.query(`SELECT household_id, status FROM lottery_entries WHERE program_id = $1 AND draw_date = $2`, [pid, D1]);
    const statusOf = new Map(rows.map((r: { household_id: string; status: string }) => [r.household_id, r.status]));
    expect(statusOf.get(hs[0].id)).toBe('withdrawn');
    expect(statusOf.get(hs[1].id)).toBe('won');
    expect(statusOf.get(hs[2].id)).toBe('won');
    const d = await lottery.publicDraw(s.programCode, 'zhoushan', D1);
    expect(d).toMatchObject({ quota: 5, limitedBy: 'entries' });
    expect(d.entries).toHaveLength(2);
    expect(verifyDraw(d).ok).toBe(true);
  });

  it('a draw with no entries is drawn with no winners and moves no money; the last day of a programme carries no one', async () => {
    const { pid } = await lotteryCity('wenzhou', { quota: 2 });
    t.clock.set(at(D, '08:00'));
    expect(await lottery.commitOpenWindows()).toBeGreaterThanOrEqual(1);
    await closeAndSeal();
    expect(await lottery.draw(pid, 'wenzhou', D1)).toBe(true);
    expect(await t.db.query(`SELECT winners_count, entries_count FROM lottery_draws WHERE program_id = $1`, [pid])).toEqual([{ winners_count: 0, entries_count: 0 }]);
    expect(await t.db.query(`SELECT 1 FROM ledger_transactions WHERE program_id = $1 AND kind = 'reserve'`, [pid])).toHaveLength(0);

    const ending = await lotteryCity('taizhou', { quota: 1, endsAt: at(D1, '12:00') });
    const hs = await t.make.households(3, 'taizhou');
    await enterAll(ending.s, hs);
    await closeAndSeal();
    expect(await lottery.draw(ending.pid, 'taizhou', D1)).toBe(true);
    const after = await t.db.query(`SELECT draw_date::text AS d, status, count(*)::int AS n FROM lottery_entries WHERE program_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [ending.pid]);
    expect(after).toEqual([{ d: D1, status: 'not_drawn', n: 2 }, { d: D1, status: 'won', n: 1 }]);
  });

  it('the waitlist serves in order, at most what came back, at most what the budget covers, skipping voucher holders', async () => {
    t.clock.set(at(D, '07:00'));
    const s = await Scenario.create(t, { cities: ['jinhua'], dailyVouchers: 10, releaseTime: '10:00', budgetFen: 5 * CAP + 7, voucherValidityDays: 1 });
    const pid: string = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    const db = t.app.get(TransactionService);
    const vouchers = t.app.get(VouchersRepository);
    const ledger = t.app.get(LedgerService);
    // four vouchers issued at 10:00 (with their reservations), three of which expire at noon
    const holders = await t.make.households(4, 'jinhua');
    t.clock.set(at(D, '10:00'));
    await db.run(async (tx) => {
      for (const [i, h] of holders.entries()) {
        const code = newVoucherCode();
        await vouchers.insert(tx, {
          id: newId(), code, programId: pid, city: 'jinhua', householdId: h.id, reservedFen: CAP, policyVersion: 1, issuedAt: at(D, '10:00'),
          expiresAt: i < 3 ? at(D, '11:00') : at(D1, '10:00'),
        });
        await ledger.reserve(tx, SYSTEM_ACTOR, { programId: pid, city: 'jinhua', reference: code, amountFen: CAP });
      }
    });
    // five households wait (joined through the repository: the day's sold-out state is the endpoint's concern)
    const waiting = await t.make.households(5, 'jinhua');
    await db.run(async (tx) => {
      for (const h of [holders[3], ...waiting]) await t.app.get(WaitlistRepository).join(tx, { programId: pid, city: 'jinhua', day: D, householdId: h.id, at: at(D, '10:30') });
    });
    const service = t.app.get(WaitlistService);
    expect(await service.serveCity(pid, 'jinhua', D)).toBe(0); // nothing came back yet

    t.clock.set(at(D, '12:00'));
    expect(await t.app.get(VouchersService).expireBatch()).toBe(3);
    // meanwhile two other vouchers take money from the pool: 2 caps + 7 fen are left for three places
    const others = await t.make.households(2, 'jinhua');
    await db.run(async (tx) => {
      for (const h of others) {
        const code = newVoucherCode();
        await vouchers.insert(tx, { id: newId(), code, programId: pid, city: 'jinhua', householdId: h.id, reservedFen: CAP, policyVersion: 1, issuedAt: at(D, '12:00'), expiresAt: at(D1, '12:00') });
        await ledger.reserve(tx, SYSTEM_ACTOR, { programId: pid, city: 'jinhua', reference: code, amountFen: CAP });
      }
    });
    // three places came back, the budget covers two; holders[3] holds a voucher: skipped
    expect(await service.serveCity(pid, 'jinhua', D)).toBe(1 + 2);
    const rows = await t.db.query(`SELECT household_id, status, voucher_code FROM waitlist_entries WHERE program_id = $1 ORDER BY seq`, [pid]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['skipped', 'served', 'served', 'waiting', 'waiting', 'waiting']);
    expect(rows.slice(1, 3).map((r: { household_id: string }) => r.household_id)).toEqual(waiting.slice(0, 2).map((h) => h.id));
    expect(await service.serveCity(pid, 'jinhua', D)).toBe(0); // a place is left, the money is not
    const [bal] = await ledger.balances(pid, 'jinhua');
    expect(bal).toMatchObject({ reservedFen: 5 * CAP, availableFen: 7, balanced: true });
    expect(await t.db.query(`SELECT kind FROM ledger_transactions WHERE program_id = $1 AND reference LIKE 'waitlist:%'`, [pid])).toEqual([{ kind: 'reserve' }]);
    expect((await ledger.checkInvariants(pid)).balanced).toBe(true);
  });
});
