import { encodeCursor } from '@huanxin/core';
import { startTestApp, TestApp } from './support/app';
import { Scenario } from './support/scenario';
import { approvedClaim, approvedClaims, drain, setBank } from './support/settlement';

interface RunSummary {
  id: string;
  programCode: string;
  createdAt: string;
  [k: string]: unknown;
}

/**
 * GET /v1/admin/payout-runs: the programme office's list of runs, newest first on (createdAt, id), keyset
 * paginated, optionally of one programme; each run its status, control totals and payouts counted by state.
 */
describe('admin: the list of payout runs (e2e)', () => {
  let t: TestApp;
  let p: Scenario;
  let q: Scenario;
  const admin = () => p.admin.auth;
  const list = (query: Record<string, string | number | undefined> = {}) => t.http().get('/v1/admin/payout-runs').query(query).set(admin());
  const createRun = async (programCode: string) => (await t.http().post('/v1/admin/payout-runs').set(admin()).send({ programCode }).expect(201)).body;
  /** Every page of a listing, following nextCursor. */
  const walk = async (query: Record<string, string | number>) => {
    const pages: RunSummary[][] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: RunSummary[]; nextCursor: string | null } } = await list({ ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 50);
    return pages;
  };
  const runs: Record<string, { id: string }> = {};
  let paidFen = 0;

  beforeAll(async () => {
    t = await startTestApp();
    p = await Scenario.create(t, { cities: ['hangzhou'] });
    q = await Scenario.create(t, { cities: ['hangzhou'] });
    await setBank(t, p.retailer.id);
    const claims = await approvedClaims(p, 2);
    paidFen = claims.reduce((s, c) => s + c.amountFen, 0);
    const noBank = await t.make.retailer({ city: 'hangzhou', stores: [{ code: 'HZ-8', city: 'hangzhou' }] });
    // runs at pinned instants: r1 (p, two claims paid), r2 (q, empty), r3 (p, one retailer held back), then three
    // in the same millisecond (the id breaks the tie)
    const t0 = t.clock.now().getTime();
    try {
      t.clock.set(new Date(t0));
      runs.r1 = await createRun(p.programCode);
      await approvedClaim(p, { retailer: noBank });
      t.clock.set(new Date(t0 + 1000));
      runs.r2 = await createRun(q.programCode);
      t.clock.set(new Date(t0 + 2000));
      runs.r3 = await createRun(p.programCode);
      t.clock.set(new Date(t0 + 3000));
      runs.r4 = await createRun(q.programCode);
      runs.r5 = await createRun(p.programCode);
      runs.r6 = await createRun(q.programCode);
    } finally {
      t.clock.set(undefined);
    }
    await drain(t);
  }, 240_000);
  afterAll(async () => {
    await t?.close();
  });

  const tied = () => [runs.r4.id, runs.r5.id, runs.r6.id].sort().reverse();

  it('lists every run newest first with its totals and payout counts, no payouts; the id breaks a tie in time', async () => {
    const res = await list().expect(200);
    expect(res.body.nextCursor).toBeNull();
    const ids = res.body.items.map((r: RunSummary) => r.id);
    expect(ids).toEqual([...tied(), runs.r3.id, runs.r2.id, runs.r1.id]);
    const r1 = res.body.items[5];
    expect(r1).toEqual({
      id: runs.r1.id, programCode: p.programCode, gateway: 'bank-file', status: 'completed', trigger: 'manual',
      payoutCount: 1, claimCount: 2, grossFen: paidFen, nettedFen: 0, totalFen: paidFen,
      counts: { pending: 0, sent: 1, paid: 0, failed: 0 }, heldCount: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      startedAt: expect.stringMatching(/\+08:00$/), completedAt: expect.stringMatching(/\+08:00$/),
    });
    expect(res.body.items[3]).toMatchObject({ id: runs.r3.id, payoutCount: 0, claimCount: 0, totalFen: 0, heldCount: 1, status: 'completed', startedAt: null });
    // a summary says what the run's own page says
    for (const item of res.body.items as RunSummary[]) {
      const { payouts: _p, held, reversals: _r, ...detail } = (await t.http().get(`/v1/admin/payout-runs/${item.id}`).set(admin()).expect(200)).body;
      expect(item).toEqual({ ...detail, heldCount: held.length });
    }
  });

  it('pages through with limit and cursor: every run once, in order, whatever the page size', async () => {
    const all = [...tied(), runs.r3.id, runs.r2.id, runs.r1.id];
    for (const limit of [1, 2, 4, 6]) {
      const pages = await walk({ limit });
      expect(pages.flat().map((r) => r.id)).toEqual(all);
      expect(pages.every((page, i) => page.length === (i < pages.length - 1 ? limit : all.length - limit * (pages.length - 1)))).toBe(true);
    }
    // a page that ends exactly at the last run says there is no more
    const six = await list({ limit: 6 }).expect(200);
    expect(six.body.nextCursor).toBeNull();
    const five = await list({ limit: 5 }).expect(200);
    expect(five.body.nextCursor).toEqual(expect.any(String));
    const rest = await list({ limit: 5, cursor: five.body.nextCursor }).expect(200);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ id: runs.r1.id })], nextCursor: null });
  });

  it('filters by programme, across pages too; an unknown programme is an empty page', async () => {
    const ofP = (await list({ programCode: p.programCode }).expect(200)).body;
    expect(ofP.items.map((r: RunSummary) => r.id)).toEqual([runs.r5.id, runs.r3.id, runs.r1.id]);
    expect(ofP.items.every((r: RunSummary) => r.programCode === p.programCode)).toBe(true);
    const ofQ = await walk({ programCode: q.programCode, limit: 1 });
    expect(ofQ.flat().map((r) => r.id)).toEqual([...[runs.r4.id, runs.r6.id].sort().reverse(), runs.r2.id]);
    expect((await list({ programCode: 'no-such-programme' }).expect(200)).body).toEqual({ items: [], nextCursor: null });
  });

  it('is for the programme office only: 401 without credentials, 403 for every other role', async () => {
    const anon = await t.http().get('/v1/admin/payout-runs').expect(401);
    expect(anon.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anon.body.code).toBe('unauthorized');
    const household = await t.make.household();
    for (const creds of [(await t.make.auditor()).auth, p.retailer.auth, p.retailer.keyAuth, p.recycler.keyAuth, household.auth]) {
      const res = await t.http().get('/v1/admin/payout-runs').set(creds).expect(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('forbidden');
    }
  });

  it('refuses a cursor it did not give out, and bad page sizes and filters, as 400 problem+json', async () => {
    const good = (await list({ limit: 1 }).expect(200)).body.nextCursor as string;
    const forged = [
      'not a cursor!',
      `${good}x`,
      encodeCursor('["2026-11-11T00:00:00.000Z"]'),
      encodeCursor('["2026-11-11T00:00:00.000Z","not-a-uuid"]'),
      encodeCursor('["yesterday","3f1c9a52-0000-4000-8000-000000000000"]'),
      encodeCursor('["+275760-09-13T00:00:00.000Z","3f1c9a52-0000-4000-8000-000000000000"]'),
      encodeCursor('{"at":1}'),
      encodeCursor('3f1c9a52-0000-4000-8000-000000000000'),
    ];
    for (const cursor of forged) {
      const res = await list({ cursor }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'cursor' })] });
    }
    for (const query of [{ limit: 0 }, { limit: 201 }, { limit: 'ten' }, { programCode: '' }, { programCode: 'x'.repeat(65) }, { status: 'completed' }]) {
      const res = await list(query).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});
