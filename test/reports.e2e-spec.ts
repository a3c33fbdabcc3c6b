import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { LedgerService } from '@huanxin/ledger';
import { startTestApp, TestApp } from './support/app';
import type { Household, RetailerFixture, SignedIn } from './support/factories';
import { uniq } from './support/ids';
import { Scenario } from './support/scenario';

/** RFC 4180 parser, independent of the code under test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += ch;
  }
  if (field || row.length) throw new Error('the CSV does not end with CRLF');
  return rows;
}

const mask = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;

/** Downloads in a child process (counting lines, keeping the first 2 KB) so that it allocates nothing here. */
function download(url: string, authorization: string): Promise<{ status: number; lines: number; bytes: number; head: string }> {
  const script = `
    const http = require('node:http');
    http.get(process.env.URL, { headers: { Authorization: process.env.AUTH } }, (res) => {
      let lines = 0, bytes = 0, head = '';
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (head.length < 2000) head += chunk.toString('utf8');
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, lines, bytes, head })));
    }).on('error', (err) => { console.error(err); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: url, AUTH: authorization } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`download failed: ${stderr}`))));
  });
}

describe('auditor reports, exports and ledger (e2e)', () => {
  let t: TestApp;
  let auditor: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    auditor = await t.make.auditor();
  });
  afterAll(() => t.close());

  const get = (path: string, query: Record<string, string> = {}) => t.http().get(path).query(query).set(auditor.auth);

  describe('on a small known data set', () => {
    let s: Scenario;
    let r2: RetailerFixture;
    let programId: string;
    const c: Record<string, { id: string; h: Household; amountFen: number }> = {};
    const REASON_INVOICE = '发票不符, 需"复核"';
    const REASON_FORMULA = '=重复申请';
    const REASON_CLAWBACK = '退货\n第二行';

    beforeAll(async () => {
      // every claim is sampled into review, so each ends where the auditor sends it
      s = await Scenario.create(t, { rules: { reviewSampleBp: 10000 } });
      r2 = await t.make.retailer({ city: 'hangzhou', stores: [{ code: 'R2-HZ', city: 'hangzhou' }] });
      programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
      const model = (resolution: '4K' | '8K', energyGrade: number) => s.model({ resolution, energyGrade, referencePriceFen: 2_000_000 });
      const m = { k4g1: await model('4K', 1), k4g2: await model('4K', 2), k8g1: await model('8K', 1), k8g2: await model('8K', 2) };
      const submit = async (name: string, city: string, modelCode: string, salePriceFen: number, retailer?: RetailerFixture) => {
        const h = await s.household(city);
        const v = await s.voucher(h);
        const body = await s.tradeInBody(h, v.code, { modelCode, salePriceFen, ...(retailer ? { storeCode: 'R2-HZ' } : {}) });
        const res = await s.tradeIn(body, `ti-${uniq()}`, retailer?.keyAuth ?? s.retailer.keyAuth);
        if (res.status !== 201 || res.body.status !== 'pending_review') throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
        c[name] = { id: res.body.claimId, h, amountFen: res.body.subsidy.amountFen };
      };
      await submit('A', 'hangzhou', m.k4g1, 500000);
      await submit('B', 'hangzhou', m.k8g1, 1299900);
      await submit('C', 'hangzhou', m.k4g2, 500000);
      await submit('D', 'hangzhou', m.k4g1, 329900, r2);
      await submit('E', 'ningbo', m.k4g2, 329900);
      await submit('F', 'ningbo', m.k8g2, 1340000);
      await submit('G', 'ningbo', m.k4g1, 599900);
      const amounts = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.amountFen]));
      const expected = { A: 100000, B: 200000, C: 75000, D: 65980, E: 49485, F: 200000, G: 119980 };
      if (JSON.stringify(amounts) !== JSON.stringify(expected)) throw new Error(`unexpected subsidies ${JSON.stringify(amounts)}`);

      const decide = (id: string, decision: string, reason: string) =>
        t.http().post(`/v1/auditor/claims/${id}/decision`).set(auditor.auth).send({ decision, reason }).expect(200);
      await decide(c.A.id, 'approve', 'ok');
      await decide(c.B.id, 'approve', 'ok');
      await decide(c.G.id, 'approve', 'ok');
      await decide(c.C.id, 'reject', REASON_INVOICE);
      await decide(c.E.id, 'reject', ` ${REASON_INVOICE} `);
      await decide(c.F.id, 'reject', REASON_FORMULA);
      const ledger = t.app.get(LedgerService);
      for (const [name, city] of [['B', 'hangzhou'], ['G', 'ningbo']]) {
        await t.db.transaction(async (tx) => {
          await ledger['post'](tx, { programId, city, kind: 'pay', reference: c[name].id, entries: [
            { account: { kind: 'payable', retailerId: s.retailer.id }, amountFen: -c[name].amountFen }, { account: 'paid', amountFen: c[name].amountFen }] });
          // along the state machine, as a run does: approved → in_payout → paid
          await tx.query(`UPDATE claims SET status = 'in_payout' WHERE id = $1`, [c[name].id]);
          await tx.query(`UPDATE claims SET status = 'paid' WHERE id = $1`, [c[name].id]);
        });
      }
      await t.http().post(`/v1/auditor/claims/${c.G.id}/clawback`).set(auditor.auth).send({ reason: REASON_CLAWBACK }).expect(200);

      // Submission times around Shanghai midnight: C and D fall on 2 March in Shanghai but on 1 March in UTC.
      const at = async (names: string[], time: string) => t.db.query(`UPDATE claims SET created_at = $2 WHERE id = ANY($1::uuid[])`, [names.map((n) => c[n].id), time]);
      await at(['A', 'B'], '2026-03-01T23:30:00+08:00');
      await at(['C', 'D'], '2026-03-02T00:30:00+08:00');
      await at(['E', 'F', 'G'], '2026-03-03T12:00:00+08:00');
    });

    const none: { reason: string; count: number }[] = [];

    it('summarises by city', async () => {
      const res = await get('/v1/auditor/reports/summary', { programCode: s.programCode, groupBy: 'city' }).expect(200);
      expect(res.body).toEqual({
        programCode: s.programCode, groupBy: 'city', from: null, to: null,
        rows: [
          {
            key: 'hangzhou', label: 'hangzhou', claims: 4, subsidyFen: 365980, paidFen: 200000, claims4k: 3, claims8k: 1,
            subsidy4kFen: 165980, subsidy8kFen: 200000, grade1Claims: 3, grade1ShareBp: 7500, rejectedClaims: 1,
            rejections: [{ reason: REASON_INVOICE, count: 1 }],
          },
          {
            key: 'ningbo', label: 'ningbo', claims: 3, subsidyFen: 0, paidFen: 0, claims4k: 2, claims8k: 1,
            subsidy4kFen: 0, subsidy8kFen: 0, grade1Claims: 1, grade1ShareBp: 3333, rejectedClaims: 2,
            rejections: [{ reason: REASON_FORMULA, count: 1 }, { reason: REASON_INVOICE, count: 1 }],
          },
        ],
        totals: {
          claims: 7, subsidyFen: 365980, paidFen: 200000, claims4k: 5, claims8k: 2, subsidy4kFen: 165980, subsidy8kFen: 200000,
          grade1Claims: 4, grade1ShareBp: 5714, rejectedClaims: 3,
          rejections: [{ reason: REASON_INVOICE, count: 2 }, { reason: REASON_FORMULA, count: 1 }],
        },
      });
    });

    it('summarises by retailer', async () => {
      const res = await get('/v1/auditor/reports/summary', { programCode: s.programCode, groupBy: 'retailer' }).expect(200);
      const names = Object.fromEntries((await t.db.query(`SELECT id, name FROM retailers WHERE id = ANY($1::uuid[])`, [[s.retailer.id, r2.id]]))
        .map((r: { id: string; name: string }) => [r.id, r.name]));
      const byKey = Object.fromEntries(res.body.rows.map((r: { key: string }) => [r.key, r]));
      expect(res.body.rows).toHaveLength(2);
      expect(byKey[s.retailer.id]).toEqual({
        key: s.retailer.id, label: names[s.retailer.id], claims: 6, subsidyFen: 300000, paidFen: 200000, claims4k: 4, claims8k: 2,
        subsidy4kFen: 100000, subsidy8kFen: 200000, grade1Claims: 3, grade1ShareBp: 5000, rejectedClaims: 3,
        rejections: [{ reason: REASON_INVOICE, count: 2 }, { reason: REASON_FORMULA, count: 1 }],
      });
      expect(byKey[r2.id]).toEqual({
        key: r2.id, label: names[r2.id], claims: 1, subsidyFen: 65980, paidFen: 0, claims4k: 1, claims8k: 0,
        subsidy4kFen: 65980, subsidy8kFen: 0, grade1Claims: 1, grade1ShareBp: 10000, rejectedClaims: 0, rejections: none,
      });
    });

    it('summarises by Shanghai day, and applies from/to', async () => {
      const res = await get('/v1/auditor/reports/summary', { programCode: s.programCode, groupBy: 'day' }).expect(200);
      expect(res.body.rows.map((r: { key: string; claims: number; subsidyFen: number; paidFen: number; grade1ShareBp: number; rejectedClaims: number }) =>
        [r.key, r.claims, r.subsidyFen, r.paidFen, r.grade1ShareBp, r.rejectedClaims])).toEqual([
        ['2026-03-01', 2, 300000, 200000, 10000, 0],
        ['2026-03-02', 2, 65980, 0, 5000, 1],
        ['2026-03-03', 3, 0, 0, 3333, 2],
      ]);
      const oneDay = await get('/v1/auditor/reports/summary', { programCode: s.programCode, groupBy: 'day', from: '2026-03-02', to: '2026-03-02' }).expect(200);
      expect(oneDay.body).toMatchObject({ from: '2026-03-02T00:00:00+08:00', to: '2026-03-03T00:00:00+08:00' });
      expect(oneDay.body.rows).toEqual([{
        key: '2026-03-02', label: '2026-03-02', claims: 2, subsidyFen: 65980, paidFen: 0, claims4k: 2, claims8k: 0, subsidy4kFen: 65980,
        subsidy8kFen: 0, grade1Claims: 1, grade1ShareBp: 5000, rejectedClaims: 1, rejections: [{ reason: REASON_INVOICE, count: 1 }],
      }]);
      const instants = await get('/v1/auditor/reports/summary', {
        programCode: s.programCode, groupBy: 'city', from: '2026-03-01T16:00:00Z', to: '2026-03-02T16:00:00Z',
      }).expect(200);
      expect(instants.body.totals).toMatchObject({ claims: 2, subsidyFen: 65980 });
      const empty = await get('/v1/auditor/reports/summary', { programCode: s.programCode, from: '2030-01-01' }).expect(200);
      expect(empty.body.rows).toEqual([]);
      expect(empty.body.totals).toMatchObject({ claims: 0, subsidyFen: 0, grade1ShareBp: 0, rejections: [] });
    });

    it('refuses bad summary queries', async () => {
      for (const q of [{}, { programCode: s.programCode, groupBy: 'week' }, { programCode: s.programCode, from: 'x' }, { programCode: s.programCode, extra: '1' }]) {
        const res = await get('/v1/auditor/reports/summary', q as Record<string, string>).expect(400);
        expect(res.body.code).toBe('validation_failed');
      }
      const unknown = await get('/v1/auditor/reports/summary', { programCode: 'p-none' }).expect(404);
      expect(unknown.body.code).toBe('not_found');
    });

    it('exports the claims as CSV: BOM, header, quoting, masked phones, no ID numbers', async () => {
      const res = await get('/v1/auditor/exports/claims.csv', { programCode: s.programCode }).buffer(true).parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => { text += chunk; });
        r.on('end', () => cb(null, text));
      }).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="claims.csv"');
      const text: string = res.body;
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const [header, ...rows] = parseCsv(text.slice(1));
      expect(header).toEqual([
        'claim_id', 'created_at', 'status', 'program_code', 'city', 'retailer_id', 'retailer_name', 'store_code', 'household_id',
        'household_phone', 'voucher_code', 'model_code', 'resolution', 'energy_grade', 'serial_number', 'invoice_number',
        'sale_price_fen', 'sold_at', 'subsidy_fen', 'rate_bp', 'capped', 'policy_version', 'flags', 'review_reasons', 'decided_at',
        'decision_reason', 'cancel_reason',
      ]);
      expect(rows).toHaveLength(7);
      expect(rows.every((r) => r.length === header.length)).toBe(true);
      const col = (row: string[], name: string) => row[header.indexOf(name)];
      const byId = Object.fromEntries(rows.map((r) => [col(r, 'claim_id'), r]));
      // oldest first
      expect(rows.map((r) => col(r, 'created_at'))).toEqual([...rows.map((r) => col(r, 'created_at'))].sort());
      expect(col(byId[c.C.id], 'decision_reason')).toBe(REASON_INVOICE);
      expect(text).toContain('"发票不符, 需""复核"""');
      expect(col(byId[c.F.id], 'decision_reason')).toBe(`'${REASON_FORMULA}`);
      expect(col(byId[c.G.id], 'cancel_reason')).toBe(REASON_CLAWBACK);
      expect(col(byId[c.G.id], 'status')).toBe('clawed_back');
      expect(col(byId[c.B.id], 'subsidy_fen')).toBe('200000');
      expect(col(byId[c.B.id], 'capped')).toBe('true');
      expect(col(byId[c.B.id], 'resolution')).toBe('8K');
      expect(col(byId[c.C.id], 'created_at')).toBe('2026-03-02T00:30:00+08:00');
      expect(col(byId[c.D.id], 'retailer_id')).toBe(r2.id);
      expect(col(byId[c.A.id], 'review_reasons')).toBe('sample');
      for (const [name, claim] of Object.entries(c)) {
        expect([name, col(byId[claim.id], 'household_phone')]).toEqual([name, mask(claim.h.phone)]);
        expect(text).not.toContain(claim.h.phone);
        expect(text).not.toContain(claim.h.idNumber);
        expect(text).not.toContain(claim.h.idNumber.slice(-6));
      }
      expect(text).not.toMatch(/\d{17}[\dX]/);
    });

    it('applies the list filters to the export, and validates them', async () => {
      const ids = async (query: Record<string, string>) => {
        const res = await get('/v1/auditor/exports/claims.csv', { programCode: s.programCode, ...query }).buffer(true)
          .parse((r, cb) => { let x = ''; r.setEncoding('utf8'); r.on('data', (d: string) => { x += d; }); r.on('end', () => cb(null, x)); }).expect(200);
        return parseCsv((res.body as string).slice(1)).slice(1).map((r) => r[0]).sort();
      };
      expect(await ids({ status: 'rejected' })).toEqual([c.C.id, c.E.id, c.F.id].sort());
      expect(await ids({ city: 'ningbo' })).toEqual([c.E.id, c.F.id, c.G.id].sort());
      expect(await ids({ retailerId: r2.id })).toEqual([c.D.id]);
      expect(await ids({ from: '2026-03-02', to: '2026-03-02' })).toEqual([c.C.id, c.D.id].sort());
      expect(await ids({ flag: 'price_above_reference' })).toEqual([]);
      const bad = await get('/v1/auditor/exports/claims.csv', { status: 'nope' }).expect(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(bad.body.code ?? JSON.parse(bad.text).code).toBe('validation_failed');
    });

    it('reports the ledger per city, balanced, as LedgerService sees it', async () => {
      const res = await get('/v1/auditor/ledger', { programCode: s.programCode }).expect(200);
      const expected = await t.app.get(LedgerService).balances(programId);
      expect(res.body).toEqual({ programCode: s.programCode, balanced: true, cities: expected, problems: [] });
      const hz = res.body.cities.find((x: { city: string }) => x.city === 'hangzhou');
      const nb = res.body.cities.find((x: { city: string }) => x.city === 'ningbo');
      expect(hz).toMatchObject({ grantedFen: 100_000_000, reservedFen: 65980, payableFen: 100000, paidFen: 200000, receivableFen: 0, balanced: true });
      expect(nb).toMatchObject({ grantedFen: 100_000_000, reservedFen: 0, payableFen: 0, paidFen: 119980, receivableFen: 119980, balanced: true });
      expect(hz.availableFen + hz.reservedFen + hz.payableFen + hz.paidFen - hz.receivableFen).toBe(hz.grantedFen);
      await get('/v1/auditor/ledger', { programCode: 'p-none' }).expect(404);
      await get('/v1/auditor/ledger').expect(400);
    });
  });

  it('the ledger report says so when the books do not balance', async () => {
    const s = await Scenario.create(t, { cities: ['lishui'] });
    const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    // a balance changed behind the ledger's back (the entries are append-only, the balances are not)
    await t.db.query(`UPDATE ledger_accounts SET balance_fen = balance_fen + 1 WHERE program_id = $1 AND kind = 'available'`, [programId]);
    const res = await get('/v1/auditor/ledger', { programCode: s.programCode }).expect(200);
    expect(res.body.balanced).toBe(false);
    expect(res.body.cities).toEqual([expect.objectContaining({ city: 'lishui', balanced: false })]);
    expect(res.body.problems.length).toBeGreaterThan(0);
  });

  it('streams 100,000 claims as CSV in bounded memory', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const h = await s.household('hangzhou');
    const modelCode = await s.model();
    const [program] = await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]);
    const store = s.retailer.stores.find((x) => x.city === 'hangzhou')!;
    const N = 100_000;
    const seedStarted = Date.now();
    // set-based: 100,000 used vouchers, then a claim on each (valid foreign keys throughout)
    await t.db.query(
      `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, used_at)
       SELECT gen_random_uuid(), 'BULK-' || g, $1, 'hangzhou', $2, 'used', 200000, 1, now() - interval '2 days', now() + interval '28 days', now()
         FROM generate_series(1, $3::int) g`,
      [program.id, h.id, N]);
    await t.db.query(
      `INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number, invoice_number,
                           sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version, rate_bp,
                           cap_fen, base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, decision_reason,
                           created_at, updated_at, program_code, store_code, voucher_code)
       SELECT gen_random_uuid(), v.program_id, 'hangzhou', $1, $2, v.household_id, v.id, $3, 'SN-' || v.code, 'INV-' || v.code,
              599900, now() - interval '1 day', $4, 'R-' || v.code, 'k1', now() - interval '2 days', 1, 2000,
              200000, 599900, 119980, false, 200000, 'approved', '{}', '{}', '[]'::jsonb, 'bulk, "seeded"',
              now() - interval '30 days' + (substr(v.code, 6)::int * interval '10 seconds'), now(), $6, $7, v.code
         FROM vouchers v WHERE v.program_id = $5`,
      [s.retailer.id, store.id, modelCode, s.recycler.id, program.id, s.programCode, store.code]);
    // what autovacuum does within a minute of a bulk load: without statistics the planner takes 100,000 rows for 30
    await t.db.query(`ANALYZE claims, vouchers`);
    const seedMs = Date.now() - seedStarted;

    // The client runs in a child process, so the RSS measured here is the server's alone.
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/auditor/exports/claims.csv?programCode=${s.programCode}`;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    const started = Date.now();
    let out: { status: number; lines: number; bytes: number; head: string };
    try {
      out = await download(url, auditor.auth.Authorization);
    } finally {
      clearInterval(sampler);
      await new Promise((resolve) => server.close(resolve));
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const exportMs = Date.now() - started;
    const growthMb = (peak - baseline) / 2 ** 20;
    process.stdout.write(`export of ${N} claims: seeded in ${seedMs} ms, exported ${(out.bytes / 2 ** 20).toFixed(1)} MiB in ${exportMs} ms, `
      + `RSS ${(baseline / 2 ** 20).toFixed(0)} MiB → peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${growthMb.toFixed(1)} MiB)\n`);
    expect(out.status).toBe(200);
    expect(out.lines).toBe(N + 1);
    const [, first] = out.head.slice(1).split('\r\n');
    expect(first).toContain(mask(h.phone));
    expect(first).toContain('"bulk, ""seeded"""');
    expect(out.head).not.toContain(h.phone);
    // the file is ~34 MiB, its rows several times that as objects: holding the export, or much of it, would show
    expect(growthMb).toBeLessThan(50);
  }, 120_000);
});
