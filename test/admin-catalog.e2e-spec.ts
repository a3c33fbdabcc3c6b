import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { randomGtin, uniq } from './support/ids';

describe('admin catalogue (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
  });
  afterAll(() => t.close());

  const body = (patch: Record<string, unknown> = {}) => ({
    modelCode: `tc-${uniq()}`.toLowerCase(), gtin: randomGtin(), brand: 'TCL', name: 'TCL 65-inch 4K TV', category: 'tv',
    resolution: '4K', energyGrade: 2, screenInches: 65, referencePriceFen: 465000, ...patch,
  });
  const count = async () => (await t.db.query(`SELECT count(*)::int AS n FROM catalog_models`))[0].n as number;
  const events = (modelCode: string) =>
    t.db.query(`SELECT action, actor, details FROM audit_events WHERE subject_type = 'catalog_model' AND subject_id = $1 ORDER BY id`, [modelCode]);

  describe('POST /v1/admin/catalog/models', () => {
    it('adds a pending model, its code upper-cased, and records it', async () => {
      const b = body();
      const res = await t.http().post('/v1/admin/catalog/models').set(admin.auth).send(b).expect(201);
      expect(res.body).toEqual({
        ...b, modelCode: b.modelCode.toUpperCase(), status: 'pending', approvedAt: null,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
      });
      const log = await events(res.body.modelCode);
      expect(log).toEqual([expect.objectContaining({ action: 'catalog.model_created', actor: expect.objectContaining({ id: admin.id, role: 'admin' }) })]);
      expect(log[0].details).toMatchObject({ gtin: b.gtin, referencePriceFen: 465000 });
    });

    it('accepts other lower-case categories (the policy decides what a programme pays)', async () => {
      const res = await t.http().post('/v1/admin/catalog/models').set(admin.auth).send(body({ category: 'fridge', resolution: 'FHD', energyGrade: 5 })).expect(201);
      expect(res.body).toMatchObject({ category: 'fridge', status: 'pending' });
    });

    it.each([
      ['a wrong GTIN check digit', (b: Record<string, any>) => ({ gtin: b.gtin.slice(0, 12) + ((Number(b.gtin[12]) + 1) % 10) }), 'gtin'],
      ['a 12-digit GTIN', (b: Record<string, any>) => ({ gtin: b.gtin.slice(0, 12) }), 'gtin'],
      ['a GTIN as a number', () => ({ gtin: 6978470719897 }), 'gtin'],
      ['a model code with a space', () => ({ modelCode: 'HS 55U6B' }), 'modelCode'],
      ['a 41-character model code', () => ({ modelCode: 'A'.repeat(41) }), 'modelCode'],
      ['an empty model code', () => ({ modelCode: '' }), 'modelCode'],
      ['an upper-case category', () => ({ category: 'TV' }), 'category'],
      ['an unknown resolution', () => ({ resolution: '4k' }), 'resolution'],
      ['energy grade 0', () => ({ energyGrade: 0 }), 'energyGrade'],
      ['energy grade 6', () => ({ energyGrade: 6 }), 'energyGrade'],
      ['energy grade 1.5', () => ({ energyGrade: 1.5 }), 'energyGrade'],
      ['a reference price of 0', () => ({ referencePriceFen: 0 }), 'referencePriceFen'],
      ['a negative reference price', () => ({ referencePriceFen: -100 }), 'referencePriceFen'],
      ['a reference price in yuan with decimals', () => ({ referencePriceFen: 4650.5 }), 'referencePriceFen'],
      ['a reference price as a string', () => ({ referencePriceFen: '465000' }), 'referencePriceFen'],
      ['a blank brand', () => ({ brand: '   ' }), 'brand'],
      ['no name', () => ({ name: undefined }), 'name'],
      ['zero inches', () => ({ screenInches: 0 }), 'screenInches'],
      ['an unknown field', () => ({ status: 'approved' }), 'status'],
    ])('refuses %s with validation_failed naming the field and changes nothing', async (_label, patch, field) => {
      const before = await count();
      const b = body();
      const res = await t.http().post('/v1/admin/catalog/models').set(admin.auth).send({ ...b, ...patch(b) }).expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count()).toBe(before);
    });

    it('refuses a duplicate model code (in any case) and a duplicate GTIN with 409 duplicate', async () => {
      const first = body();
      await t.http().post('/v1/admin/catalog/models').set(admin.auth).send(first).expect(201);
      const before = await count();
      const sameCode = await t.http().post('/v1/admin/catalog/models').set(admin.auth).send(body({ modelCode: first.modelCode.toUpperCase() })).expect(409);
      expect(sameCode.body).toMatchObject({ code: 'duplicate', errors: [{ field: 'modelCode', message: expect.any(String) }] });
      const sameGtin = await t.http().post('/v1/admin/catalog/models').set(admin.auth).send(body({ gtin: first.gtin })).expect(409);
      expect(sameGtin.body).toMatchObject({ code: 'duplicate', errors: [{ field: 'gtin', message: expect.any(String) }] });
      expect(await count()).toBe(before);
    });

    it('is for admins only', async () => {
      const auditor = await t.make.auditor();
      const res = await t.http().post('/v1/admin/catalog/models').set(auditor.auth).send(body()).expect(403);
      expect(res.body.code).toBe('forbidden');
      await t.http().post('/v1/admin/catalog/models').send(body()).expect(401);
    });
  });

  describe('POST /v1/admin/catalog/models/{modelCode}/approve', () => {
    it('approves a pending model once and records it', async () => {
      const created = await t.make.model(admin, { approve: false });
      expect(created.status).toBe('pending');
      const res = await t.http().post(`/v1/admin/catalog/models/${created.modelCode.toLowerCase()}/approve`).set(admin.auth).expect(200);
      expect(res.body).toMatchObject({ modelCode: created.modelCode, status: 'approved', approvedAt: expect.stringMatching(/\+08:00$/) });
      // approving again answers the same model and records nothing more
      const again = await t.http().post(`/v1/admin/catalog/models/${created.modelCode}/approve`).set(admin.auth).expect(200);
      expect(again.body).toEqual(res.body);
      expect((await events(created.modelCode)).map((e: { action: string }) => e.action)).toEqual(['catalog.model_created', 'catalog.model_approved']);
    });

    it('answers 404 model_not_found for an unknown model', async () => {
      const res = await t.http().post(`/v1/admin/catalog/models/NOPE-${uniq()}/approve`).set(admin.auth).expect(404);
      expect(res.body.code).toBe('model_not_found');
    });
  });

  describe('GET /v1/admin/catalog/models', () => {
    it('reads one model by code, case-insensitively, and 404s an unknown one', async () => {
      const m = await t.make.model(admin);
      const res = await t.http().get(`/v1/admin/catalog/models/${m.modelCode.toLowerCase()}`).set(admin.auth).expect(200);
      expect(res.body).toEqual(m);
      const missing = await t.http().get(`/v1/admin/catalog/models/NOPE-${uniq()}`).set(admin.auth).expect(404);
      expect(missing.body.code).toBe('model_not_found');
    });

    it('pages through the catalogue by model code and filters by status', async () => {
      const prefix = `PG${uniq()}`;
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await t.make.model(admin, { modelCode: `${prefix}-${i}`, approve: i % 2 === 0 }));
      const seen: { modelCode: string; status: string }[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { modelCode: string; status: string }[]; nextCursor: string | null } } = await t.http()
          .get('/v1/admin/catalog/models').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(admin.auth).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      const codes = seen.map((m) => m.modelCode);
      expect(codes).toEqual([...codes].sort());
      expect(new Set(codes).size).toBe(codes.length);
      expect(codes).toEqual(expect.arrayContaining(made.map((m) => m.modelCode)));

      const pending = await t.http().get('/v1/admin/catalog/models').query({ status: 'pending', limit: 200 }).set(admin.auth).expect(200);
      expect(pending.body.items.every((m: { status: string }) => m.status === 'pending')).toBe(true);
      expect(pending.body.items.map((m: { modelCode: string }) => m.modelCode)).toEqual(expect.arrayContaining([`${prefix}-1`, `${prefix}-3`]));
    });

    it.each([
      [{ status: 'rejected' }, 'status'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '201' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: '!!not-a-cursor' }, 'cursor'],
    ])('refuses the query %p naming %s', async (query, field) => {
      const res = await t.http().get('/v1/admin/catalog/models').query(query).set(admin.auth).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });
});
