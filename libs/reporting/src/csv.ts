/**
 * CSV as RFC 4180 says (comma, CRLF, fields with a comma, quote or line break in double quotes, quotes
 * doubled), for auditors who open exports in Excel:
 * - the file starts with a UTF-8 byte order mark, without which Excel on a Chinese Windows reads UTF-8 as
 *   GBK and garbles retailer names and reasons;
 * - free text that Excel would take for a formula (=, +, -, @, tab, CR first) is prefixed with an
 *   apostrophe (OWASP "CSV injection"): a serial number or a reason typed by someone else must never run
 *   as a formula on an auditor's machine.
 *
 * Lines are built by PostgreSQL (the expressions below), so an export moves one string a claim through
 * Node instead of a row object of thirty fields: less garbage, flat memory, and faster.
 */
export const CSV_BOM = '\uFEFF';
export const CSV_EOL = '\r\n';

/** A line of plain fields (the header): nothing in it needs quoting. */
export function csvLine(fields: string[]): string {
  if (fields.some((f) => /[",\r\n]/.test(f))) throw new RangeError('csvLine is for plain fields only');
  return fields.join(',') + CSV_EOL;
}

/** SQL: a text expression as one CSV field; NULL is empty. `text` marks free text from outside (formula guard). */
export function csvFieldSql(expr: string, text = false): string {
  const v = text ? `(CASE WHEN ${expr} ~ '^[=+\\-@\\t\\r]' THEN '''' || ${expr} ELSE ${expr} END)` : `(${expr})`;
  return `coalesce(CASE WHEN ${v} ~ '[",\\r\\n]' THEN '"' || replace(${v}, '"', '""') || '"' ELSE ${v} END, '')`;
}

/** SQL: one CSV line (with its CRLF) from field expressions built by csvFieldSql. */
export function csvLineSql(fields: string[]): string {
  return `concat_ws(',', ${fields.join(', ')}) || E'\\r\\n'`;
}
