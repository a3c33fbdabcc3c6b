import { csvTextSql } from './csv';

const shanghai = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')`;
const text = (expr: string) => csvTextSql(expr);
const freeText = (expr: string) => csvTextSql(expr, true);

/**
 * The columns of claims.csv, header first, as SQL over `claims c`, `retailers r`, `catalog_models m` and
 * `users u` (the household; see ReportsRepository.claimsCsv), each a value COPY writes as the file wants it
 * (csv.ts): uuids, numbers and times never need quoting; text is '' → NULL and free text formula-guarded;
 * booleans as `true`/`false` (COPY alone would write t/f).
 * No ID number ever: the database holds only a keyed hash and the last four digits, and the export leaves even
 * those out (the household id links a household's claims). The phone number is masked (138****0001): the table
 * keeps no other form of it. Amounts are integer fen, times Asia/Shanghai RFC 3339, lists joined with ';'.
 */
export const CLAIMS_CSV_COLUMNS: readonly [header: string, sql: string][] = [
  ['claim_id', 'c.id'],
  ['created_at', shanghai('c.created_at')],
  ['status', text('c.status')],
  ['program_code', freeText('c.program_code')],
  ['city', text('c.city')],
  ['retailer_id', 'c.retailer_id'],
  ['retailer_name', freeText('r.name')],
  ['store_code', freeText('c.store_code')],
  ['household_id', 'c.household_id'],
  ['household_phone', text('u.phone_masked')],
  ['voucher_code', freeText('c.voucher_code')],
  ['model_code', freeText('c.model_code')],
  ['resolution', text('m.resolution')],
  ['energy_grade', 'm.energy_grade'],
  ['serial_number', freeText('c.serial_number')],
  ['invoice_number', freeText('c.invoice_number')],
  ['sale_price_fen', 'c.sale_price_fen'],
  ['sold_at', shanghai('c.sold_at')],
  ['subsidy_fen', 'c.amount_fen'],
  ['rate_bp', 'c.rate_bp'],
  ['capped', 'c.capped::text'],
  ['policy_version', 'c.policy_version'],
  ['flags', text(`array_to_string(c.flags, ';')`)],
  ['review_reasons', text(`array_to_string(c.review_reasons, ';')`)],
  ['decided_at', shanghai('c.decided_at')],
  ['decision_reason', freeText('c.decision_reason')],
  ['cancel_reason', freeText('c.cancel_reason')],
];

export const CLAIMS_CSV_HEADER = CLAIMS_CSV_COLUMNS.map(([h]) => h);
