import type { DataSource } from 'typeorm';
import { ClaimFilter, claimFilterSql, ClaimKey, CREATED_KEY_SQL, createdKeySql } from '@huanxin/claims';

/**
 * The claims export as it was before issue 11 (commit 28a522c: libs/reporting's csv.ts, claims-csv.columns.ts,
 * ReportsRepository.lastKey/exportBatch and ClaimsExportService.chunks), kept verbatim as the oracle the COPY
 * export is compared with byte for byte (test/claims-export.e2e-spec.ts). Not used by the application.
 */
function csvFieldSql(expr: string, text = false): string {
  const v = text ? `(CASE WHEN ${expr} ~ '^[=+\\-@\\t\\r]' THEN '''' || ${expr} ELSE ${expr} END)` : `(${expr})`;
  return `coalesce(CASE WHEN ${v} ~ '[",\\r\\n]' THEN '"' || replace(${v}, '"', '""') || '"' ELSE ${v} END, '')`;
}

const shanghai = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')`;

const COLUMNS: [string, string][] = [
  ['claim_id', csvFieldSql('x.id::text')],
  ['created_at', csvFieldSql(shanghai('x.created_at'))],
  ['status', csvFieldSql('x.status')],
  ['program_code', csvFieldSql('x.program_code', true)],
  ['city', csvFieldSql('x.city')],
  ['retailer_id', csvFieldSql('x.retailer_id::text')],
  ['retailer_name', csvFieldSql('x.retailer_name', true)],
  ['store_code', csvFieldSql('x.store_code', true)],
  ['household_id', csvFieldSql('x.household_id::text')],
  ['household_phone', csvFieldSql('x.phone')],
  ['voucher_code', csvFieldSql('x.voucher_code', true)],
  ['model_code', csvFieldSql('x.model_code', true)],
  ['resolution', csvFieldSql('x.resolution')],
  ['energy_grade', csvFieldSql('x.energy_grade::text')],
  ['serial_number', csvFieldSql('x.serial_number', true)],
  ['invoice_number', csvFieldSql('x.invoice_number', true)],
  ['sale_price_fen', csvFieldSql('x.sale_price_fen::text')],
  ['sold_at', csvFieldSql(shanghai('x.sold_at'))],
  ['subsidy_fen', csvFieldSql('x.amount_fen::text')],
  ['rate_bp', csvFieldSql('x.rate_bp::text')],
  ['capped', csvFieldSql('x.capped::text')],
  ['policy_version', csvFieldSql('x.policy_version::text')],
  ['flags', csvFieldSql(`array_to_string(x.flags, ';')`)],
  ['review_reasons', csvFieldSql(`array_to_string(x.review_reasons, ';')`)],
  ['decided_at', csvFieldSql(shanghai('x.decided_at'))],
  ['decision_reason', csvFieldSql('x.decision_reason', true)],
  ['cancel_reason', csvFieldSql('x.cancel_reason', true)],
];

const LINE_SQL = `concat_ws(',', ${COLUMNS.map(([, sql]) => sql).join(', ')}) || E'\\r\\n'`;
const HEADER = `\uFEFF${COLUMNS.map(([h]) => h).join(',')}\r\n`;

async function lastKey(db: DataSource, filter: ClaimFilter): Promise<ClaimKey | undefined> {
  const params: unknown[] = [];
  const conds = claimFilterSql(filter, params);
  const rows = await db.query(
    `SELECT ${CREATED_KEY_SQL} AS created_key, c.id FROM claims c ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
      ORDER BY c.created_at DESC, c.id DESC LIMIT 1`,
    params,
  );
  return rows[0] ? { createdKey: rows[0].created_key, id: rows[0].id } : undefined;
}

async function exportBatch(db: DataSource, filter: ClaimFilter, end: ClaimKey, limit: number, after?: ClaimKey): Promise<{ id: string; created_key: string; line: string }[]> {
  const params: unknown[] = [];
  const conds = claimFilterSql(filter, params);
  conds.push(`(c.created_at, c.id) <= ($${params.push(end.createdKey)}::timestamptz, $${params.push(end.id)}::uuid)`);
  if (after) conds.push(`(c.created_at, c.id) > ($${params.push(after.createdKey)}::timestamptz, $${params.push(after.id)}::uuid)`);
  return db.query(
    `WITH page AS MATERIALIZED (
       SELECT c.* FROM claims c
        WHERE ${conds.join(' AND ')}
        ORDER BY c.created_at, c.id
        LIMIT $${params.push(limit)}
     ), x AS MATERIALIZED (
       SELECT c.*, r.name AS retailer_name, m.resolution, m.energy_grade,
              (SELECT u.phone_masked FROM users u WHERE u.id = c.household_id) AS phone
         FROM page c
         JOIN retailers r ON r.id = c.retailer_id
         JOIN catalog_models m ON m.model_code = c.model_code
     )
     SELECT x.id, ${createdKeySql('x')} AS created_key, ${LINE_SQL} AS line
       FROM x
      ORDER BY x.created_at, x.id`,
    params,
  );
}

/** The whole file the old export sent for `filter` (programCode already resolved to programId). */
export async function legacyClaimsCsv(db: DataSource, filter: ClaimFilter, batch = 1000): Promise<Buffer> {
  const parts: Buffer[] = [Buffer.from(HEADER, 'utf8')];
  const end = await lastKey(db, filter);
  let after: ClaimKey | undefined;
  while (end) {
    const rows = await exportBatch(db, filter, end, batch, after);
    if (rows.length === 0) break;
    for (const r of rows) parts.push(Buffer.from(r.line, 'utf8'));
    const last = rows[rows.length - 1];
    after = { createdKey: last.created_key, id: last.id };
    if (rows.length < batch) break;
  }
  return Buffer.concat(parts);
}
