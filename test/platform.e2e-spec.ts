import { AuthService } from '@huanxin/auth';
import { startTestApp, TestApp } from './support/app';
import { randomPhone, randomResidentId, uniq } from './support/ids';

describe('platform basics (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_REGISTER: '1000',
      LOG_LEVEL: 'info',
      BOOTSTRAP_ADMIN_EMAIL: 'boot@example.gov.cn',
      BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap-password-1',
    });
  });
  afterAll(() => t.close());

  it('answers liveness and readiness, readiness checking the database', async () => {
    await t.http().get('/health/live').expect(200);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info.database.status).toBe('up');
  });

  it('serves Prometheus metrics', async () => {
    await t.http().get('/health/live');
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('serves an OpenAPI 3 document covering the endpoints, with request and response shapes', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.paths['/v1/auth/register'].post.requestBody).toBeDefined();
    expect(res.body.paths['/v1/auth/register'].post.responses['201'].content['application/json'].schema.$ref).toContain('HouseholdDto');
    expect(res.body.paths['/v1/admin/users'].post).toBeDefined();
    await t.http().get('/docs').expect(200);
  });

  it('sets security headers and a request id, and keeps a caller-supplied request id', async () => {
    const res = await t.http().get('/health/live').set('X-Request-Id', 'req-abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    const fresh = await t.http().get('/health/live');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with problem+json 404', async () => {
    const res = await t.http().get('/v1/nowhere').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('refuses an oversized body with 413 problem+json', async () => {
    const res = await t.http().post('/v1/auth/register').send({ name: 'x'.repeat(200 * 1024) }).expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('creates the bootstrap admin once, and it can sign in', async () => {
    const auth = t.app.get(AuthService);
    expect(await auth.bootstrapAdmin()).toBe(true);
    expect(await auth.bootstrapAdmin()).toBe(false);
    const res = await t.http().post('/v1/auth/login').send({ username: 'boot@example.gov.cn', password: 'bootstrap-password-1' }).expect(200);
    expect(res.body.role).toBe('admin');
  });

  it('never writes ID numbers, passwords, tokens or API keys to the logs', async () => {
    const idNumber = randomResidentId();
    const password = `Secret-${uniq()}`;
    const phone = randomPhone();
    t.logs.length = 0;
    await t.http().post('/v1/auth/register').send({ phone, password, name: '王五', idNumber, city: 'wenzhou' }).expect(201);
    // a failing registration with the same ID (the error path logs too)
    await t.http().post('/v1/auth/register').send({ phone: randomPhone(), password, name: '王五', idNumber, city: 'wenzhou' }).expect(409);
    // a request that crashes validation with the ID number in an unknown field
    await t.http().post('/v1/auth/register').send({ phone, password, name: 'x', idNumber, city: 'wenzhou', extra: idNumber }).expect(400);
    const admin = await t.make.admin();
    await t.http().post('/v1/admin/users').set(admin.auth).set('X-Api-Key', 'hx_not-a-real-key-but-secret-0000000')
      .send({ email: `${uniq()}@x.cn`.toLowerCase(), password, name: 'a', role: 'auditor' });
    const text = t.logs.join('');
    expect(t.logs.length).toBeGreaterThan(3); // the capture works: request lines were written
    expect(text).not.toContain(idNumber);
    expect(text).not.toContain(idNumber.slice(0, 14));
    expect(text).not.toContain(password);
    expect(text).not.toContain(admin.token);
    expect(text).not.toContain('hx_not-a-real-key-but-secret');
  });
});

describe('rate limits (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_LOGIN: '3' });
  });
  afterAll(() => t.close());

  it('rate-limits login attempts with 429 rate_limited', async () => {
    const phone = randomPhone();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await t.http().post('/v1/auth/login').send({ username: phone, password: 'wrong-password' }));
    const statuses = answers.map((r) => r.status);
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.map((r) => r.body.code)).toEqual(['rate_limited', 'rate_limited']);
    expect(limited.every((r) => /application\/problem\+json/.test(r.headers['content-type']))).toBe(true);
    // a fresh app: exactly the first three get through
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

});

describe('idempotency (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const user = () => ({ email: `${uniq().toLowerCase()}@example.gov.cn`, password: 'a-good-password', name: '审计员', role: 'auditor' });
  const count = async (email: string) => (await t.db.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]))[0].n;

  it('same key and same body gives the first answer again and creates once', async () => {
    const admin = await t.make.admin();
    const body = user();
    const key = `k-${uniq()}`;
    const first = await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(body).expect(201);
    const second = await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(body).expect(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await count(body.email)).toBe(1);
  });

  it('same key with another body is 422 idempotency_key_reused', async () => {
    const admin = await t.make.admin();
    const key = `k-${uniq()}`;
    await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(user()).expect(201);
    const other = user();
    const res = await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(other).expect(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(await count(other.email)).toBe(0);
  });

  it('keys are scoped to the caller', async () => {
    const a = await t.make.admin();
    const b = await t.make.admin();
    const key = `k-${uniq()}`;
    const ua = user();
    const ub = user();
    await t.http().post('/v1/admin/users').set(a.auth).set('Idempotency-Key', key).send(ua).expect(201);
    await t.http().post('/v1/admin/users').set(b.auth).set('Idempotency-Key', key).send(ub).expect(201);
    expect(await count(ub.email)).toBe(1);
  });

  it('concurrent duplicates: one is created, every answer is the same', async () => {
    const admin = await t.make.admin();
    const body = user();
    const key = `k-${uniq()}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(body)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(await count(body.email)).toBe(1);
  });

  it('a failed request releases its key so a corrected retry can succeed', async () => {
    const admin = await t.make.admin();
    const body = user();
    const key = `k-${uniq()}`;
    await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(body).expect(201);
    const dupKey = `k-${uniq()}`;
    const conflict = await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', dupKey).send(body).expect(409);
    expect(conflict.body.code).toBe('email_taken');
    const rows = await t.db.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [dupKey]);
    expect(rows).toHaveLength(0);
  });

  it('refuses a malformed key', async () => {
    const admin = await t.make.admin();
    const res = await t.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', 'bad key!').send(user()).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });
});

// Passport keeps strategies process-wide, so each app in a file gets its own describe block.
describe('idempotency without waiting (e2e)', () => {
  let t2: TestApp;
  beforeAll(async () => {
    t2 = await startTestApp({ IDEMPOTENCY_WAIT_MS: '0' });
  });
  afterAll(() => t2.close());
  const user = () => ({ email: `${uniq().toLowerCase()}@example.gov.cn`, password: 'a-good-password', name: '审计员', role: 'auditor' });

  it('a concurrent duplicate that cannot wait gets 409 idempotency_in_progress', async () => {
      const admin = await t2.make.admin();
      const key = `k-${uniq()}`;
      // an in-flight request holding the key, as another API process would
      await t2.db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until, expires_at)
         VALUES ($1, $2, 'x', 'in_progress', now() + interval '1 minute', now() + interval '1 day')`,
        [`user:${admin.id}`, key],
      );
      const res = await t2.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key).send(user());
      // the stored request differs, so this is a reuse; the same body would be in progress
      expect(res.status).toBe(422);
      const body = user();
      const key2 = `k-${uniq()}`;
      const { createHash } = await import('node:crypto');
      const canonicalize = (await import('canonicalize')).default;
      const hash = createHash('sha256').update(`POST /v1/admin/users\n${canonicalize(body)}`).digest('hex');
      await t2.db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until, expires_at)
         VALUES ($1, $2, $3, 'in_progress', now() + interval '1 minute', now() + interval '1 day')`,
        [`user:${admin.id}`, key2, hash],
      );
      const busy = await t2.http().post('/v1/admin/users').set(admin.auth).set('Idempotency-Key', key2).send(body).expect(409);
      expect(busy.body.code).toBe('idempotency_in_progress');
      expect((await t2.db.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [body.email]))[0].n).toBe(0);
  });

});
