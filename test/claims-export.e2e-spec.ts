import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { resolveClaimFilter, type ClaimFilterInput } from '@huanxin/claims';
import { copyOut } from '@huanxin/database';
import { startTestApp, TestApp } from './support/app';
import type { SignedIn } from './support/factories';
import { uniq } from './support/ids';
import { legacyClaimsCsv } from './support/legacy-claims-csv';
import { Scenario } from './support/scenario';

const STATUSES = ['pending_review', 'approved', 'rejected', 'cancelled', 'in_payout', 'paid', 'payout_failed', 'clawed_back'];

/** Text that tests every rule of the file: quoting, formula guard, empty vs NULL, line breaks, CJK. */
const NASTY = [
  null, '', ' ', 'plain', 'comma, inside', 'quote " inside', '"', '""', '"quoted"', 'line\nbreak', 'cr\ronly', 'crlf\r\nboth', '\n',
  '=SUM(A1:A2)', '+86 138', '-1', '@cmd', '\tTAB first', '\rCR first', ' =space first', "'already", '发票不符, 需"复核"', '退货\n第二行',
  '回收单据伪造', '\\.', '\\', 'back\\slash', 'semi;colon', 'emoji 📺', '=', '-', 'a'.repeat(300),
];

interface Live {
  req: ClientRequest;
  res: IncomingMessage;
  bytes: () => number;
  /** resolves when the response ends or fails: how it ended and what had come */
  done: Promise<{ complete: boolean; aborted: boolean; body: Buffer }>;
}

