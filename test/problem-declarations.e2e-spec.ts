import { Logger } from '@nestjs/common';
import { COMMON_PROBLEMS, PROBLEMS_METADATA } from '@huanxin/core';
import { AdminCatalogController } from '../apps/api/src/admin/catalog.controller';
import { ProblemDrift } from '../apps/api/src/http/problem-drift';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Issue 10, "At the edge": ids in the path go through one pipe (an id this API never gave out → 404 at the edge, unknown → the service's 404), and each route's
 * problem codes are declared once (@ApiProblems → OpenAPI) and checked against what it answers. The whole e2e
 * suite is the drift test (test/support/app.ts fails a file whose routes answered an undeclared code); this file
 * shows that the check does catch one.
 */
describe('problem declarations and id parameters (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  const drift = () => t.app.get(ProblemDrift);

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
  });
  afterAll(() => t.close());

  describe('ids in the path', () => {
    it.each([
      ['/v1/admin/retailers/not-a-uuid/suspend', { reason: 'x' }],
      ['/v1/admin/recyclers/123/decertify', { reason: 'x' }],
      [`/v1/admin/retailers/${UNKNOWN_ID}/api-keys/abc/revoke`, undefined],
      ['/v1/auditor/claims/not-a-uuid/decision', { decision: 'approve', reason: 'x' }],
      ['/v1/retailer/claims/00000000-0000-4000-8000-00000000000g/cancel', { reason: 'x' }],
    ])('POST %s: an id this API never gave out is 404 not_found, answered at the edge', async (path, body) => {
      const who = path.startsWith('/v1/auditor') ? await t.make.auditor() : path.startsWith('/v1/retailer') ? await t.make.retailer() : admin;
      const res = await t.http().post(path).set(who.auth).send(body).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
    });

    it('a well-formed id nobody knows is still the service\'s 404 not_found', async () => {
      const res = await t.http().post(`/v1/admin/retailers/${UNKNOWN_ID}/suspend`).set(admin.auth).send({ reason: 'x' }).expect(404);
      expect(res.body.code).toBe('not_found');
    });

    it('the role is checked before the id: another role gets 403 whatever the id', async () => {
      const h = await t.make.household();
      const res = await t.http().post('/v1/admin/retailers/not-a-uuid/suspend').set(h.auth).send({ reason: 'x' }).expect(403);
      expect(res.body.code).toBe('forbidden');
    });

    it('reads answer a malformed id like an unknown one (404)', async () => {
      expect((await t.http().get('/v1/auditor/claims/nope').set((await t.make.auditor()).auth).expect(404)).body.code).toBe('not_found');
      for (const path of ['/v1/admin/retailers/nope', '/v1/admin/recyclers/nope', '/v1/admin/payout-runs/nope']) {
        expect((await t.http().get(path).set(admin.auth).expect(404)).body.code).toBe('not_found');
      }
    });
  });

  describe('the declaration feeds the OpenAPI document', () => {
    it('a status per declared code, its codes in the description; the common ones on every operation', async () => {
      const doc = (await t.http().get('/docs-json').expect(200)).body;
      const tradeIn = doc.paths['/v1/retailer/trade-ins'].post.responses;
      expect(tradeIn['400'].description).toBe('validation_failed, receipt_malformed');
      expect(tradeIn['404'].description).toBe('voucher_not_found, model_not_found, not_found (no such store for this retailer)');
      expect(tradeIn['409'].description).toContain('idempotency_in_progress');
      expect(tradeIn['422'].description).toContain('recycler_not_certified');
      expect(tradeIn['422'].description).toContain('receipt_outside_window');
      expect(tradeIn['400'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/ProblemDto');
      const cancel = doc.paths['/v1/retailer/claims/{id}/cancel'].post.responses;
      expect(Object.keys(cancel).sort()).toEqual(['200', '400', '401', '403', '404', '409']);
      expect(cancel['409'].description).toBe('claim_not_cancellable');
    });
  });

  describe('drift: a route answering a code it does not declare', () => {
    const handler = AdminCatalogController.prototype.get;
    let declared: unknown;
    beforeAll(() => {
      declared = Reflect.getMetadata(PROBLEMS_METADATA, handler);
    });
    afterEach(() => {
      Reflect.defineMetadata(PROBLEMS_METADATA, declared, handler);
      drift().clear();
    });

    it('is recorded (list, counter, a warning) while the answer stays as it was', async () => {
      // supertest never calls listen(), so Nest keeps its log lines buffered: watch the call instead
      const warn = jest.spyOn(Logger.prototype, 'warn');
      expect(declared).toEqual(['model_not_found']);
      expect(drift().entries()).toEqual([]);
      // the route forgets that it answers model_not_found
      Reflect.defineMetadata(PROBLEMS_METADATA, [], handler);
      const res = await t.http().get('/v1/admin/catalog/models/NO-SUCH-MODEL').set(admin.auth).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('model_not_found');
      await t.http().get('/v1/admin/catalog/models/NO-SUCH-MODEL-EITHER').set(admin.auth).expect(404);
      expect(drift().entries()).toEqual([{ route: 'GET /v1/admin/catalog/models/:modelCode', status: 404, code: 'model_not_found', count: 2 }]);
      const metrics = (await t.http().get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/^http_undeclared_problems_total\{route="GET \/v1\/admin\/catalog\/models\/:modelCode",code="model_not_found"\} [1-9]/m);
      const warnings = warn.mock.calls.filter(([o]) => (o as { code?: string }).code === 'model_not_found');
      expect(warnings).toEqual([[{ route: 'GET /v1/admin/catalog/models/:modelCode', status: 404, code: 'model_not_found' }, expect.stringMatching(/does not declare/)]]);
      warn.mockRestore();
    });

    it('is not recorded for a declared code, nor for a common one', async () => {
      await t.http().get('/v1/admin/catalog/models/NO-SUCH-MODEL').set(admin.auth).expect(404);
      expect(COMMON_PROBLEMS).toContain('forbidden');
      await t.http().get('/v1/admin/catalog/models/NO-SUCH-MODEL').set((await t.make.auditor()).auth).expect(403);
      expect(drift().entries()).toEqual([]);
    });
  });
});

// after the first app is closed: two live apps in one file would share passport's strategies
describe('the app helper and drift (e2e)', () => {
  it('fails the test file: close() does not pass quietly, it names the route and the code', async () => {
    const handler = AdminCatalogController.prototype.get;
    const declared = Reflect.getMetadata(PROBLEMS_METADATA, handler);
    const t = await startTestApp();
    try {
      const admin = await t.make.admin();
      Reflect.defineMetadata(PROBLEMS_METADATA, [], handler);
      await t.http().get('/v1/admin/catalog/models/NO-SUCH-MODEL').set(admin.auth).expect(404);
    } finally {
      Reflect.defineMetadata(PROBLEMS_METADATA, declared, handler);
    }
    await expect(t.close()).rejects.toThrow('GET /v1/admin/catalog/models/:modelCode answered 404 model_not_found (1×)');
  });
});
