import { toShanghaiIso } from '@huanxin/core';
import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { uniq } from './support/ids';

const DAY = 86400_000;
const SHANGHAI_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;

describe('admin programmes (e2e)', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.make.admin();
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.set(undefined));

  const code = () => `zj-${uniq().toLowerCase()}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  /** As the API answers it: whole seconds, +08:00. */
  const shanghai = (ms: number) => toShanghaiIso(new Date(Math.floor(ms / 1000) * 1000));
  const body = (patch: Record<string, unknown> = {}) => ({
    code: code(), name: '浙江省 4K/8K 电视以旧换新 2026', startsAt: '2026-01-01T00:00:00+08:00', endsAt: '2030-12-31T23:59:59+08:00',
    voucherValidityDays: 30, perHouseholdLimit: 1, rules: DEFAULT_POLICY_RULES, ...patch,
  });
  const counts = async () => (await t.db.query(`
    SELECT (SELECT count(*)::int FROM programs) AS programs, (SELECT count(*)::int FROM policy_versions) AS versions,
           (SELECT count(*)::int FROM quotas) AS quotas, (SELECT count(*)::int FROM ledger_transactions) AS ledger,
           (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM audit_events) AS audit`))[0];
  const actions = async (programId: string) =>
    (await t.db.query(`SELECT action FROM audit_events WHERE subject_type = 'program' AND subject_id = $1 ORDER BY id`, [programId]))
      .map((r: { action: string }) => r.action);
  const fields = (res: { body: { errors?: { field: string }[] } }) => (res.body.errors ?? []).map((e) => e.field);

  describe('POST /v1/admin/programs', () => {
    it('creates a programme whose rules become version 1 from startsAt, and records both', async () => {
      const b = body();
      const res = await t.http().post('/v1/admin/programs').set(admin.auth).send(b).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String), code: b.code, name: b.name, startsAt: '2026-01-01T00:00:00+08:00', endsAt: '2030-12-31T23:59:59+08:00',
        voucherValidityDays: 30, perHouseholdLimit: 1, createdAt: expect.stringMatching(SHANGHAI_TIME),
        policyVersions: [{ version: 1, effectiveFrom: '2026-01-01T00:00:00+08:00' }],
      });
      expect(await actions(res.body.id)).toEqual(['program.created', 'policy.version_published']);
      const [published] = await t.db.query(
        `SELECT actor, details FROM audit_events WHERE subject_id = $1 AND action = 'policy.version_published'`, [res.body.id]);
      expect(published.actor).toMatchObject({ id: admin.id, role: 'admin' });
      expect(published.details).toEqual({ programCode: b.code, version: 1, effectiveFrom: '2026-01-01T00:00:00+08:00', rules: DEFAULT_POLICY_RULES });
    });

    it('reads times in any offset and answers them in Asia/Shanghai, to the second', async () => {
      const res = await t.http().post('/v1/admin/programs').set(admin.auth)
        .send(body({ startsAt: '2025-12-31T16:00:00.750Z', endsAt: '2027-01-01T00:00:00-05:00' })).expect(201);
      expect(res.body).toMatchObject({ startsAt: '2026-01-01T00:00:00+08:00', endsAt: '2027-01-01T13:00:00+08:00' });
    });

    it.each([
      ['an upper-case code', { code: 'ZJ-TV' }, 'code'],
      ['a one-character code', { code: 'z' }, 'code'],
      ['a 41-character code', { code: 'z'.repeat(41) }, 'code'],
      ['an underscore in the code', { code: 'zj_tv' }, 'code'],
      ['a time without an offset', { startsAt: '2026-01-01T00:00:00' }, 'startsAt'],
      ['a date without a time', { startsAt: '2026-01-01' }, 'startsAt'],
      ['30 February', { startsAt: '2026-02-30T00:00:00+08:00' }, 'startsAt'],
      ['24:00', { endsAt: '2030-12-31T24:00:00+08:00' }, 'endsAt'],
      ['an offset of +25:00', { endsAt: '2030-12-31T10:00:00+25:00' }, 'endsAt'],
      ['a time as a number', { startsAt: 1767196800000 }, 'startsAt'],
      ['endsAt equal to startsAt', { endsAt: '2026-01-01T00:00:00+08:00' }, 'endsAt'],
      ['endsAt before startsAt', { endsAt: '2025-12-31T00:00:00+08:00' }, 'endsAt'],
      ['a voucher validity of 0 days', { voucherValidityDays: 0 }, 'voucherValidityDays'],
      ['a per-household limit of 0', { perHouseholdLimit: 0 }, 'perHouseholdLimit'],
      ['a per-household limit of 1.5', { perHouseholdLimit: 1.5 }, 'perHouseholdLimit'],
      ['no rules', { rules: undefined }, 'rules'],
      ['rules that are not an object', { rules: 'default' }, 'rules'],
      ['a negative cap', { rules: { ...DEFAULT_POLICY_RULES, capFen: -1 } }, 'rules.capFen'],
      ['a misspelt rules key', { rules: { ...DEFAULT_POLICY_RULES, capfen: 1 } }, 'rules.capfen'],
      ['a rate above 100%', { rules: { ...DEFAULT_POLICY_RULES, rates: [{ energyGrade: 1, rateBp: 10001 }] } }, 'rules.rates[0].rateBp'],
      ['an unknown field', { budget: 100 }, 'budget'],
    ])('refuses %s with validation_failed naming the field and changes nothing', async (_label, patch, field) => {
      const before = await counts();
      const res = await t.http().post('/v1/admin/programs').set(admin.auth).send(body(patch)).expect(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('reports every invalid rule at once', async () => {
      const rules = { ...DEFAULT_POLICY_RULES, capFen: -1, rounding: 'up', receiptWindow: { daysBeforeSale: -1, daysAfterSale: 15 } };
      const res = await t.http().post('/v1/admin/programs').set(admin.auth).send(body({ rules })).expect(400);
      expect(fields(res)).toEqual(expect.arrayContaining(['rules.capFen', 'rules.rounding', 'rules.receiptWindow.daysBeforeSale']));
    });

    it('refuses a duplicate code with 409 duplicate and changes nothing', async () => {
      const b = body();
      await t.http().post('/v1/admin/programs').set(admin.auth).send(b).expect(201);
      const before = await counts();
      const res = await t.http().post('/v1/admin/programs').set(admin.auth).send(body({ code: b.code })).expect(409);
      expect(res.body).toMatchObject({ code: 'duplicate', errors: [{ field: 'code', message: expect.any(String) }] });
      expect(await counts()).toEqual(before);
    });

    it('is for admins only', async () => {
      const auditor = await t.make.auditor();
      expect((await t.http().post('/v1/admin/programs').set(auditor.auth).send(body()).expect(403)).body.code).toBe('forbidden');
      const household = await t.make.household();
      await t.http().get('/v1/admin/programs').set(household.auth).expect(403);
      await t.http().get('/v1/admin/programs').expect(401);
    });
  });

  describe('GET /v1/admin/programs', () => {
    it('answers a programme with its versions (rules included), quotas and city budgets', async () => {
      const p = await t.make.program(admin);
      await t.make.quota(admin, p.code, 'hangzhou', 200, '10:00');
      await t.make.budget(admin, p.code, 'hangzhou', 1_000_000);
      const res = await t.http().get(`/v1/admin/programs/${p.code}`).set(admin.auth).expect(200);
      const { policyVersions: _summary, ...rest } = p;
      expect(res.body).toEqual({
        ...rest,
        policyVersions: [{ version: 1, effectiveFrom: p.startsAt, rules: DEFAULT_POLICY_RULES }],
        quotas: [{ programCode: p.code, city: 'hangzhou', dailyVouchers: 200, releaseTime: '10:00' }],
        budgets: [{ city: 'hangzhou', grantedFen: 1_000_000, availableFen: 1_000_000, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0 }],
      });
    });

    it('answers 404 not_found for an unknown programme', async () => {
      const res = await t.http().get(`/v1/admin/programs/${code()}`).set(admin.auth).expect(404);
      expect(res.body.code).toBe('not_found');
    });

    it('pages through programmes by code', async () => {
      for (let i = 0; i < 3; i++) await t.make.program(admin);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { code: string; policyVersions: unknown[] }[]; nextCursor: string | null } } = await t.http()
          .get('/v1/admin/programs').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(admin.auth).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        for (const item of res.body.items) expect(item.policyVersions.length).toBeGreaterThanOrEqual(1);
        seen.push(...res.body.items.map((p) => p.code));
        cursor = res.body.nextCursor;
      } while (cursor);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM programs`);
      expect(seen).toHaveLength(n);
      expect(seen).toEqual([...seen].sort());
    });
  });

  describe('POST /v1/admin/programs/{code}/policy-versions', () => {
    const NATIONAL_2026 = {
      ...DEFAULT_POLICY_RULES,
      eligibility: { ...DEFAULT_POLICY_RULES.eligibility, maxEnergyGrade: 1 },
      rates: [{ energyGrade: 1, rateBp: 1500 }],
      capFen: 150000,
    };
    const publish = (programCode: string, effectiveFrom: string, rules: unknown = NATIONAL_2026) =>
      t.http().post(`/v1/admin/programs/${programCode}/policy-versions`).set(admin.auth).send({ effectiveFrom, rules });

    it('publishes version 2, keeps version 1, and records it', async () => {
      const p = await t.make.program(admin);
      const from = shanghai(Date.now() + 10 * DAY);
      const res = await publish(p.code, from).expect(201);
      expect(res.body).toEqual({ version: 2, effectiveFrom: from, rules: NATIONAL_2026 });
      const detail = await t.http().get(`/v1/admin/programs/${p.code}`).set(admin.auth).expect(200);
      expect(detail.body.policyVersions).toEqual([
        { version: 1, effectiveFrom: p.startsAt, rules: DEFAULT_POLICY_RULES },
        { version: 2, effectiveFrom: from, rules: NATIONAL_2026 },
      ]);
      expect(await actions(p.id)).toEqual(['program.created', 'policy.version_published', 'policy.version_published']);
    });

    it.each([
      ['at the latest version\'s effectiveFrom', (p: { startsAt: string }) => p.startsAt],
      ['in the past, though after the latest version', () => iso(Date.now() - 3600_000)],
      ['after the programme ends', (p: { endsAt: string }) => iso(Date.parse(p.endsAt) + 1000)],
    ])('refuses an effectiveFrom %s with 422 policy_version_conflict and changes nothing', async (_label, effectiveFrom) => {
      const p = await t.make.program(admin);
      const before = await counts();
      const res = await publish(p.code, effectiveFrom(p)).expect(422);
      expect(res.body.code).toBe('policy_version_conflict');
      expect(await counts()).toEqual(before);
    });

    it('refuses an effectiveFrom before the latest version (not only before now)', async () => {
      const p = await t.make.program(admin);
      await publish(p.code, iso(Date.now() + 20 * DAY)).expect(201);
      const res = await publish(p.code, iso(Date.now() + 10 * DAY)).expect(422);
      expect(res.body.code).toBe('policy_version_conflict');
    });

    it('judges "the past" by the platform clock', async () => {
      const p = await t.make.program(admin, { startsAt: iso(Date.now() - 400 * DAY) });
      const lastMonth = iso(Date.now() - 30 * DAY);
      t.clock.set(new Date(Date.now() - 60 * DAY));
      const res = await publish(p.code, lastMonth).expect(201);
      expect(res.body.version).toBe(2);
      t.clock.set(undefined);
      expect((await publish(p.code, iso(Date.now() - 1000)).expect(422)).body.code).toBe('policy_version_conflict');
    });

    it.each([
      ['invalid rules', { effectiveFrom: '2030-01-01T00:00:00+08:00', rules: { ...DEFAULT_POLICY_RULES, roundingFen: 0 } }, 'rules.roundingFen'],
      ['no rules', { effectiveFrom: '2030-01-01T00:00:00+08:00' }, 'rules'],
      ['a malformed effectiveFrom', { effectiveFrom: '2030-01-01 00:00', rules: DEFAULT_POLICY_RULES }, 'effectiveFrom'],
      ['a version number', { effectiveFrom: '2030-01-01T00:00:00+08:00', rules: DEFAULT_POLICY_RULES, version: 7 }, 'version'],
    ])('refuses %s with validation_failed and changes nothing', async (_label, send, field) => {
      const p = await t.make.program(admin);
      const before = await counts();
      const res = await t.http().post(`/v1/admin/programs/${p.code}/policy-versions`).set(admin.auth).send(send).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('answers 404 not_found for an unknown programme', async () => {
      const res = await publish(code(), '2030-01-01T00:00:00+08:00').expect(404);
      expect(res.body.code).toBe('not_found');
    });

    it('numbers concurrent publications distinctly: 2 and 3, never the same twice', async () => {
      for (let round = 0; round < 5; round++) {
        const p = await t.make.program(admin);
        const [a, b] = await Promise.all([publish(p.code, iso(Date.now() + 10 * DAY)), publish(p.code, iso(Date.now() + 20 * DAY))]);
        // whoever publishes second sees the first: the later effectiveFrom is always accepted (numbered 2 or 3);
        // the earlier one is refused only if it came second
        expect(b.status).toBe(201);
        const ok = [a, b].filter((r) => r.status === 201);
        expect(a.status === 201 ? 'published' : a.body.code).toMatch(/^(published|policy_version_conflict)$/);
        const versions = ok.map((r) => r.body.version).sort();
        expect(versions).toEqual(ok.length === 2 ? [2, 3] : [2]);
        const rows = await t.db.query(
          `SELECT version, effective_from FROM policy_versions v JOIN programs p ON p.id = v.program_id WHERE p.code = $1 ORDER BY version`, [p.code]);
        expect(rows.map((r: { version: number }) => r.version)).toEqual([1, ...versions]);
        // later versions always start later
        const starts = rows.map((r: { effective_from: Date }) => r.effective_from.getTime());
        expect(starts).toEqual([...starts].sort((x, y) => x - y));
      }
    });

    it('keeps eight racing publications in order: versions 2.. follow effectiveFrom', async () => {
      const p = await t.make.program(admin);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => publish(p.code, iso(Date.now() + (i + 1) * DAY))),
      );
      const accepted = results.filter((r) => r.status === 201).map((r) => r.body as { version: number; effectiveFrom: string });
      expect(results.every((r) => r.status === 201 || r.body.code === 'policy_version_conflict')).toBe(true);
      expect(results[7].status).toBe(201); // the latest effectiveFrom is after every other, whenever it comes
      const byVersion = [...accepted].sort((x, y) => x.version - y.version);
      expect(byVersion.map((v) => v.version)).toEqual(byVersion.map((_, i) => i + 2));
      const starts = byVersion.map((v) => Date.parse(v.effectiveFrom));
      expect(starts).toEqual([...starts].sort((x, y) => x - y));
    });

    it('cannot be changed or deleted once published: the database refuses', async () => {
      const p = await t.make.program(admin);
      await expect(t.db.query(`UPDATE policy_versions SET rules = '{}'::jsonb WHERE program_id = $1`, [p.id])).rejects.toThrow(/append-only/);
      await expect(t.db.query(`UPDATE policy_versions SET effective_from = now() WHERE program_id = $1`, [p.id])).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM policy_versions WHERE program_id = $1`, [p.id])).rejects.toThrow(/append-only/);
      const [row] = await t.db.query(`SELECT rules FROM policy_versions WHERE program_id = $1`, [p.id]);
      expect(row.rules).toEqual(DEFAULT_POLICY_RULES);
    });
  });

  describe('POST /v1/admin/programs/{code}/budgets', () => {
    it('grants budget into a city pool as one balanced ledger transaction, and records it', async () => {
      const p = await t.make.program(admin);
      const res = await t.http().post(`/v1/admin/programs/${p.code}/budgets`).set(admin.auth)
        .send({ city: 'ningbo', amountFen: 50_000_000, note: '2026 first tranche' }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^\d+$/), programCode: p.code, city: 'ningbo', amountFen: 50_000_000, note: '2026 first tranche',
        createdAt: expect.stringMatching(SHANGHAI_TIME),
      });
      const entries = await t.db.query(
        `SELECT a.kind, e.amount_fen::int AS amount FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
          WHERE e.transaction_id = $1 ORDER BY a.kind`, [res.body.id]);
      expect(entries).toEqual([{ kind: 'available', amount: 50_000_000 }, { kind: 'granted', amount: -50_000_000 }]);
      const [event] = await t.db.query(`SELECT actor, details FROM audit_events WHERE subject_id = $1 AND action = 'budget.granted'`, [p.id]);
      expect(event.details).toEqual({ programCode: p.code, city: 'ningbo', amountFen: 50_000_000, note: '2026 first tranche', ledgerTransactionId: res.body.id });
      expect(event.actor).toMatchObject({ id: admin.id });
    });

    it('grants once for one Idempotency-Key, however often the office retries', async () => {
      const p = await t.make.program(admin);
      const key = `grant-${uniq()}`;
      const send = () => t.http().post(`/v1/admin/programs/${p.code}/budgets`).set(admin.auth).set('Idempotency-Key', key)
        .send({ city: 'taizhou', amountFen: 300_000, note: 'retry me' });
      const first = await send().expect(201);
      const again = await send().expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM ledger_transactions WHERE program_id = $1`, [p.id]);
      expect(n).toBe(1);
    });

    it('takes a grant without a note', async () => {
      const p = await t.make.program(admin);
      const res = await t.http().post(`/v1/admin/programs/${p.code}/budgets`).set(admin.auth).send({ city: 'lishui', amountFen: 1 }).expect(201);
      expect(res.body).toMatchObject({ amountFen: 1, note: null });
    });

    it.each([
      ['zero', { amountFen: 0 }, 'amountFen'],
      ['a negative amount (reductions are their own call)', { amountFen: -100 }, 'amountFen'],
      ['yuan with decimals', { amountFen: 100.5 }, 'amountFen'],
      ['a string amount', { amountFen: '100' }, 'amountFen'],
      ['an absurd amount', { amountFen: Number.MAX_SAFE_INTEGER }, 'amountFen'],
      ['a city outside Zhejiang', { city: 'shanghai' }, 'city'],
      ['a 501-character note', { note: 'x'.repeat(501) }, 'note'],
    ])('refuses %s with 400 validation_failed and changes nothing', async (_label, patch, field) => {
      const p = await t.make.program(admin);
      const before = await counts();
      const res = await t.http().post(`/v1/admin/programs/${p.code}/budgets`).set(admin.auth)
        .send({ city: 'hangzhou', amountFen: 100_000, note: '', ...patch }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('answers 404 not_found for an unknown programme and changes nothing', async () => {
      const before = await counts();
      const res = await t.http().post(`/v1/admin/programs/${code()}/budgets`).set(admin.auth).send({ city: 'hangzhou', amountFen: 100 }).expect(404);
      expect(res.body.code).toBe('not_found');
      expect(await counts()).toEqual(before);
    });
  });

  describe('PUT /v1/admin/programs/{code}/quotas/{city}', () => {
    it('sets a city quota, replaces it, and records both with what changed', async () => {
      const p = await t.make.program(admin);
      const first = await t.http().put(`/v1/admin/programs/${p.code}/quotas/wenzhou`).set(admin.auth).send({ dailyVouchers: 300, releaseTime: '10:00' }).expect(200);
      expect(first.body).toEqual({ programCode: p.code, city: 'wenzhou', dailyVouchers: 300, releaseTime: '10:00' });
      const second = await t.http().put(`/v1/admin/programs/${p.code}/quotas/wenzhou`).set(admin.auth).send({ dailyVouchers: 0, releaseTime: '23:59' }).expect(200);
      expect(second.body).toEqual({ programCode: p.code, city: 'wenzhou', dailyVouchers: 0, releaseTime: '23:59' });
      const rows = await t.db.query(`SELECT daily_vouchers, release_time FROM quotas WHERE program_id = $1`, [p.id]);
      expect(rows).toEqual([{ daily_vouchers: 0, release_time: '23:59' }]);
      const events = await t.db.query(`SELECT details FROM audit_events WHERE subject_id = $1 AND action = 'quota.set' ORDER BY id`, [p.id]);
      expect(events.map((e: { details: unknown }) => e.details)).toEqual([
        { programCode: p.code, city: 'wenzhou', dailyVouchers: 300, releaseTime: '10:00', previous: null },
        { programCode: p.code, city: 'wenzhou', dailyVouchers: 0, releaseTime: '23:59', previous: { dailyVouchers: 300, releaseTime: '10:00' } },
      ]);
    });

    it.each([
      ['a city outside Zhejiang in the path', 'shanghai', {}, 'city'],
      ['a city name in Chinese', encodeURIComponent('杭州'), {}, 'city'],
      ['releaseTime 24:00', 'hangzhou', { releaseTime: '24:00' }, 'releaseTime'],
      ['releaseTime 9:00', 'hangzhou', { releaseTime: '9:00' }, 'releaseTime'],
      ['releaseTime 10:60', 'hangzhou', { releaseTime: '10:60' }, 'releaseTime'],
      ['a negative quota', 'hangzhou', { dailyVouchers: -1 }, 'dailyVouchers'],
      ['a fractional quota', 'hangzhou', { dailyVouchers: 1.5 }, 'dailyVouchers'],
      ['an unknown field', 'hangzhou', { budgetFen: 1 }, 'budgetFen'],
    ])('refuses %s with 400 validation_failed and changes nothing', async (_label, city, patch, field) => {
      const p = await t.make.program(admin);
      const before = await counts();
      const res = await t.http().put(`/v1/admin/programs/${p.code}/quotas/${city}`).set(admin.auth)
        .send({ dailyVouchers: 100, releaseTime: '10:00', ...patch }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(fields(res)).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('answers 404 not_found for an unknown programme', async () => {
      const res = await t.http().put(`/v1/admin/programs/${code()}/quotas/hangzhou`).set(admin.auth).send({ dailyVouchers: 1, releaseTime: '10:00' }).expect(404);
      expect(res.body.code).toBe('not_found');
    });
  });
});
