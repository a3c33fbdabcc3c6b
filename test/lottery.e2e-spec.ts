import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditSealer } from '@huanxin/audit-log';
import { addDays, shanghaiDate, shanghaiInstant } from '@huanxin/core';
import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { DrawExport, LotteryService, verifyDraw } from '@huanxin/vouchers';
import { ensureApiBuilt } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import type { Household } from './support/factories';
import { Scenario } from './support/scenario';

const ROOT = join(__dirname, '..');
const CAP = DEFAULT_POLICY_RULES.capFen;

/**
 * Allocation by lottery (issue 13) through HTTP: the quota's allocation and window, entries and every refusal, the
 * worker's commit → close → draw (LotteryService, the worker's job methods, on the app's pinned clock), the public
 * export recomputed by verifyDraw and by `npm run draw:verify`, and the money: the winners' vouchers reserve the
 * cap, the ledger balances, fewer win when the budget covers fewer.
 */
describe('lottery allocation (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let lottery: LotteryService;
  let programId: string;
  // the entry day D (tomorrow in Shanghai, so the programme is running) and the draw day D+1
  const D = addDays(shanghaiDate(new Date()), 1);
  const D1 = addDays(D, 1);
  const D2 = addDays(D, 2);
  const at = (day: string, hhmm: string, seconds = 0) => new Date(shanghaiInstant(day, hhmm).getTime() + seconds * 1000);
  const lotteryQuota = { dailyVouchers: 3, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' };

  beforeAll(async () => {
    t = await startTestApp();
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'], dailyVouchers: 3, releaseTime: '10:00' });
    lottery = t.app.get(LotteryService);
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  }, 120_000);
  afterAll(async () => {
    t.clock.set(undefined);
    await t?.close();
  });

  const enter = (h: Household, programCode = s.programCode) => t.http().post('/v1/household/lottery-entries').set(h.auth).send({ programCode });
  const entries = async (h: Household) => (await t.http().get('/v1/household/lottery-entries').set(h.auth).expect(200)).body.items;
  const publicDraw = async (day: string, status = 200) => (await t.http().get(`/v1/public/programs/${s.programCode}/draws/hangzhou/${day}`).expect(status)).body;

  describe('PUT /v1/admin/programs/{code}/quotas/{city} with allocation', () => {
    it('sets a lottery with its window; a first-come answer keeps its old shape', async () => {
      const res = await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/hangzhou`).set(s.admin.auth).send(lotteryQuota).expect(200);
      expect(res.body).toEqual({ programCode: s.programCode, city: 'hangzhou', dailyVouchers: 3, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' });
      const fc = await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/ningbo`).set(s.admin.auth).send({ dailyVouchers: 3, releaseTime: '10:00', allocation: 'first_come' }).expect(200);
      expect(fc.body).toEqual({ programCode: s.programCode, city: 'ningbo', dailyVouchers: 3, releaseTime: '10:00' });
      const detail = await t.http().get(`/v1/admin/programs/${s.programCode}`).set(s.admin.auth).expect(200);
      expect(detail.body.quotas).toContainEqual(res.body);
      const [row] = await t.db.query(`SELECT allocation, entry_opens, entry_closes FROM quotas WHERE program_id = $1 AND city = 'hangzhou'`, [programId]);
      expect(row).toEqual({ allocation: 'lottery', entry_opens: '08:00', entry_closes: '20:00' });
    });

    it.each([
      [{ ...lotteryQuota, entryOpens: undefined }, 'entryOpens'],
      [{ ...lotteryQuota, entryOpens: '20:00', entryCloses: '08:00' }, 'entryCloses'],
      [{ ...lotteryQuota, entryCloses: '24:00' }, 'entryCloses'],
      [{ dailyVouchers: 3, releaseTime: '10:00', allocation: 'first_come', entryOpens: '08:00' }, 'allocation'],
      [{ dailyVouchers: 3, releaseTime: '10:00', allocation: 'raffle' }, 'allocation'],
    ])('refuses a malformed allocation %j with validation_failed and changes nothing', async (body, field) => {
      const res = await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/wenzhou`).set(s.admin.auth).send(body).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.db.query(`SELECT 1 FROM quotas WHERE program_id = $1 AND city = 'wenzhou'`, [programId])).toHaveLength(0);
    });
  });

  describe('entries and refusals', () => {
    it('refuses the first-come voucher request in a lottery city with allocation_by_lottery', async () => {
      t.clock.set(at(D, '10:30'));
      const h = await s.household('hangzhou');
      const res = await t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: s.programCode }).expect(409);
      expect(res.body.code).toBe('allocation_by_lottery');
      expect(await t.db.query(`SELECT 1 FROM vouchers WHERE household_id = $1`, [h.id])).toHaveLength(0);
    });

    it('outside the window: entry_window_closed; a first-come city: not_a_lottery_city; unknown programme: 404', async () => {
      const h = await s.household('hangzhou');
      t.clock.set(at(D, '07:59'));
      expect((await enter(h).expect(409)).body.code).toBe('entry_window_closed');
      t.clock.set(at(D, '20:00'));
      expect((await enter(h).expect(409)).body.code).toBe('entry_window_closed');
      t.clock.set(at(D, '12:00'));
      expect((await enter(await s.household('ningbo')).expect(409)).body.code).toBe('not_a_lottery_city');
      expect((await enter(h, 'no-such-programme').expect(404)).body.code).toBe('not_found');
      expect((await t.http().post('/v1/household/lottery-entries').set(h.auth).send({ programCode: 'BAD CODE' }).expect(400)).body.code).toBe('validation_failed');
      expect((await t.http().post('/v1/household/lottery-entries').set(h.auth).send({ programCode: s.programCode, extra: 1 }).expect(400)).body.code).toBe('validation_failed');
      expect(await t.db.query(`SELECT 1 FROM lottery_entries WHERE household_id = $1`, [h.id])).toHaveLength(0);
    });

    it('only households enter; the public draw of an unknown day or city is 404', async () => {
      await t.http().post('/v1/household/lottery-entries').set(s.admin.auth).send({ programCode: s.programCode }).expect(403);
      await t.http().post('/v1/household/lottery-entries').send({ programCode: s.programCode }).expect(401);
      await publicDraw('1999-01-01', 404);
      await t.http().get(`/v1/public/programs/${s.programCode}/draws/atlantis/${D1}`).expect(404);
      await t.http().get(`/v1/public/programs/${s.programCode}/draws/hangzhou/not-a-date`).expect(404);
      expect((await t.http().get(`/v1/public/programs/${s.programCode}/draws/hangzhou/%00`).expect(400)).body.code).toBe('validation_failed');
      for (const date of ['2026-02-30', '2026-13-01', '0000-00-00', '9999-99-99', '2026-1-1']) {
        const res = await t.http().get(`/v1/public/programs/${s.programCode}/draws/hangzhou/${date}`);
        expect([res.status, res.body.code]).toEqual([404, 'not_found']);
      }
      for (const code of ['UPPER', 'a', '%E4%B8%AD', 'x'.repeat(300)]) {
        expect((await t.http().get(`/v1/public/programs/${code}/draws/hangzhou/${D1}`)).status).toBe(404);
      }
    });
  });

  describe('a draw from window to winners', () => {
    const hs: Household[] = [];
    const won: Household[] = [];
    let exported: DrawExport;

    it('enters six households in the window; again is already_entered, a keyed retry replays; the commitment is logged first', async () => {
      t.clock.set(at(D, '09:00'));
      for (let i = 0; i < 5; i++) hs.push(await s.household('hangzhou'));
      for (const h of hs) {
        const res = await enter(h).expect(201);
        expect(res.body).toMatchObject({ programCode: s.programCode, drawDate: D1, city: 'hangzhou', status: 'entered', drawAt: `${D1}T10:00:00+08:00` });
        expect(res.body.entryId).toMatch(/^[0-9a-f]{64}$/);
      }
      const again = await enter(hs[0]).expect(409);
      expect(again.body.code).toBe('already_entered');
      // a retry with the same Idempotency-Key replays the first answer
      const keyed = await s.household('hangzhou');
      hs.push(keyed);
      const first = await enter(keyed).set('Idempotency-Key', 'lottery-entry-retry').expect(201);
      const replay = await enter(keyed).set('Idempotency-Key', 'lottery-entry-retry').expect(201);
      expect(replay.body).toEqual(first.body);
      expect(await entries(hs[0])).toEqual([expect.objectContaining({ drawDate: D1, status: 'entered', voucherCode: null, carried: false })]);

      const draw = await publicDraw(D1);
      expect(draw).toMatchObject({ algorithm: 'huanxin-draw-v1', status: 'open', reveal: null, seed: null, entriesRoot: null, treeHead: null, winners: [] });
      expect(draw.entries).toHaveLength(6);
      expect([...draw.entries].sort()).toEqual(draw.entries);
      const events = await t.db.query(`SELECT action, details FROM audit_events WHERE subject_id = $1 ORDER BY id`, [`${s.programCode}/hangzhou/${D1}`]);
      expect(events[0]).toMatchObject({ action: 'lottery.committed', details: { commitment: draw.commitment, drawDate: D1 } });
      // the entry ids name no one: no household id, phone or ID number in the public answer
      const text = JSON.stringify(draw);
      for (const h of hs) for (const secret of [h.id, h.phone, h.idNumber]) expect(text).not.toContain(secret);
    });

    it('the worker logs the close, waits for a tree head after it and for the draw time, then draws once', async () => {
      t.clock.set(at(D, '20:00'));
      expect(await lottery.closeWindows()).toBe(1);
      expect(await lottery.closeWindows()).toBe(0);
      t.clock.set(at(D1, '09:59'));
      expect(await lottery.runDueDraws()).toBe(0);
      // nothing sealed since the close: the draw waits for a tree head signed after it
      t.clock.set(at(D1, '10:00'));
      expect(await lottery.runDueDraws()).toBe(0);
      await t.app.get(AuditSealer).sealAll();
      const before = (await t.app.get(LedgerService).balances(programId, 'hangzhou'))[0];
      expect(await lottery.runDueDraws()).toBe(1);
      expect(await lottery.runDueDraws()).toBe(0);
      expect(await lottery.draw(programId, 'hangzhou', D1)).toBe(false);
      const after = (await t.app.get(LedgerService).balances(programId, 'hangzhou'))[0];
      expect(after.reservedFen - before.reservedFen).toBe(3 * CAP);
      expect(before.availableFen - after.availableFen).toBe(3 * CAP);
      expect((await t.app.get(LedgerService).checkInvariants(programId)).balanced).toBe(true);
    });

    it('publishes the draw: reveal, seed, sorted entries, winners — verifyDraw recomputes it', async () => {
      exported = await publicDraw(D1);
      expect(exported).toMatchObject({ status: 'drawn', quota: 3, limitedBy: null });
      expect(exported.entries).toHaveLength(6);
      expect(exported.winners).toHaveLength(3);
      expect(verifyDraw(exported)).toEqual({ ok: true, winners: 3, entries: 6 });
      const [ev] = await t.db.query(`SELECT details FROM audit_events WHERE action = 'lottery.drawn' AND subject_id = $1`, [`${s.programCode}/hangzhou/${D1}`]);
      expect(ev.details).toMatchObject({ reveal: exported.reveal, seed: exported.seed, entriesRoot: exported.entriesRoot, winners: 3, entries: 6, algorithm: 'huanxin-draw-v1' });
    });

    it('npm run draw:verify says OK for the export and names the mismatch in a tampered one', () => {
      ensureApiBuilt();
      const dir = mkdtempSync(join(tmpdir(), 'draw-'));
      const good = join(dir, 'draw.json');
      writeFileSync(good, JSON.stringify(exported));
      const out = execFileSync('node', [join(ROOT, 'dist/scripts/draw-verify.js'), good], { encoding: 'utf8' });
      expect(out).toMatch(/OK\n$/);
      const loser = exported.entries.find((e) => !exported.winners.includes(e))!;
      const bad = join(dir, 'tampered.json');
      writeFileSync(bad, JSON.stringify({ ...exported, winners: [loser, ...exported.winners.slice(1)] }));
      let status = 0;
      let output = '';
      try {
        execFileSync('node', [join(ROOT, 'dist/scripts/draw-verify.js'), bad], { encoding: 'utf8' });
      } catch (err) {
        status = (err as { status: number }).status;
        output = (err as { stdout: string }).stdout;
      }
      expect(status).toBe(1);
      expect(output).toMatch(/MISMATCH: winners mismatch at position 1/);
      expect(output).toMatch(/FAILED/);
    });

    it('winners hold a voucher reserving the cap; the others are carried into the next draw', async () => {
      const views = await Promise.all(hs.map(async (h) => ({ h, items: await entries(h) })));
      const losers = views.filter((v) => v.items[0].drawDate === D2);
      const winners = views.filter((v) => v.items[0].drawDate === D1);
      expect(losers).toHaveLength(3);
      for (const { items: [next, drawn] } of losers) {
        expect(next).toMatchObject({ status: 'entered', carried: true });
        expect(drawn).toMatchObject({ drawDate: D1, status: 'not_drawn', carriedTo: D2, voucherCode: null });
        expect(exported.winners).not.toContain(drawn.entryId);
      }
      for (const { h, items: [latest] } of winners) {
        expect(latest).toMatchObject({ drawDate: D1, status: 'won' });
        expect(exported.winners).toContain(latest.entryId);
        const vouchers = (await t.http().get('/v1/household/vouchers').set(h.auth).expect(200)).body.items;
        expect(vouchers).toEqual([expect.objectContaining({ code: latest.voucherCode, status: 'open', reservedFen: CAP, city: 'hangzhou' })]);
        won.push(h);
      }
      expect(won).toHaveLength(3);
      const issued = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'voucher.issued' AND details->>'allocation' = 'lottery'`);
      expect(issued[0].n).toBe(3);
      const avail = (await t.http().get(`/v1/public/programs/${s.programCode}/availability`).expect(200)).body.cities.find((c: { city: string }) => c.city === 'hangzhou');
      expect(avail.vouchersLeftToday).toBe(0);

      // in the next window (D+1 08:00–20:00): a winner holds an open voucher; the carried are in already
      t.clock.set(at(D1, '12:00'));
      expect((await enter(won[0]).expect(409)).body.code).toBe('voucher_already_open');
      const carried = hs.find((h) => !won.includes(h))!;
      expect((await enter(carried).expect(409)).body.code).toBe('already_entered');
      const next = await publicDraw(D2);
      expect(next.entries).toHaveLength(3);
    });

    it('a winner whose trade-in made a claim has reached its limit', async () => {
      const winner = won[1];
      const code = (await entries(winner)).find((e: { status: string }) => e.status === 'won').voucherCode;
      await s.tradeIn(await s.tradeInBody(winner, code)).expect(201);
      expect((await enter(winner).expect(409)).body.code).toBe('household_limit_reached');
    });
  });

  it.each([
    ['huzhou', 'the draw runs before the first request of the day'],
    ['shaoxing', 'a household took a voucher before the draw ran'],
  ])('a city switched back to first come before its draw (%s: %s): no one is drawn, and the day stays first come', async (city, _order) => {
    t.clock.set(at(D, '07:00'));
    const c = await Scenario.create(t, { cities: [city], dailyVouchers: 3, releaseTime: '10:00' });
    const quotaPath = `/v1/admin/programs/${c.programCode}/quotas/${city}`;
    await t.http().put(quotaPath).set(c.admin.auth).send(lotteryQuota).expect(200);
    const pid = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [c.programCode]))[0].id;
    t.clock.set(at(D, '09:00'));
    const entrants = [await c.household(city), await c.household(city)];
    for (const h of entrants) await enter(h, c.programCode).expect(201);
    await t.http().put(quotaPath).set(c.admin.auth).send({ dailyVouchers: 3, releaseTime: '10:00', allocation: 'first_come' }).expect(200);
    t.clock.set(at(D, '20:00', 1));
    await lottery.closeWindows();
    await t.app.get(AuditSealer).sealAll();

    t.clock.set(at(D1, '10:00', 1));
    const ask = (h: Household) => t.http().post('/v1/household/vouchers').set(h.auth).send({ programCode: c.programCode });
    const others = [await c.household(city), await c.household(city)];
    if (city === 'shaoxing') await ask(others.shift()!).expect(201);
    expect(await lottery.draw(pid, city, D1)).toBe(true);
    const d: DrawExport = (await t.http().get(`/v1/public/programs/${c.programCode}/draws/${city}/${D1}`).expect(200)).body;
    expect(d).toMatchObject({ status: 'drawn', quota: 0, winners: [] });
    expect(verifyDraw(d)).toEqual({ ok: true, winners: 0, entries: 2 });
    for (const h of entrants) {
      // not drawn, and not carried: the city gives its vouchers first come now
      expect(await entries(h)).toEqual([expect.objectContaining({ drawDate: D1, status: 'not_drawn', carriedTo: null, voucherCode: null })]);
    }
    // the day's three vouchers are the first-come release's, entrants or not; the fourth request is refused
    const takers = [...entrants, ...others];
    const answers = [];
    for (const h of takers) answers.push((await ask(h)).status);
    expect(answers).toEqual(city === 'shaoxing' ? [201, 201, 409] : [201, 201, 201, 409]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM vouchers WHERE program_id = $1`, [pid]))[0].n).toBe(3);
    const [bal] = await t.app.get(LedgerService).balances(pid, city);
    expect(bal).toMatchObject({ reservedFen: 3 * CAP, balanced: true });
    expect((await t.app.get(LedgerService).checkInvariants(pid)).balanced).toBe(true);
  });

  it('when the budget covers fewer vouchers than the quota, fewer win — and the export says so', async () => {
    t.clock.set(at(D, '07:00'));
    const b = await Scenario.create(t, { cities: ['jiaxing'], budgetFen: 2 * CAP + 1, dailyVouchers: 5, releaseTime: '10:00' });
    await t.http().put(`/v1/admin/programs/${b.programCode}/quotas/jiaxing`).set(b.admin.auth).send({ ...lotteryQuota, dailyVouchers: 5 }).expect(200);
    const pid = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [b.programCode]))[0].id;
    t.clock.set(at(D, '08:00'));
    expect(await lottery.commitOpenWindows()).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 4; i++) await t.http().post('/v1/household/lottery-entries').set((await b.household('jiaxing')).auth).send({ programCode: b.programCode }).expect(201);
    t.clock.set(at(D, '20:00', 1));
    await lottery.closeWindows();
    await t.app.get(AuditSealer).sealAll();
    t.clock.set(at(D1, '10:00'));
    expect(await lottery.draw(pid, 'jiaxing', D1)).toBe(true);
    const d: DrawExport = (await t.http().get(`/v1/public/programs/${b.programCode}/draws/jiaxing/${D1}`).expect(200)).body;
    expect(d).toMatchObject({ quota: 5, limitedBy: 'budget' });
    expect(d.winners).toHaveLength(2);
    expect(verifyDraw(d).ok).toBe(true);
    const [bal] = await t.app.get(LedgerService).balances(pid, 'jiaxing');
    expect(bal).toMatchObject({ availableFen: 1, reservedFen: 2 * CAP, balanced: true });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM vouchers WHERE program_id = $1`, [pid]))[0].n).toBe(2);
  });
});
