/**
 * CSV as RFC 4180 says (comma, CRLF, fields with a comma, quote or line break in double quotes, quotes
 * doubled), for auditors who open exports in Excel:
 * - the file starts with a UTF-8 byte order mark, without which Excel on a Chinese Windows reads UTF-8 as
 *   GBK and garbles retailer names and reasons;
 * - free text that Excel would take for a formula (=, +, -, @, tab, CR first) is prefixed with an
 *   apostrophe (OWASP "CSV injection"): a serial number or a reason typed by someone else must never run
 *   as a formula on an auditor's machine.
 */
export const CSV_BOM = '\uFEFF';
export const CSV_EOL = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | null | undefined;

/** One field; `text` marks free text from outside (names, numbers typed at a till, reasons). */
export function csvField(value: CsvValue, text = false): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (text && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: string[]): string {
  return fields.join(',') + CSV_EOL;
}
