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

describe('auditor reports, exports and ledger (e2e)', () => {
  let t: TestApp;
  let auditor: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    auditor = await t.make.auditor();
  });
  afterAll(() => t.close());

  const get = (path: string, query: Record<string, string> = {}) => t.http().get(path).query(query).set(auditor.auth);


  it('debug explain', async () => {
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
                           created_at, updated_at)
       SELECT gen_random_uuid(), v.program_id, 'hangzhou', $1, $2, v.household_id, v.id, $3, 'SN-' || v.code, 'INV-' || v.code,
              599900, now() - interval '1 day', $4, 'R-' || v.code, 'k1', now() - interval '2 days', 1, 2000,
              200000, 599900, 119980, false, 200000, 'approved', '{}', '{}', '[]'::jsonb, 'bulk, "seeded"',
              now() - interval '30 days' + (substr(v.code, 6)::int * interval '10 seconds'), now()
         FROM vouchers v WHERE v.program_id = $5`,
      [s.retailer.id, store.id, modelCode, s.recycler.id, program.id]);

    const { ReportsRepository } = await import('@huanxin/reporting');
    const repo = t.app.get(ReportsRepository);
    const orig = t.db.query.bind(t.db);
    for (const analyze of [false, true]) {
      if (analyze) await t.db.query('ANALYZE');
      const filter = { programCode: s.programCode };
      const end = await repo.lastKey(filter);
      const mgr: any = (repo as any).db.manager;
      const q0 = mgr.query.bind(mgr);
      let captured: any[] = [];
      mgr.query = async (sql: string, params: unknown[]) => { captured = [sql, params]; return q0(sql, params); };
      const t0 = Date.now();
      const rows = await repo.exportBatch(filter, end!, 1000, undefined);
      const t1 = Date.now();
      const rows2 = await repo.exportBatch(filter, end!, 1000, { createdKey: rows[999].created_key, id: rows[999].id });
      const t2 = Date.now();
      mgr.query = q0;
      const plan = await q0('EXPLAIN ANALYZE ' + captured[0], captured[1]);
      console.log('analyze', analyze, t1 - t0, t2 - t1, rows2.length, plan.map((r: any) => r['QUERY PLAN']).join('\n'));
    }
  }, 300000);
});
