import { startTestApp, TestApp } from './support/app';
import { randomPhone, randomResidentId } from './support/ids';

describe('auth (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const registration = () => ({
    phone: randomPhone(), password: 'correct horse battery', name: '李四', idNumber: randomResidentId(), city: 'ningbo',
  });

  describe('register', () => {
    it('creates a household and answers with the last four ID digits only', async () => {
      const body = registration();
      const res = await t.http().post('/v1/auth/register').send(body).expect(201);
      expect(res.body).toEqual({ id: expect.any(String), phone: body.phone, city: 'ningbo', idNumberLast4: body.idNumber.slice(-4) });
      const [row] = await t.db.query(`SELECT id_number_hash, id_number_last4 FROM users WHERE id = $1`, [res.body.id]);
      expect(row.id_number_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(body.idNumber);
    });

    it('accepts a lower-case x check character and stores it normalised', async () => {
      const body = { ...registration(), idNumber: '11010519491231002x' };
      const res = await t.http().post('/v1/auth/register').send(body).expect(201);
      expect(res.body.idNumberLast4).toBe('002X');
    });

    it.each([
      ['a wrong check digit', { idNumber: '330106199003070015' }, 'idNumber'],
      ['a 15-digit old ID', { idNumber: '330106900307001' }, 'idNumber'],
      ['a city outside Zhejiang', { city: 'shanghai' }, 'city'],
      ['a landline', { phone: '057188888888' }, 'phone'],
      ['a short password', { password: 'short' }, 'password'],
      ['an unknown field', { role: 'admin' }, 'role'],
    ])('refuses %s with validation_failed naming the field', async (_label, patch, field) => {
      const before = await t.db.query(`SELECT count(*)::int AS n FROM users`);
      const res = await t.http().post('/v1/auth/register').send({ ...registration(), ...patch }).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'validation_failed', type: expect.any(String), title: 'Bad Request' });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      const after = await t.db.query(`SELECT count(*)::int AS n FROM users`);
      expect(after[0].n).toBe(before[0].n);
    });

    it('allows one household per ID number and per phone', async () => {
      const body = registration();
      await t.http().post('/v1/auth/register').send(body).expect(201);
      const sameId = await t.http().post('/v1/auth/register').send({ ...registration(), idNumber: body.idNumber }).expect(409);
      expect(sameId.body.code).toBe('id_number_taken');
      const samePhone = await t.http().post('/v1/auth/register').send({ ...registration(), phone: body.phone }).expect(409);
      expect(samePhone.body.code).toBe('phone_taken');
    });

    it('refuses malformed JSON with problem+json', async () => {
      const res = await t.http().post('/v1/auth/register').set('Content-Type', 'application/json').send('{"phone":').expect(400);
      expect(res.body.code).toBe('validation_failed');
    });
  });

  describe('login, refresh, logout', () => {
    it('logs in by phone and the token works', async () => {
      const body = registration();
      await t.http().post('/v1/auth/register').send(body).expect(201);
      const res = await t.http().post('/v1/auth/login').send({ username: body.phone, password: body.password }).expect(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900, role: 'household' });
    });

    it('logs staff in by e-mail, case-insensitively', async () => {
      const admin = await t.make.admin();
      const res = await t.http().post('/v1/auth/login').send({ username: admin.email.toUpperCase(), password: admin.password }).expect(200);
      expect(res.body.role).toBe('admin');
    });

    it('refuses a wrong password and an unknown user alike', async () => {
      const h = await t.make.household();
      const wrong = await t.http().post('/v1/auth/login').send({ username: h.phone, password: 'nope-nope-nope' }).expect(401);
      const unknown = await t.http().post('/v1/auth/login').send({ username: randomPhone(), password: 'nope-nope-nope' }).expect(401);
      expect(wrong.body.code).toBe('unauthorized');
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('refuses a login without fields as validation_failed', async () => {
      const res = await t.http().post('/v1/auth/login').send({}).expect(400);
      expect(res.body.code).toBe('validation_failed');
    });

    it('rotates refresh tokens; the old one stops working', async () => {
      const h = await t.make.household();
      const first = await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(200);
      expect(first.body.refreshToken).not.toBe(h.refreshToken);
      const again = await t.http().post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);
      expect(again.body.accessToken).toEqual(expect.any(String));
    });

    it('reusing a refresh token revokes the whole family', async () => {
      const h = await t.make.household();
      const next = await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(200);
      // the stolen old token is replayed
      const reuse = await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(401);
      expect(reuse.body.code).toBe('unauthorized');
      // and the legitimate newer token is dead too
      await t.http().post('/v1/auth/refresh').send({ refreshToken: next.body.refreshToken }).expect(401);
      const events = await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 AND action = 'auth.refresh_reuse_detected'`, [h.id]);
      expect(events).toHaveLength(1);
    });

    it('logout revokes the refresh token family of that sign-in only', async () => {
      const h = await t.make.household();
      const other = await t.make.login(h.phone, h.password);
      await t.http().post('/v1/auth/logout').set(h.auth).expect(204);
      await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(401);
      await t.http().post('/v1/auth/refresh').send({ refreshToken: other.refreshToken }).expect(200);
    });

    it('logout needs a sign-in', async () => {
      const res = await t.http().post('/v1/auth/logout').expect(401);
      expect(res.body.code).toBe('unauthorized');
    });

    it('records sign-ins and failed sign-ins in the audit log', async () => {
      const h = await t.make.household();
      await t.http().post('/v1/auth/login').send({ username: h.phone, password: 'wrong-password' }).expect(401);
      const rows = await t.db.query(`SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY id`, [h.id]);
      expect(rows.map((r: { action: string }) => r.action)).toEqual(['household.registered', 'auth.login', 'auth.login_failed']);
    });
  });
});