/** Starts a download and pauses after the first chunk, so the export is certainly mid-stream. */
function startDownload(url: string, authorization: string): Promise<Live> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { Authorization: authorization } }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      let aborted = false;
      const done = new Promise<{ complete: boolean; aborted: boolean; body: Buffer }>((end) => {
        const finish = () => end({ complete: res.complete, aborted, body: Buffer.concat(parts) });
        res.on('aborted', () => { aborted = true; });
        res.on('error', () => { aborted = true; });
        res.on('close', finish);
      });
      res.once('data', () => {
        res.pause();
        resolve({ req, res, bytes: () => size, done });
      });
      res.on('data', (c: Buffer) => { parts.push(c); size += c.length; });
    });
    req.on('error', () => undefined); // a destroyed request reports here; the test looks at `done`
    req.once('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('claims CSV export over COPY (e2e)', () => {
  let t: TestApp;
  let auditor: SignedIn;
  let s: Scenario;
  let programId: string;
  let base: string;

  const exportText = async (query: Record<string, string>): Promise<Buffer> => {
    const res = await t.http().get('/v1/auditor/exports/claims.csv').query(query).set(auditor.auth).buffer(true)
      .parse((r, cb) => { const parts: Buffer[] = []; r.on('data', (d: Buffer) => parts.push(d)); r.on('end', () => cb(null, Buffer.concat(parts))); })
      .expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    return res.body as Buffer;
  };

  const legacy = async (input: ClaimFilterInput): Promise<Buffer> => {
    const f = resolveClaimFilter(input);
    return legacyClaimsCsv(t.db, f.programCode ? { ...f, programId: f.programCode === s.programCode ? programId : null } : f, 7);
  };

  /** COPYs of this database's exports still running, as PostgreSQL sees them. */
  const copies = async (): Promise<{ pid: number; state: string; wait: string | null }[]> => t.db.query(
    `SELECT pid, state, wait_event AS wait FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'COPY (%'`);

  const pool = () => (t.db.driver as unknown as { master: Pool }).master;
  /** connections taken from the pool and not given back */
  const checkedOut = () => pool().totalCount - pool().idleCount;

  beforeAll(async () => {
    t = await startTestApp();
    auditor = await t.make.auditor();
    s = await Scenario.create(t, { cities: ['hangzhou', 'ningbo'] });
    [{ id: programId }] = await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => t.app.getHttpServer().close(resolve));
    await t.close();
  });

  describe('on a varied data set', () => {
    beforeAll(async () => {
      const hz = await s.household('hangzhou');
      const nb = await s.household('ningbo');
      const models = [await s.model({ resolution: '4K', energyGrade: 1 }), await s.model({ resolution: '8K', energyGrade: 3 })];
      // a model whose code Excel would run, and a retailer whose name needs quoting and guarding
      const formulaModel = `=M${uniq()}`;
      await t.db.query(
        `INSERT INTO catalog_models (model_code, gtin, brand, name, category, resolution, energy_grade, screen_inches, reference_price_fen, status, approved_at, created_at)
         SELECT $2, '9' || substr(gtin, 2), brand, name, category, resolution, energy_grade, screen_inches, reference_price_fen, status, approved_at, created_at
           FROM catalog_models WHERE model_code = $1`, [models[0], formulaModel]);
      models.push(formulaModel);
      await t.db.query(`UPDATE retailers SET name = $2 WHERE id = $1`, [s.retailer.id, '=家电, "城" 卖场\n二店']);
      const stores: { id: string; code: string; city: string }[] = await t.db.query(`SELECT id, code, city FROM stores WHERE retailer_id = $1 ORDER BY code`, [s.retailer.id]);
      // a claim whose household is not a household (an auditor: no masked phone), to cover a NULL phone
      const households = [hz.id, nb.id, auditor.id];

      const n = NASTY.length * 3;
      const at = Date.parse('2026-03-01T15:59:59.999Z');
      const rows = Array.from({ length: n }, (_, i) => {
        const text = (k: number) => NASTY[(i * 7 + k * 3) % NASTY.length];
        const status = STATUSES[i % STATUSES.length];
        const store = stores[i % stores.length];
        const decided = i % 3 !== 0;
        return {
          household: households[i % households.length], store: store.id, city: store.city, storeCode: text(1) ?? `S${i}`,
          model: models[i % models.length], serial: `${text(2) ?? ''}#${i}`, invoice: `${text(3) ?? ''}#${i}`,
          price: 100 + i * 997, sold: new Date(at - i * 3_600_000 * 7).toISOString(), amount: i * 13, rate: 1500 + i, capped: i % 2 === 0,
          status, flags: i % 4 === 0 ? [] : ['price_above_reference', `f;${i % 3}`].slice(0, 1 + (i % 2)),
          reasons: i % 5 === 0 ? [] : ['sample', 'first_claims'].slice(0, 1 + (i % 2)),
          decidedAt: decided ? new Date(at + i * 61_000).toISOString() : null, decision: decided ? text(4) : null,
          cancel: status === 'cancelled' || status === 'clawed_back' ? text(5) : null,
          // three claims share each creation time (the id orders them), one on either side of Shanghai midnight
          created: new Date(at + Math.floor(i / 3) * 1000 * (i % 2 ? 1 : -1) + 1).toISOString(),
          programCode: i === 1 ? '' : i === 2 ? '@prog' : s.programCode, voucherCode: `${text(6) ?? 'V'}-${i}`,
        };
      });
      const cols = (k: keyof (typeof rows)[number]) => rows.map((r) => r[k]);
      await t.db.query(
        `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, used_at)
         SELECT gen_random_uuid(), 'VX-' || g, $1, 'hangzhou', $2, 'used', 200000, 1, now() - interval '2 days', now() + interval '28 days', now()
           FROM generate_series(1, $3::int) g`, [programId, hz.id, n]);
      await t.db.query(
        `INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number, invoice_number,
                             sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version, rate_bp,
                             cap_fen, base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, decided_at, decision_reason,
                             cancel_reason, created_at, updated_at, program_code, store_code, voucher_code)
         SELECT gen_random_uuid(), $1, r.city, $2, r.store, r.household, v.id, r.model, r.serial, r.invoice,
                r.price, r.sold, $3, 'R-' || v.code, 'k1', now() - interval '2 days', 1, r.rate,
                200000, r.price, r.amount, r.capped, 200000, r.status,
                ARRAY(SELECT jsonb_array_elements_text(r.flags)), ARRAY(SELECT jsonb_array_elements_text(r.reasons)), '[]'::jsonb,
                r.decided_at, r.decision, r.cancel, r.created, now(), r.program_code, r.store_code, r.voucher_code
           FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::timestamptz[], $12::bigint[],
                       $13::int[], $14::bool[], $15::text[], $16::jsonb[], $17::jsonb[], $18::timestamptz[], $19::text[], $20::text[],
                       $21::timestamptz[], $22::text[], $23::text[], $24::text[])
                WITH ORDINALITY AS r(household, store, city, model, serial, invoice, price, sold, amount, rate, capped, status, flags, reasons,
                                     decided_at, decision, cancel, created, program_code, store_code, voucher_code, g)
           JOIN vouchers v ON v.code = 'VX-' || r.g`,
        [programId, s.retailer.id, s.recycler.id, cols('household'), cols('store'), cols('city'), cols('model'), cols('serial'), cols('invoice'),
          cols('price'), cols('sold'), cols('amount'), cols('rate'), cols('capped'), cols('status'), rows.map((r) => JSON.stringify(r.flags)),
          rows.map((r) => JSON.stringify(r.reasons)), cols('decidedAt'), cols('decision'), cols('cancel'), cols('created'), cols('programCode'),
          cols('storeCode'), cols('voucherCode')]);
    });

    it('is byte for byte what the export sent before COPY, whatever the filter', async () => {
      const filters: Record<string, string>[] = [
        { programCode: s.programCode }, {}, { programCode: 'p-none' }, { programCode: s.programCode, city: 'ningbo' },
        { retailerId: s.retailer.id }, { flag: 'price_above_reference' }, { flag: 'nothing_has_this' },
        { from: '2026-03-01', to: '2026-03-01' }, { from: '2026-03-01T16:00:00Z' }, { to: '2026-03-02' },
        ...STATUSES.map((status) => ({ status })),
      ];
      let rows = 0;
      for (const q of filters) {
        const [now, before] = [await exportText(q), await legacy(q)];
        if (!now.equals(before)) {
          // the first differing line, for whoever breaks it
          const a = now.toString('utf8').split('\r\n');
          const b = before.toString('utf8').split('\r\n');
          const i = a.findIndex((l, k) => l !== b[k]);
          throw new Error(`${JSON.stringify(q)}: line ${i} differs:\n  COPY:   ${JSON.stringify(a[i])}\n  before: ${JSON.stringify(b[i])}`);
        }
        rows += now.toString('utf8').split('\r\n').length - 2;
      }
      // the comparison saw the data: every nasty value, every status
      const all = (await exportText({})).toString('utf8');
      expect(rows).toBeGreaterThan(NASTY.length * 3);
      for (const status of STATUSES) expect(all).toContain(`,${status},`);
      expect(all).toContain(`"'=家电, ""城"" 卖场\n二店"`);
      expect(all).toContain(`,'@prog,`);
      expect(all.startsWith('\uFEFFclaim_id,created_at,')).toBe(true);
    });
  });

  describe('streaming, disconnects and failures', () => {
    const N = 40_000; // about 14 MB of CSV: far more than the sockets' buffers hold
    let url: string;
    let expectedRows: number;

    beforeAll(async () => {
      const program = `${s.programCode}`;
      const h = await s.household('hangzhou');
      const modelCode = await s.model();
      const store = s.retailer.stores.find((x) => x.city === 'hangzhou')!;
      await t.db.query(
        `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, used_at)
         SELECT gen_random_uuid(), 'BULK-' || g, $1, 'hangzhou', $2, 'used', 200000, 1, now() - interval '2 days', now() + interval '28 days', now()
           FROM generate_series(1, $3::int) g`, [programId, h.id, N]);
      await t.db.query(
        `INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number, invoice_number,
                             sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version, rate_bp,
                             cap_fen, base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, decision_reason,
                             created_at, updated_at, program_code, store_code, voucher_code)
         SELECT gen_random_uuid(), v.program_id, 'hangzhou', $1, $2, v.household_id, v.id, $3, 'SN-' || v.code, 'INV-' || v.code,
                599900, now() - interval '1 day', $4, 'R-' || v.code, 'k1', now() - interval '2 days', 1, 2000,
                200000, 599900, 119980, false, 200000, 'approved', '{}', '{}', '[]'::jsonb, 'bulk, "seeded"',
                now() - interval '30 days' + (substr(v.code, 6)::int * interval '10 seconds'), now(), $5, $6, v.code
           FROM vouchers v WHERE v.program_id = $7 AND v.code LIKE 'BULK-%'`,
        [s.retailer.id, store.id, modelCode, s.recycler.id, program, store.code, programId]);
      await t.db.query(`ANALYZE claims, vouchers, users`);
      url = `${base}/v1/auditor/exports/claims.csv?programCode=${s.programCode}&city=hangzhou&status=approved`;
      [{ n: expectedRows }] = await t.db.query(`SELECT count(*)::int AS n FROM claims WHERE program_id = $1 AND city = 'hangzhou' AND status = 'approved'`, [programId]);
    });

    const fullDownloadWorks = async () => {
      const live = await startDownload(url, auditor.auth.Authorization);
      live.res.resume();
      const end = await live.done;
      expect(end).toMatchObject({ complete: true, aborted: false });
      expect(end.body.toString('utf8').split('\r\n').length - 2).toBe(expectedRows);
    };

    it('streams with backpressure: a paused client holds the COPY, not the memory', async () => {
      const live = await startDownload(url, auditor.auth.Authorization);
      // PostgreSQL waits on the paused client (ClientWrite) with most of the file still to come
      await until('the COPY to wait for its client', async () => (await copies()).find((c) => c.wait === 'ClientWrite'));
      expect(live.bytes()).toBeLessThan(8 * 2 ** 20);
      live.res.resume();
      const end = await live.done;
      expect(end.complete).toBe(true);
      expect(end.body.length).toBeGreaterThan(12 * 2 ** 20);
      await until('the connection back in the pool', async () => checkedOut() === 0);
    });

    it('gives the connection back when the client disconnects mid-export', async () => {
      const before = pool().totalCount;
      const live = await startDownload(url, auditor.auth.Authorization);
      const [copy] = await until('the COPY to start', async () => { const c = await copies(); return c.length ? c : undefined; });
      // the COPY's own connection (another may be out for a moment: the app's revocation poll shares the pool)
      expect(checkedOut()).toBeGreaterThanOrEqual(1);
      live.req.destroy();
      const end = await live.done;
      expect(end.complete).toBe(false);
      // the connection under the COPY is closed: its backend ends, and the pool holds nothing for the export
      await until('the COPY backend to end', async () => (await t.db.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [copy.pid])).length === 0);
      await until('nothing checked out of the pool', async () => checkedOut() === 0);
      expect(pool().totalCount).toBeLessThanOrEqual(before + 1);
      await fullDownloadWorks();
    });

    it('a failure mid-stream cuts the response off: it never looks like a whole file', async () => {
      const live = await startDownload(url, auditor.auth.Authorization);
      const [copy] = await until('the COPY to wait for its client', async () => {
        const c = (await copies()).filter((x) => x.wait === 'ClientWrite');
        return c.length ? c : undefined;
      });
      // what statement_timeout does: the statement is cancelled, PostgreSQL says so after the rows it had sent
      await t.db.query(`SELECT pg_cancel_backend($1)`, [copy.pid]);
      live.res.resume();
      const end = await live.done;
      expect(end).toMatchObject({ complete: false, aborted: true });
      const text = end.body.toString('utf8');
      expect(text.startsWith('\uFEFFclaim_id,')).toBe(true);
      expect(text.split('\r\n').length - 2).toBeLessThan(expectedRows);
      await until('nothing checked out of the pool', async () => checkedOut() === 0);
      await fullDownloadWorks();
    });

    it('a reader that stops reading is cut off at the deadline, and its connection closed', async () => {
      // PostgreSQL's statement_timeout cannot fire while the backend is blocked writing to the stalled reader: the
      // deadline copyOut keeps (the statement timeout plus a second, here 1.5 s) ends it
      const copy = await copyOut(pool(), `COPY (SELECT repeat('x', 1000) FROM generate_series(1, 100000)) TO STDOUT`, 1500);
      const failed = new Promise<Error>((resolve) => copy.once('error', resolve));
      copy.once('data', () => copy.pause());
      const started = Date.now();
      const err = await failed;
      expect((err as Error & { code?: string }).code).toBe('57014');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      await until('nothing checked out of the pool', async () => checkedOut() === 0);
      // the backend notices its closed socket on its next write: gone shortly after, not necessarily at once
      await until('the COPY backend to end', async () => (await copies()).length === 0);
    });

    it("an export's own statement timeout (EXPORT_TIMEOUT_MS) holds for its statement only, and the connection goes back as it came", async () => {
      const { Pool: PgPool } = await import('pg');
      const one = new PgPool({ connectionString: t.database.url, max: 1, options: '-c statement_timeout=7000' });
      try {
        const read = async (stream: NodeJS.ReadableStream) => { let n = 0; for await (const chunk of stream) n += (chunk as Buffer).length; return n; };
        // a bound shorter than the statement cancels it, from the server (the Node deadline is later)
        const slow = await copyOut(one, `COPY (SELECT pg_sleep(3)) TO STDOUT`, 5000, 500)
          .then((copy) => read(copy).then(() => 'finished', (err: Error & { code?: string }) => err.code), (err: Error & { code?: string }) => err.code);
        expect(slow).toBe('57014');
        expect((await one.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('7s');
        const ok = await copyOut(one, `COPY (SELECT g FROM generate_series(1, 1000) g) TO STDOUT`, 600_000, 600_000);
        expect(await read(ok)).toBeGreaterThan(3000);
        expect((await one.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('7s');
      } finally {
        await one.end();
      }
    });

    it('the connection lost mid-stream (the backend terminated) cuts the response off too', async () => {
      const live = await startDownload(url, auditor.auth.Authorization);
      const [copy] = await until('the COPY to start', async () => { const c = await copies(); return c.length ? c : undefined; });
      await t.db.query(`SELECT pg_terminate_backend($1)`, [copy.pid]);
      live.res.resume();
      const end = await live.done;
      expect(end).toMatchObject({ complete: false, aborted: true });
      await until('nothing checked out of the pool', async () => checkedOut() === 0);
      await fullDownloadWorks();
    });
  });
});
