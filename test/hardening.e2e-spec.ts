import { SignJWT } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { baseLoggerOptions, safeError } from '@huanxin/core';
import { JWT_AUDIENCE, JWT_ISSUER } from '@huanxin/auth';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import { randomPhone, randomResidentId, uniq } from './support/ids';
import { Scenario } from './support/scenario';
import { SecretsSweep } from './support/secrets-sweep';

jest.setTimeout(120_000);

/**
 * Issue 8's findings, each reproduced as it was reported and shown fixed at its root: idempotency never keeps
 * or replays a secret, no log line carries SQL parameters, bad text and numbers and shapes are 400/415 before
 * anything runs, anonymous keys never collide, ended sign-ins stop their access tokens on every process, and a
 * suspension and a trade-in are ordered by the database.
 */
describe('hardening: idempotency, input, logs, tokens (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'trace' });
  });
  afterAll(() => t.close());

  const keyRows = async (key: string) => t.db.query(`SELECT scope, state, response_body FROM idempotency_keys WHERE key = $1`, [key]);

  it('a refresh sent twice with one Idempotency-Key is a reuse (401, family revoked), and no token is stored', async () => {
    const h = await t.make.household();
    const key = `refresh-${uniq()}`;
    const first = await t.http().post('/v1/auth/refresh').set('Idempotency-Key', key).send({ refreshToken: h.refreshToken }).expect(200);
    const again = await t.http().post('/v1/auth/refresh').set('Idempotency-Key', key).send({ refreshToken: h.refreshToken }).expect(401);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    // the reuse killed the family: the pair the first call gave is dead too
    await t.http().post('/v1/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(401);
    expect(await keyRows(key)).toEqual([]);
  });

  it('log-in answers are never stored for replay', async () => {
    const h = await t.make.household();
    const key = `login-${uniq()}`;
    const a = await t.http().post('/v1/auth/login').set('Idempotency-Key', key).send({ username: h.phone, password: h.password }).expect(200);
    const b = await t.http().post('/v1/auth/login').set('Idempotency-Key', key).send({ username: h.phone, password: h.password }).expect(200);
    expect(b.body.refreshToken).not.toBe(a.body.refreshToken);
    expect(await keyRows(key)).toEqual([]);
  });

  it('a new API key is shown once: a replay answers the same key id without the secret, and the table never holds it', async () => {
    const admin = await t.make.admin();
    const r = await t.make.retailer();
    const key = `apikey-${uniq()}`;
    const first = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).set('Idempotency-Key', key).expect(201);
    expect(first.body.key).toEqual(expect.any(String));
    const replay = await t.http().post(`/v1/admin/retailers/${r.id}/api-keys`).set(admin.auth).set('Idempotency-Key', key).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.body.key).toBeUndefined();
    const [row] = await keyRows(key);
    expect(JSON.stringify(row.response_body)).not.toContain(first.body.key);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM api_keys WHERE retailer_id = $1`, [r.id]))[0].n).toBe(2); // the fixture's and this one
  });

  it('two anonymous callers sending one Idempotency-Key with different bodies do not meet each other', async () => {
    const key = `anon-${uniq()}`;
    const body = () => ({ phone: randomPhone(), password: `pw-${uniq()}`, name: '甲', idNumber: randomResidentId(), city: 'hangzhou' });
    const a = body();
    const b = body();
    const ra = await t.http().post('/v1/auth/register').set('Idempotency-Key', key).send(a).expect(201);
    const rb = await t.http().post('/v1/auth/register').set('Idempotency-Key', key).send(b).expect(201);
    expect(rb.body.id).not.toBe(ra.body.id);
    // the same caller retrying the same request still gets its first answer (without the phone, never stored)
    const replay = await t.http().post('/v1/auth/register').set('Idempotency-Key', key).send(a).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(ra.body.id);
    const rows = await keyRows(key);
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(a.phone);
  });

  describe('input no endpoint accepts is refused quickly with 400/415 problem+json, changing nothing', () => {
    const expectProblem = (res: request.Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(typeof res.body.code).toBe('string');
    };
    const users = async () => (await t.db.query(`SELECT count(*)::int AS n FROM users`))[0].n;

    it('NUL in a path, a query or a body; a NUL hidden in a cursor', async () => {
      const admin = await t.make.admin();
      const before = await users();
      expectProblem(await t.http().get('/v1/public/serials/a%00b'), 400);
      expectProblem(await t.http().get('/v1/admin/retailers?cursor=a%00b').set(admin.auth), 400);
      expectProblem(await t.http().get(`/v1/admin/retailers?cursor=${Buffer.from('x\u0000y').toString('base64url')}`).set(admin.auth), 400);
      expectProblem(await t.http().post('/v1/auth/register').send({ phone: randomPhone(), password: 'a-good-password', name: 'a\u0000b', idNumber: randomResidentId(), city: 'hangzhou' }), 400);
      expectProblem(await t.http().get('/v1/public/serials/%E0%A4%A'), 400);
      expect(await users()).toBe(before);
    });

    it('lone surrogates in an e-mail or a bank account name', async () => {
      const admin = await t.make.admin();
      expectProblem(await t.http().post('/v1/admin/users').set(admin.auth).send({ email: 'a\ud800@example.cn', password: 'a-good-password', name: 'x', role: 'auditor' }), 400);
      expectProblem(await t.http().post('/v1/admin/retailers').set(admin.auth).send({
        name: '店', creditCode: '91330100MA27XXXX0X', city: 'hangzhou', stores: [{ code: 'S-1', name: 'x', city: 'hangzhou' }],
        payout: { bank: { accountName: 'x\udc00', accountNumber: '6222020200112233445', bankCode: '102331000010' } },
      }), 400);
    });

    it('numbers JSON cannot hold: 1e400 and 5,000 digits', async () => {
      const admin = await t.make.admin();
      for (const n of ['1e400', '9'.repeat(5000), '-1e400']) {
        const res = await t.http().post('/v1/admin/programs/x/budgets').set(admin.auth).set('content-type', 'application/json')
          .send(`{"city":"hangzhou","amountFen":${n},"note":"x"}`);
        expectProblem(res, 400);
      }
    });

    it('deep nesting and huge arrays are refused before parsing, in milliseconds', async () => {
      for (const depth of [33, 5000, 50000]) {
        const started = process.hrtime.bigint();
        const res = await t.http().post('/v1/auth/register').set('content-type', 'application/json').send('['.repeat(depth) + ']'.repeat(depth));
        expectProblem(res, 400);
        expect(res.body.errors[0].message).toMatch(/nested deeper/);
        expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000); // through HTTP, on a loaded machine
      }
      const wide = await t.http().post('/v1/auth/register').set('content-type', 'application/json').send(`[${'0,'.repeat(20000)}0]`);
      expectProblem(wide, 400);
      // 32 levels is still fine for the parser: what is refused then is the shape, by validation
      const ok = await t.http().post('/v1/auth/register').set('content-type', 'application/json').send('['.repeat(32) + ']'.repeat(32));
      expectProblem(ok, 400);
      expect(ok.body.code).toBe('validation_failed');
    });

    it('a declared Content-Encoding, matching or not, is 415 on POST and GET alike', async () => {
      expectProblem(await t.http().post('/v1/auth/login').set('content-type', 'application/json').set('content-encoding', 'gzip').send('{}'), 415);
      expectProblem(await t.http().post('/v1/auth/login').set('content-type', 'application/json').set('content-encoding', 'br').send('{"a":1}'), 415);
      expectProblem(await t.http().post('/v1/auth/login').set('content-type', 'application/json').set('content-encoding', 'gzip').send(gzipSync('{"username":"x","password":"y"}')), 415);
      expectProblem(await t.http().get('/v1/public/serials/abc').set('content-type', 'application/json').set('content-encoding', 'deflate').send('{}'), 415);
    });
  });

  describe('tokens', () => {
    const token = (claims: Record<string, unknown>, opts: { issuer?: string; audience?: string; expiresIn?: number } = {}) => {
      let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
      if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
      if (opts.audience) jwt = jwt.setAudience(opts.audience);
      if (opts.expiresIn) jwt = jwt.setExpirationTime(`${opts.expiresIn}s`);
      return jwt.sign(new TextEncoder().encode(t.config.jwtSecret));
    };

    it('a token without exp, or with the wrong issuer or audience, is refused even with the right key', async () => {
      const h = await t.make.household();
      const claims = { sub: h.id, role: 'household', fam: '00000000-0000-4000-8000-000000000000', city: 'hangzhou' };
      const get = async (tok: Promise<string>) => t.http().get('/v1/household/vouchers').set('Authorization', `Bearer ${await tok}`);
      expect((await get(token(claims, { issuer: JWT_ISSUER, audience: JWT_AUDIENCE, expiresIn: 60 }))).status).toBe(200); // the control
      expect((await get(token(claims, { issuer: JWT_ISSUER, audience: JWT_AUDIENCE }))).status).toBe(401);
      expect((await get(token(claims, { issuer: 'someone-else', audience: JWT_AUDIENCE, expiresIn: 60 }))).status).toBe(401);
      expect((await get(token(claims, { issuer: JWT_ISSUER, audience: 'other-api', expiresIn: 60 }))).status).toBe(401);
      expect((await get(token(claims, { expiresIn: 60 }))).status).toBe(401);
    });

    it('after logout the access token stops at once', async () => {
      const h = await t.make.household();
      await t.http().get('/v1/household/vouchers').set(h.auth).expect(200);
      await t.http().post('/v1/auth/logout').set(h.auth).expect(204);
      const res = await t.http().get('/v1/household/vouchers').set(h.auth).expect(401);
      expect(res.body.code).toBe('unauthorized');
    });

    it('refresh-token reuse stops the access tokens of the whole family', async () => {
      const h = await t.make.household();
      const next = await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(200);
      await t.http().post('/v1/auth/refresh').send({ refreshToken: h.refreshToken }).expect(401); // the reuse
      await t.http().get('/v1/household/vouchers').set(h.auth).expect(401);
      await t.http().get('/v1/household/vouchers').set('Authorization', `Bearer ${next.body.accessToken}`).expect(401);
    });
  });

  describe('logs', () => {
    it('a failing statement is logged by SQLSTATE, constraint and statement name: never its parameters', async () => {
      const lines: string[] = [];
      const logger = pino(baseLoggerOptions('trace', 'test'), new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
      const secretParam = `$argon2id$v=19$m=1024$${uniq()}`;
      const phone = randomPhone();
      let caught: unknown;
      try {
        await t.app.get(DataSource).query(`INSERT INTO users (id, role, email, password_hash, name) VALUES ($1, 'admin', $2, $3, $4)`,
          ['not-a-uuid', `${phone}@example.cn`, secretParam, phone]);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeDefined();
      logger.error({ err: caught }, 'failed');
      logger.error(caught as Error);
      logger.warn({ detail: caught }, 'nested error field');
      const text = lines.join('');
      expect(text).toContain('22P02'); // invalid_text_representation: what failed is still there
      expect(text).toContain('INSERT INTO users');
      expect(text).not.toContain(secretParam);
      expect(text).not.toContain('argon2');
      expect(text).not.toContain(phone);
      expect(text).not.toContain('not-a-uuid');
      expect(safeError(caught)).not.toHaveProperty('message');
    });

    it('the secrets sweep learns from the traffic, and finds a secret in a table or a log line', async () => {
      const h = await t.make.household();
      expect(t.sweep.secrets.get(h.password)).toBe('password');
      expect(t.sweep.secrets.get(h.idNumber)).toBe('idNumber');
      expect(t.sweep.secrets.get(h.refreshToken)).toBe('refreshToken');
      const probe = new SecretsSweep();
      probe.remember('password', `pw-probe-${uniq()}`);
      const [secret] = [...probe.secrets.keys()];
      expect(await probe.findLeaks(t.db, [])).toEqual([]);
      await t.db.query(`CREATE TABLE sweep_probe (note text)`);
      try {
        await t.db.query(`INSERT INTO sweep_probe VALUES ($1)`, [`left here: ${secret}`]);
        expect(await probe.findLeaks(t.db, [`{"msg":"${secret}"}`])).toEqual(['password in table sweep_probe', 'password in the log']);
      } finally {
        await t.db.query(`DROP TABLE sweep_probe`);
      }
    });

    it('every request at trace level leaves no secret in the log (the sweep at close checks the rest)', async () => {
      const h = await t.make.household();
      t.logs.length = 0;
      await t.http().post('/v1/auth/login').send({ username: h.phone, password: h.password }).expect(200);
      await t.http().post('/v1/auth/login').send({ username: h.phone, password: `${h.password}-wrong` }).expect(401);
      await t.http().get('/v1/public/serials/a%00b').expect(400);
      const text = t.logs.join('');
      expect(t.logs.length).toBeGreaterThan(2);
      for (const secret of [h.password, h.phone, h.idNumber, h.token, h.refreshToken]) expect(text).not.toContain(secret);
    });
  });
});

describe('hardening: suspension and trade-in are ordered by the database (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // every trade-in holds its transaction open 1.5 s before committing, so a suspension can arrive meanwhile
    t = await startTestApp({ TRADE_IN_DEBUG_DELAY_MS: '1500' });
  });
  afterAll(() => t.close());

  it('a suspension sent during a trade-in waits for it; a trade-in after the suspension is refused', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const h1 = await s.household();
    const h2 = await s.household();
    const body1 = await s.tradeInBody(h1, (await s.voucher(h1)).code);
    const body2 = await s.tradeInBody(h2, (await s.voucher(h2)).code);
    const order: string[] = [];
    const tradeIn = s.tradeIn(body1).then((r) => (order.push('trade-in'), r));
    await new Promise((r) => setTimeout(r, 700)); // the trade-in is inside its transaction, holding the retailer
    const suspension = t.http().post(`/v1/admin/retailers/${s.retailer.id}/suspend`).set(s.admin.auth).send({ reason: 'audit finding' })
      .then((r) => (order.push('suspension'), r));
    const [ti, su] = await Promise.all([tradeIn, suspension]);
    expect(ti.status).toBe(201);
    expect(su.status).toBe(200);
    expect(order).toEqual(['trade-in', 'suspension']);
    const after = await s.tradeIn(body2);
    expect(after.status).toBe(422);
    expect(after.body.code).toBe('retailer_not_active');
    const claims = await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE retailer_id = $1`, [s.retailer.id]);
    expect(claims[0].n).toBe(1);
  });
});

describe('hardening: an ended sign-in stops on every API process within seconds (e2e)', () => {
  let t: TestApp;
  let other: ApiProcess;
  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    other = await startApiProcess(t.database.url, { TOKEN_REVOCATION_POLL_MS: '500' });
  }, 240_000);
  afterAll(async () => {
    await other?.stop();
    await t?.close();
  });

  it('logout on one process: the other refuses the access token within the poll interval', async () => {
    const h = await t.make.household();
    await request(other.url).get('/v1/household/vouchers').set(h.auth).expect(200);
    await t.http().post('/v1/auth/logout').set(h.auth).expect(204);
    const deadline = Date.now() + 5000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await request(other.url).get('/v1/household/vouchers').set(h.auth)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
  });
});
