import { addDays, shanghaiDate, shanghaiInstant } from '@huanxin/core';
import { LedgerService } from '@huanxin/ledger';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { VouchersService, WaitlistService } from '@huanxin/vouchers';
import { startTestApp, TestApp } from './support/app';
import type { Household } from './support/factories';
import { Scenario } from './support/scenario';

const CAP = DEFAULT_POLICY_RULES.capFen;

/**
 * The waitlist from returned budget (issue 13) through HTTP: joining only after "sold out" in a first-come city,
 * every refusal, the position, and the worker's serving (WaitlistService.serve, on the app's pinned clock): a voucher
 * that expires today gives its place to the first in line — never more places than came back, never beyond the
 * day's quota or the budget.
 */
describe('waitlist (e2e)', () => {
  let t: TestApp;
  let s: Scenario;
  let waitlist: WaitlistService;
  let programId: string;
  const D = addDays(shanghaiDate(new Date()), 1);
  const at = (hhmm: string) => shanghaiInstant(D, hhmm);

  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set(at('09:00'));
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'], dailyVouchers: 2, releaseTime: '10:00', voucherValidityDays: 1 });
    await t.http().put(`/v1/admin/programs/${s.programCode}/quotas/ningbo`).set(s.admin.auth)
      .send({ dailyVouchers: 2, releaseTime: '10:00', allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00' }).expect(200);
    waitlist = t.app.get(WaitlistService);
    programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
  }, 120_000);
  afterAll(async () => {
    t.clock.set(undefined);
    await t?.close();
  });

  const join = (h: Household, programCode = s.programCode) => t.http().post('/v1/household/waitlist').set(h.auth).send({ programCode });
  const mine = async (h: Household) => (await t.http().get('/v1/household/waitlist').set(h.auth).expect(200)).body.items;
  const hs: Household[] = [];

  it('before the release, and while vouchers are left: quota_not_exhausted; a lottery city: allocation_by_lottery', async () => {
    for (let i = 0; i < 5; i++) hs.push(await s.household('hangzhou'));
    expect((await join(hs[0]).expect(409)).body.code).toBe('quota_not_exhausted');
    t.clock.set(at('10:00'));
    await s.voucher(hs[0]);
    expect((await join(hs[2]).expect(409)).body.code).toBe('quota_not_exhausted');
    expect((await join(await s.household('ningbo')).expect(409)).body.code).toBe('allocation_by_lottery');
    expect((await join(hs[2], 'no-such-programme').expect(404)).body.code).toBe('not_found');
    expect((await t.http().post('/v1/household/waitlist').set(hs[2].auth).send({}).expect(400)).body.code).toBe('validation_failed');
    await t.http().post('/v1/household/waitlist').set(s.admin.auth).send({ programCode: s.programCode }).expect(403);
    expect(await t.db.query(`SELECT 1 FROM waitlist_entries`)).toHaveLength(0);
  });

  it('after sold out: joins in order with a position; again already_waitlisted; a voucher holder voucher_already_open', async () => {
    await s.voucher(hs[1]);
    const soldOut = await t.http().post('/v1/household/vouchers').set(hs[2].auth).send({ programCode: s.programCode }).expect(409);
    expect(soldOut.body.code).toBe('quota_exhausted');
    expect((await join(hs[2]).expect(201)).body).toEqual({ programCode: s.programCode, city: 'hangzhou', day: D, status: 'waiting', position: 1 });
    expect((await join(hs[3]).expect(201)).body.position).toBe(2);
    expect((await join(hs[4]).expect(201)).body.position).toBe(3);
    expect((await join(hs[2]).expect(409)).body.code).toBe('already_waitlisted');
    expect((await join(hs[0]).expect(409)).body.code).toBe('voucher_already_open');
    expect(await mine(hs[3])).toEqual([expect.objectContaining({ programCode: s.programCode, city: 'hangzhou', day: D, status: 'waiting', position: 2, voucherCode: null })]);
  });

  it('serves nobody while nothing has come back', async () => {
    expect(await waitlist.serve()).toBe(0);
    expect((await mine(hs[2]))[0].status).toBe('waiting');
  });

  it('a voucher that expires today gives its place to the first in line, once; the ledger stays exact', async () => {
    // hs[0]'s voucher expires at 12:00 today (set back, as the expiry job would find it)
    await t.db.query(`UPDATE vouchers SET expires_at = $2 WHERE household_id = $1`, [hs[0].id, at('11:00')]);
    t.clock.set(at('12:00'));
    expect(await t.app.get(VouchersService).expireBatch()).toBe(1);
    const before = (await t.app.get(LedgerService).balances(programId, 'hangzhou'))[0];
    expect(await waitlist.serve()).toBe(1);
    expect(await waitlist.serve()).toBe(0);
    const [served] = await mine(hs[2]);
    expect(served).toMatchObject({ status: 'served', position: null });
    expect(served.voucherCode).toMatch(/^HX-/);
    const vouchers = (await t.http().get('/v1/household/vouchers').set(hs[2].auth).expect(200)).body.items;
    expect(vouchers).toEqual([expect.objectContaining({ code: served.voucherCode, status: 'open', reservedFen: CAP })]);
    expect((await mine(hs[3]))[0]).toMatchObject({ status: 'waiting', position: 1 });
    const after = (await t.app.get(LedgerService).balances(programId, 'hangzhou'))[0];
    expect(after.reservedFen - before.reservedFen).toBe(CAP);
    expect((await t.app.get(LedgerService).checkInvariants(programId)).balanced).toBe(true);
    const events = await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1`, [served.voucherCode]);
    expect(events).toEqual([{ action: 'voucher.issued' }]);
  });

  it('never beyond the day\'s quota: of three places back, one is left for the waitlist', async () => {
    // two more places come back (hs[1]'s voucher and the waitlist's own) — but the day's quota is 2, one is served already
    await t.db.query(`UPDATE vouchers SET expires_at = $2 WHERE household_id = ANY($1::uuid[]) AND status = 'open'`, [[hs[1].id, hs[2].id], at('12:30')]);
    t.clock.set(at('13:00'));
    expect(await t.app.get(VouchersService).expireBatch()).toBe(2);
    expect(await waitlist.serve()).toBe(1);
    expect(await waitlist.serve()).toBe(0);
    expect((await mine(hs[3]))[0].status).toBe('served');
    expect((await mine(hs[4]))[0]).toMatchObject({ status: 'waiting', position: 1 });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM waitlist_entries WHERE status = 'served'`);
    expect(n).toBe(2);
  });

  it('a claim cancelled today gives its place back too', async () => {
    t.clock.set(at('10:30'));
    const c = await Scenario.create(t, { cities: ['huzhou'], dailyVouchers: 1, releaseTime: '10:00' });
    const [buyer, next] = [await c.household('huzhou'), await c.household('huzhou')];
    const { code } = await c.voucher(buyer);
    expect((await join(next, c.programCode).expect(201)).body.position).toBe(1);
    t.clock.set(at('12:00'));
    const claim = await c.tradeIn(await c.tradeInBody(buyer, code)).expect(201);
    expect(await waitlist.serve()).toBe(0);
    await t.http().post(`/v1/retailer/claims/${claim.body.claimId}/cancel`).set(c.retailer.keyAuth).send({ reason: 'the TV came back' }).expect(200);
    expect(await waitlist.serve()).toBe(1);
    const [served] = await mine(next);
    expect(served).toMatchObject({ programCode: c.programCode, status: 'served' });
  });

  it('a voucher given up gives its place and its money back: the household asks, the next in line is served', async () => {
    t.clock.set(at('10:30'));
    const c = await Scenario.create(t, { cities: ['jiaxing'], dailyVouchers: 1, releaseTime: '10:00' });
    const pid = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [c.programCode]))[0].id;
    const [holder, next, stranger] = [await c.household('jiaxing'), await c.household('jiaxing'), await c.household('jiaxing')];
    const { code } = await c.voucher(holder);
    expect((await join(next, c.programCode).expect(201)).body.position).toBe(1);
    const giveUp = (h: Household, voucherCode: string) => t.http().post(`/v1/household/vouchers/${encodeURIComponent(voucherCode)}/give-up`).set(h.auth).send({});
    // someone else's code, or no such code: voucher_not_found, and nothing changes
    const before = (await t.app.get(LedgerService).balances(pid, 'jiaxing'))[0];
    expect((await giveUp(stranger, code).expect(404)).body.code).toBe('voucher_not_found');
    expect((await giveUp(holder, 'HX-2222-3333-4444').expect(404)).body.code).toBe('voucher_not_found');
    expect((await t.app.get(LedgerService).balances(pid, 'jiaxing'))[0]).toEqual(before);
    await t.http().post(`/v1/household/vouchers/${code}/give-up`).set(c.admin.auth).send({}).expect(403);

    // the holder gives it up (typed in lower case, without dashes, as a phone may): expired now, the cap back in the pool
    const res = await giveUp(holder, code.toLowerCase().replace(/-/g, '')).expect(200);
    expect(res.body).toMatchObject({ code, status: 'expired', reservedFen: CAP, usedAt: null });
    const after = (await t.app.get(LedgerService).balances(pid, 'jiaxing'))[0];
    expect(after.reservedFen).toBe(before.reservedFen - CAP);
    expect(after.availableFen).toBe(before.availableFen + CAP);
    expect(await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY id`, [code]))
      .toEqual([{ action: 'voucher.issued' }, { action: 'voucher.given_up' }]);
    // again: it has ended
    expect((await giveUp(holder, code).expect(422)).body.code).toBe('voucher_expired');

    // its place goes to the first in line
    expect(await waitlist.serve()).toBe(1);
    const [served] = await mine(next);
    expect(served).toMatchObject({ programCode: c.programCode, status: 'served' });
    expect((await t.app.get(LedgerService).checkInvariants(pid)).balanced).toBe(true);

    // a voucher used in a trade-in cannot be given up
    const used = await c.tradeIn(await c.tradeInBody(next, served.voucherCode)).expect(201);
    expect(used.body.claimId).toEqual(expect.any(String));
    expect((await giveUp(next, served.voucherCode).expect(409)).body.code).toBe('voucher_used');
  });

  it('the next day, the day\'s waitlist has lapsed', async () => {
    t.clock.set(shanghaiInstant(addDays(D, 1), '09:00'));
    expect((await mine(hs[4]))[0]).toMatchObject({ status: 'lapsed', position: null });
    expect(await waitlist.serve()).toBe(0);
  });
});
