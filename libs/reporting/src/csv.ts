import { Transform, type TransformCallback } from 'node:stream';

/**
 * CSV as RFC 4180 says (comma, CRLF, fields with a comma, quote or line break in double quotes, quotes
 * doubled), for auditors who open exports in Excel:
 * - the file starts with a UTF-8 byte order mark, without which Excel on a Chinese Windows reads UTF-8 as
 *   GBK and garbles retailer names and reasons;
 * - free text that Excel would take for a formula (=, +, -, @, tab, CR first) is prefixed with an
 *   apostrophe (OWASP "CSV injection"): a serial number or a reason typed by someone else must never run
 *   as a formula on an auditor's machine;
 * - an empty value, NULL or '', is an empty field, never `""`.
 *
 * PostgreSQL writes the file (`COPY … TO STDOUT WITH (FORMAT csv, HEADER)`): it quotes exactly the fields
 * RFC 4180 needs quoted (those with a comma, a quote, CR or LF) and doubles their quotes. Two things it cannot
 * do are done here: it writes '' as `""` (so every text column is `nullif(…, '')`: NULL is written empty,
 * unquoted), and it ends records with LF alone (CsvCrlf below adds the CR, and the BOM).
 */
export const CSV_BOM = '\uFEFF';
export const CSV_EOL = '\r\n';

/** SQL: a text expression as COPY should see it, '' as NULL; `freeText` marks text from outside (formula guard). */
export function csvTextSql(expr: string, freeText = false): string {
  // ascii(): the first character's code point (0 for '', NULL for NULL) — = + - @ TAB CR
  const v = freeText ? `CASE WHEN ascii(${expr}) IN (61, 43, 45, 64, 9, 13) THEN '''' || ${expr} ELSE ${expr} END` : expr;
  return `nullif(${v}, '')`;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * PostgreSQL's CSV (LF record ends) to Excel's (CRLF record ends, a byte order mark first), byte for byte
 * otherwise. An LF inside a quoted field is data and stays as it is: a record ends at an LF outside quotes, and
 * since PostgreSQL writes a quote only inside a quoted field (opening, closing, or doubled), whether a byte is
 * inside quotes is the parity of the quotes before it — carried from chunk to chunk. Works on the bytes (never
 * decodes them), with the native Buffer.indexOf to jump from quote to line end: one new buffer a chunk.
 */
export class CsvCrlf extends Transform {
  private quoted = false;
  private bom: Buffer | undefined = Buffer.from(CSV_BOM, 'utf8');
  private readonly ends: number[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const ends = this.ends;
    ends.length = 0;
    const n = chunk.length;
    let i = 0;
    let quote = -2; // the next quote at or after i; -1: none in the rest of the chunk; -2: not looked for yet
    while (i < n) {
      if (this.quoted) {
        const close = chunk.indexOf(QUOTE, i);
        if (close === -1) break;
        this.quoted = false;
        i = close + 1;
        continue;
      }
      if (quote !== -1 && quote < i) quote = chunk.indexOf(QUOTE, i);
      const lf = chunk.indexOf(LF, i);
      if (quote !== -1 && (lf === -1 || quote < lf)) {
        this.quoted = true;
        i = quote + 1;
        continue;
      }
      if (lf === -1) break;
      ends.push(lf);
      i = lf + 1;
    }
    const head = this.bom?.length ?? 0;
    const out = Buffer.allocUnsafe(head + n + ends.length);
    let at = 0;
    if (this.bom) {
      at += this.bom.copy(out, 0);
      this.bom = undefined;
    }
    let from = 0;
    for (const lf of ends) {
      at += chunk.copy(out, at, from, lf);
      out[at++] = CR;
      from = lf; // the LF itself starts the next piece
    }
    chunk.copy(out, at, from);
    done(null, out);
  }

  override _flush(done: TransformCallback): void {
    // an empty COPY still has its header, but a stream that never saw a byte gets its BOM all the same
    done(null, this.bom);
  }
}
