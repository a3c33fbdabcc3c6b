import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { AuditSealer } from '@huanxin/audit-log';
import { loadConfig } from '@huanxin/config';
import { addDays, Clock, shanghaiDate, shanghaiInstant } from '@huanxin/core';
import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { LotteryService, verifyDraw, VouchersService, WaitlistService } from '@huanxin/vouchers';
import { WorkerJobs } from '../apps/worker/src/jobs';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp, testEnv } from './support/app';
import type { Household } from './support/factories';
import { Scenario } from './support/scenario';

jest.setTimeout(120_000);

const CAP = DEFAULT_POLICY_RULES.capFen;

/**
 * Allocation where it is at stake (issue 13): entries raced across two real API processes (one entry a household
 * and draw, whatever process answers), a draw run by two worker instances at once (exactly one draw: quota vouchers,
 * exact ledger), a waitlist served by two worker instances at once (each household at most once, never beyond the
 * places that came back). Each worker is a separate Nest context with its own pool and clock, as `npm run
 * start:worker` builds it; only PostgreSQL is shared.
 */
describe('allocation races (e2e)', () => {
  let t: TestApp;
  const api: ApiProcess[] = [];
  const workers: INestApplicationContext[] = [];
  const D = addDays(shanghaiDate(new Date()), 1);
  const D1 = addDays(D, 1);
  const at = (day: string, hhmm: string, seconds = 0) => new Date(shanghaiInstant(day, hhmm).getTime() + seconds * 1000);

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    const started = await Promise.allSettled([0, 1].map(() => startApiProcess(t.database.url, { DB_POOL_SIZE: '8' })));
    for (const s of started) if (s.status === 'fulfilled') api.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (let i = 0; i < 2; i++) {
      const w = await NestFactory.createApplicationContext(WorkerModule.register(loadConfig(testEnv()), t.database.url), { logger: false });
      workers.push(w);
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    for (const w of workers) await w.close();
    t.clock.set(undefined);
    await t?.close();
  }, 30_000);

  const setClocks = (when: Date) => {
    t.clock.set(when);
    for (const w of workers) w.get(Clock).set(when);
  };
  const programIdOf = async (s: Scenario) => (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id as string;

  it('entries raced through two API processes: one entry a household, one commitment a draw', async () => {
    // the API processes run on the real clock: a window over the whole day (fails only in Shanghai's last minute)
    t.clock.set(undefined);
    const s = await Scenario.create(t, { cities: ['huzhou'], dailyVouchers: 2, releaseTime: '10:00' });
    await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/huzhou`).set(s.admin.auth)
      .send({ dailyVouchers: 2, releaseTime: '10:00', allocation: 'lottery', entryOpens: '00:00', entryCloses: '23:59' }).expect(200);
    const hs = await t.make.households(12, 'huzhou');
    const answers = await Promise.all(hs.flatMap((h, i) => [0, 1].map((k) =>
      request(api[(i + k) % 2].url).post('/v1/household/lottery-entries').set(h.auth).send({ programCode: s.programCode }))));
    const byHousehold = hs.map((_, i) => [answers[2 * i].status, answers[2 * i + 1].status].sort());
    for (const statuses of byHousehold) expect(statuses).toEqual([201, 409]);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body.code).toBe('already_entered');
    const pid = await programIdOf(s);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM lottery_entries WHERE program_id = $1`, [pid]))[0].n).toBe(12);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'lottery.committed' AND details->>'programCode' = $1`, [s.programCode]))[0].n).toBe(1);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'lottery.entered' AND details->>'programCode' = $1`, [s.programCode]))[0].n).toBe(12);
  });

  it('a draw run by two workers at once is drawn once: quota vouchers, exact ledger, one audit event', async () => {
    setClocks(at(D, '09:00'));
    const s = await Scenario.create(t, { cities: ['quzhou'], dailyVouchers: 4, releaseTime: '10:00' });
    await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/quzhou`).set(s.admin.auth)
      .send({ dailyVouchers: 4, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' }).expect(200);
    const pid = await programIdOf(s);
    for (const h of await t.make.households(10, 'quzhou')) {
      await t.http().post('/v1/household/lottery-entries').set(h.auth).send({ programCode: s.programCode }).expect(201);
    }
    setClocks(at(D, '20:00', 1));
    expect(await t.app.get(LotteryService).closeWindows()).toBeGreaterThanOrEqual(1);
    await t.app.get(AuditSealer).sealAll();
    const before = (await t.app.get(LedgerService).balances(pid, 'quzhou'))[0];

    setClocks(at(D1, '10:00'));
    const results = await Promise.all(workers.map((w) => w.get(LotteryService).draw(pid, 'quzhou', D1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    // again, the whole job on both workers at once: nothing more
    await Promise.all(workers.map((w) => w.get(WorkerJobs).lotteryTick()));
    expect(await workers[0].get(LotteryService).draw(pid, 'quzhou', D1)).toBe(false);

    expect((await t.db.query(`SELECT count(*)::int AS n FROM vouchers WHERE program_id = $1`, [pid]))[0].n).toBe(4);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM lottery_entries WHERE program_id = $1 AND draw_date = $2 AND status = 'won'`, [pid, D1]))[0].n).toBe(4);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'lottery.drawn' AND subject_id = $1`, [`${s.programCode}/quzhou/${D1}`]))[0].n).toBe(1);
    const after = (await t.app.get(LedgerService).balances(pid, 'quzhou'))[0];
    expect(after.reservedFen - before.reservedFen).toBe(4 * CAP);
    expect(await t.app.get(LedgerService).checkInvariants(pid)).toEqual({ balanced: true, problems: [] });
    const exported = (await t.http().get(`/v1/public/programs/${s.programCode}/draws/quzhou/${D1}`).expect(200)).body;
    expect(verifyDraw(exported)).toEqual({ ok: true, winners: 4, entries: 10 });
  });

  it('a waitlist served by two workers at once: each household once, never beyond the places that came back', async () => {
    setClocks(at(D, '10:00'));
    const s = await Scenario.create(t, { cities: ['lishui'], dailyVouchers: 6, releaseTime: '10:00', voucherValidityDays: 1 });
    const pid = await programIdOf(s);
    const holders = await t.make.households(6, 'lishui');
    for (const h of holders) await s.voucher(h);
    const waiting: Household[] = await t.make.households(8, 'lishui');
    for (const h of waiting) await t.http().post('/v1/household/waitlist').set(h.auth).send({ programCode: s.programCode }).expect(201);
    // four vouchers come back today
    await t.db.query(`UPDATE vouchers SET expires_at = $2 WHERE household_id = ANY($1::uuid[])`, [holders.slice(0, 4).map((h) => h.id), at(D, '11:00')]);
    setClocks(at(D, '12:00'));
    expect(await t.app.get(VouchersService).expireBatch()).toBe(4);

    const served = await Promise.all(workers.map((w) => w.get(WaitlistService).serveCity(pid, 'lishui', D)));
    expect(served.reduce((a, b) => a + b, 0)).toBe(4);
    await Promise.all(workers.map((w) => w.get(WaitlistService).serve()));

    const rows = await t.db.query(`SELECT household_id, status, voucher_code FROM waitlist_entries WHERE program_id = $1 ORDER BY seq`, [pid]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['served', 'served', 'served', 'served', 'waiting', 'waiting', 'waiting', 'waiting']);
    const vouchers = await t.db.query(`SELECT household_id, count(*)::int AS n FROM vouchers WHERE program_id = $1 AND household_id = ANY($2::uuid[]) GROUP BY household_id`,
      [pid, waiting.map((h) => h.id)]);
    expect(vouchers).toHaveLength(4);
    for (const v of vouchers) expect(v.n).toBe(1);
    const [bal] = await t.app.get(LedgerService).balances(pid, 'lishui');
    expect(bal.reservedFen).toBe((2 + 4) * CAP);
    expect(await t.app.get(LedgerService).checkInvariants(pid)).toEqual({ balanced: true, problems: [] });
  });
});
