import { csvFieldSql } from './csv';

const shanghai = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')`;

/**
 * The columns of claims.csv as SQL over one export row `x` (see ReportsRepository.exportBatch), header first.
 * No ID number ever: the database holds only a keyed hash and the last four digits, and the export leaves even
 * those out (the household id links a household's claims). The phone number is masked (138****0001): the table keeps no other form of it. Amounts
 * are integer fen, times Asia/Shanghai RFC 3339, lists joined with ';'.
 */
export const CLAIMS_CSV_COLUMNS: readonly [header: string, sql: string][] = [
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

export const CLAIMS_CSV_HEADER = CLAIMS_CSV_COLUMNS.map(([h]) => h);
