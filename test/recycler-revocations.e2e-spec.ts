import { startTestApp, TestApp } from './support/app';
import type { RecyclerFixture } from './support/factories';
import { uniq } from './support/ids';

/**
 * GET /v1/recycler/receipts/revoked: a recycler's own revocations, newest first, keyset-paginated, with its API
 * key only. What the portal's recycler pages list (and use to check a key at sign-in).
 */
describe('recycler: its receipt revocations (e2e)', () => {
  let t: TestApp;
  let a: RecyclerFixture;
  let b: RecyclerFixture;

  beforeAll(async () => {
    t = await startTestApp();
    [a, b] = [await t.make.recycler(), await t.make.recycler()];
  });
  afterEach(() => t.clock.set(undefined));
  afterAll(() => t.close());

  const revoke = (r: RecyclerFixture, rid: string, reason?: string) =>
    t.http().post(`/v1/recycler/receipts/${encodeURIComponent(rid)}/revoke`).set(r.keyAuth).send(reason === undefined ? {} : { reason }).expect(200);
  const list = (r: RecyclerFixture, query: Record<string, string | number> = {}) =>
    t.http().get('/v1/recycler/receipts/revoked').query(query).set(r.keyAuth);
  /** Every page, following nextCursor. */
  const all = async (r: RecyclerFixture, limit: number) => {
    const items: { rid: string; revokedAt: string; reason: string | null }[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await list(r, cursor ? { limit, cursor } : { limit }).expect(200);
      items.push(...res.body.items);
      pages.push(res.body.items.length);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    return { items, pages };
  };

  it('answers an empty page for a recycler that revoked nothing', async () => {
    const fresh = await t.make.recycler();
    const res = await list(fresh).expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  it('lists its revocations newest first, page by page, each once; another recycler sees none of them', async () => {
    const base = Date.parse('2026-11-11T02:00:00Z');
    const rids: string[] = [];
    for (let i = 0; i < 5; i++) {
      t.clock.set(new Date(base + i * 60_000));
      const rid = `R-${uniq()}-${i}`;
      rids.push(rid);
      await revoke(a, rid, i === 0 ? undefined : `wrong household ${i}`);
    }
    t.clock.set(new Date(base + 10 * 60_000));
    await revoke(b, `R-${uniq()}-b`, 'b only');

    const first = await list(a, { limit: 2 }).expect(200);
    expect(first.body.items).toEqual([
      { rid: rids[4], revokedAt: '2026-11-11T10:04:00+08:00', reason: 'wrong household 4' },
      { rid: rids[3], revokedAt: '2026-11-11T10:03:00+08:00', reason: 'wrong household 3' },
    ]);
    expect(typeof first.body.nextCursor).toBe('string');

    const { items, pages } = await all(a, 2);
    expect(pages).toEqual([2, 2, 1]);
    expect(items.map((i) => i.rid)).toEqual([...rids].reverse());
    expect(items[4]).toEqual({ rid: rids[0], revokedAt: '2026-11-11T10:00:00+08:00', reason: null });

    // the default page holds all of them; b sees only its own
    expect((await list(a).expect(200)).body.items.map((i: { rid: string }) => i.rid)).toEqual([...rids].reverse());
    const other = await list(b).expect(200);
    expect(other.body).toEqual({ items: [{ rid: expect.stringMatching(/-b$/), revokedAt: '2026-11-11T10:10:00+08:00', reason: 'b only' }], nextCursor: null });

    // a's cursor in b's hands pages b's list, never a's rows
    const borrowed = await list(b, { limit: 1, cursor: first.body.nextCursor }).expect(200);
    expect(borrowed.body.items.every((i: { rid: string }) => !rids.includes(i.rid))).toBe(true);
  });

  it('the same rid revoked by two recyclers is two revocations, each in its own list; revoking again changes nothing', async () => {
    const rid = `R-${uniq()}-shared`;
    const first = await revoke(a, rid, 'a first');
    await revoke(a, rid, 'a again');
    await revoke(b, rid, 'b too');
    const mine = (await all(a, 200)).items.filter((i) => i.rid === rid);
    expect(mine).toEqual([{ rid, revokedAt: expect.stringMatching(/\+08:00$/), reason: 'a first' }]);
    expect(Date.parse(mine[0].revokedAt)).toBe(Math.floor(Date.parse(first.body.revokedAt) / 1000) * 1000);
    expect((await all(b, 200)).items.filter((i) => i.rid === rid)).toEqual([{ rid, revokedAt: expect.any(String), reason: 'b too' }]);
  });

  it('pages through revocations sharing one millisecond, and rows stored with microseconds, without repeats or gaps', async () => {
    const c = await t.make.recycler();
    t.clock.set(new Date('2026-11-12T01:00:00.123Z'));
    for (const rid of ['same-a', 'same-b', 'same-c']) await revoke(c, rid);
    // written with microseconds (as a DEFAULT now() would): the cursor carries milliseconds
    await t.db.query(
      `INSERT INTO receipt_revocations (recycler_id, rid, reason, revoked_at) VALUES
         ($1, 'micro-1', NULL, '2026-11-12T01:00:00.123456Z'), ($1, 'micro-2', NULL, '2026-11-12T01:00:00.123999Z'),
         ($1, 'micro-3', NULL, '2026-11-12T01:00:00.124001Z')`,
      [c.id],
    );
    for (const limit of [1, 2, 4]) {
      const { items } = await all(c, limit);
      expect(items.map((i) => i.rid)).toEqual(['micro-3', 'same-c', 'same-b', 'same-a', 'micro-2', 'micro-1']);
    }
  });

  it('401 without a key or with an unknown key, 403 for people (household, admin), 400 for a cursor it never gave', async () => {
    const none = await t.http().get('/v1/recycler/receipts/revoked').expect(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('unauthorized');
    await t.http().get('/v1/recycler/receipts/revoked').set('X-Api-Key', 'hx_unknownunknownunknownunknown').expect(401);

    const household = await t.make.household();
    const h = await t.http().get('/v1/recycler/receipts/revoked').set(household.auth).expect(403);
    expect(h.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(h.body.code).toBe('forbidden');
    const admin = await t.make.admin();
    expect((await t.http().get('/v1/recycler/receipts/revoked').set(admin.auth).expect(403)).body.code).toBe('forbidden');

    const forged = [
      'not-a-cursor!',
      Buffer.from('["2026-11-11T00:00:00Z"]').toString('base64url'),
      Buffer.from('["yesterday","R-1"]').toString('base64url'),
      Buffer.from('["2026-11-11T00:00:00Z",42]').toString('base64url'),
      Buffer.from('{"at":"2026-11-11T00:00:00Z"}').toString('base64url'),
      Buffer.from('["+275760-09-13T00:00:00.000Z","R-1"]').toString('base64url'),
      Buffer.from(`["2026-11-11T00:00:00Z","${'x'.repeat(201)}"]`).toString('base64url'),
    ];
    for (const cursor of forged) {
      const res = await list(a, { cursor }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'cursor', message: expect.any(String) }] });
    }
    for (const limit of [0, 201, 'x']) {
      const res = await list(a, { limit }).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('/docs-json documents the list with its page shape', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body;
    const op = doc.paths['/v1/recycler/receipts/revoked'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit']);
    const ref = op.responses['200'].content['application/json'].schema.$ref.split('/').pop();
    expect(Object.keys(doc.components.schemas[ref].properties).sort()).toEqual(['items', 'nextCursor']);
  });
});
