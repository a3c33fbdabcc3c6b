import { startTestApp, TestApp } from './support/app';

/** The programme office's lists the portal needed (issue 9): staff accounts and recyclers, keyset-paginated. */
describe('admin lists: staff accounts and recyclers (e2e)', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<TestApp['make']['admin']>>;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  it('lists staff accounts by e-mail, a page at a time, with a role filter; never households', async () => {
    const auditors = [await t.make.staff('auditor'), await t.make.staff('auditor'), await t.make.staff('auditor')];
    const retailer = await t.make.retailer();
    const household = await t.make.household();
    const all: { id: string; email: string; role: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.http().get('/v1/admin/users').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(admin.auth).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    const emails = all.map((u) => u.email);
    expect(emails).toEqual([...emails].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    for (const a of auditors) expect(all).toContainEqual(expect.objectContaining({ id: a.id, role: 'auditor', email: a.email, disabled: false, retailerId: null }));
    expect(all).toContainEqual(expect.objectContaining({ id: retailer.staff.id, role: 'retailer', retailerId: retailer.id }));
    expect(all.map((u) => u.id)).not.toContain(household.id);
    expect(JSON.stringify(all)).not.toMatch(/password|hash|phone/i);

    const only = await t.http().get('/v1/admin/users').query({ role: 'auditor', limit: 200 }).set(admin.auth).expect(200);
    expect(new Set(only.body.items.map((u: { role: string }) => u.role))).toEqual(new Set(['auditor']));
    expect(only.body.items.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining(auditors.map((a) => a.id)));

    expect((await t.http().get('/v1/admin/users').query({ role: 'household' }).set(admin.auth).expect(400)).body.code).toBe('validation_failed');
    expect((await t.http().get('/v1/admin/users').query({ cursor: 'bm90LWFuLWVtYWls' }).set(admin.auth).expect(400)).body.code).toBe('validation_failed');
    await t.http().get('/v1/admin/users').set(auditors[0].auth).expect(403);
    await t.http().get('/v1/admin/users').expect(401);
  });

  it('lists recyclers in the order they were certified, a page at a time', async () => {
    const made = [await t.make.recycler(), await t.make.recycler(), await t.make.recycler()];
    await t.http().post(`/v1/admin/recyclers/${made[1].id}/decertify`).set(admin.auth).send({ reason: 'licence withdrawn' }).expect(200);
    const seen: { id: string; status: string; name: string; creditCode: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.http().get('/v1/admin/recyclers').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(admin.auth).expect(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    const ours = seen.filter((r) => made.some((m) => m.id === r.id));
    expect(ours.map((r) => r.id)).toEqual(made.map((m) => m.id));
    expect(ours.map((r) => r.status)).toEqual(['certified', 'decertified', 'certified']);
    expect(Object.keys(ours[0]).sort()).toEqual(['certifiedAt', 'createdAt', 'creditCode', 'decertifiedAt', 'id', 'name', 'status']);
    expect((await t.http().get('/v1/admin/recyclers').query({ cursor: 'eA' }).set(admin.auth).expect(400)).body.code).toBe('validation_failed');
    await t.http().get('/v1/admin/recyclers').set((await t.make.staff('auditor')).auth).expect(403);
    await t.http().get('/v1/admin/recyclers').set({ 'X-Api-Key': made[0].apiKey }).expect(403);
  });
});
