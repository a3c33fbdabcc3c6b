import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IS_PUBLIC, ROLES_KEY } from '@huanxin/auth';
import { Role, ROLES } from '@huanxin/core';
import { AuthController } from '../apps/api/src/auth/auth.controller';
import { ROLE_CONTROLLERS } from '../apps/api/src/modules';
import { startTestApp, TestApp } from './support/app';
import { randomCreditCode, uniq } from './support/ids';

interface Route {
  method: string;
  path: string;
  openApiPath: string;
  roles: Role[] | undefined;
  isPublic: boolean;
}

/** Every route of every controller, read from Nest's own metadata: a new endpoint joins the matrix by itself. */
function routes(controllers: Type[]): Route[] {
  const out: Route[] = [];
  for (const c of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, c) ?? '');
    for (const name of Object.getOwnPropertyNames(c.prototype)) {
      const handler = c.prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      const method = Reflect.getMetadata(METHOD_METADATA, handler);
      if (sub === undefined || method === undefined) continue;
      const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
      out.push({
        method: RequestMethod[method].toLowerCase(),
        openApiPath: path.replace(/:([A-Za-z]+)/g, '{$1}'),
        path: path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000'),
        roles: Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, c),
        isPublic: !!(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, c)),
      });
    }
  }
  return out;
}

describe('role × endpoint matrix (e2e)', () => {
  let t: TestApp;
  const creds = {} as Record<Role, Record<string, string>>;
  const all = routes([AuthController, ...ROLE_CONTROLLERS]);
  const closed = all.filter((r) => !r.isPublic);

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.make.admin();
    const auditor = await t.make.auditor();
    const household = await t.make.household();
    const retailer = await t.http().post('/v1/admin/retailers').set(admin.auth).send({
      name: '测试零售商', creditCode: randomCreditCode(), city: 'hangzhou', stores: [{ code: 'S-1', name: '门店', city: 'hangzhou' }],
    }).expect(201);
    const staff = { email: `${uniq().toLowerCase()}@shop.cn`, password: 'staff-password-1', name: '店员' };
    await t.http().post(`/v1/admin/retailers/${retailer.body.id}/staff`).set(admin.auth).send(staff).expect(201);
    const staffLogin = await t.make.login(staff.email, staff.password);
    const recycler = await t.http().post('/v1/admin/recyclers').set(admin.auth).send({ name: '回收商', creditCode: randomCreditCode() }).expect(201);
    const recyclerKey = await t.http().post(`/v1/admin/recyclers/${recycler.body.id}/api-keys`).set(admin.auth).expect(201);
    creds.admin = admin.auth;
    creds.auditor = auditor.auth;
    creds.household = household.auth;
    creds.retailer = { Authorization: `Bearer ${staffLogin.token}` };
    creds.recycler = { 'X-Api-Key': recyclerKey.body.key };
  });
  afterAll(() => t.close());

  it('knows the role-restricted endpoints', () => {
    expect(closed.length).toBeGreaterThan(10);
    expect(closed.filter((r) => r.path.startsWith('/v1/admin')).every((r) => r.roles?.length === 1 && r.roles[0] === 'admin')).toBe(true);
  });

  it('/docs-json documents every endpoint with its responses', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body;
    const missing = all.filter((r) => !doc.paths[r.openApiPath]?.[r.method]?.responses).map((r) => `${r.method} ${r.openApiPath}`);
    expect(missing).toEqual([]);
    const undocumentedBodies = all
      .filter((r) => ['post', 'put'].includes(r.method))
      .filter((r) => {
        const op = doc.paths[r.openApiPath][r.method];
        const ok = Object.keys(op.responses).find((code) => code.startsWith('2'));
        return ok === undefined;
      })
      .map((r) => `${r.method} ${r.openApiPath}`);
    expect(undocumentedBodies).toEqual([]);
  });

  it('every closed endpoint answers 401 unauthorized without credentials', async () => {
    const failures: string[] = [];
    for (const r of closed) {
      const res = await (t.http() as any)[r.method](r.path).send({});
      if (res.status !== 401 || res.body.code !== 'unauthorized') failures.push(`${r.method} ${r.path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('every closed endpoint answers 401 for a forged token and an unknown API key', async () => {
    const failures: string[] = [];
    for (const r of closed) {
      const forged = await (t.http() as any)[r.method](r.path).set('Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x').send({});
      const badKey = await (t.http() as any)[r.method](r.path).set('X-Api-Key', 'hx_unknownunknownunknownunknown').send({});
      if (forged.status !== 401 || badKey.status !== 401) failures.push(`${r.method} ${r.path} → ${forged.status}/${badKey.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('every role-restricted endpoint answers 403 forbidden for every other role', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of closed.filter((x) => x.roles)) {
      for (const role of ROLES.filter((x) => !r.roles!.includes(x))) {
        const res = await (t.http() as any)[r.method](r.path).set(creds[role]).send({});
        checked++;
        if (res.status !== 403 || res.body.code !== 'forbidden') failures.push(`${role}: ${r.method} ${r.path} → ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('the allowed role gets past the guard (no 401/403)', async () => {
    const failures: string[] = [];
    for (const r of closed.filter((x) => x.roles)) {
      const res = await (t.http() as any)[r.method](r.path).set(creds[r.roles![0]]).send({});
      if (res.status === 401 || res.status === 403) failures.push(`${r.roles![0]}: ${r.method} ${r.path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });
});
