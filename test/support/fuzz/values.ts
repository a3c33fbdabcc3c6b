/**
 * Catalogues of hostile values, and a JSON writer that can splice raw JSON text (`1e400`, a 5,000-digit
 * number, 50,000 nested arrays) into an otherwise ordinary body, since JSON.stringify cannot produce them.
 */

/** JSON text written verbatim where it sits in a value. */
export class Raw {
  constructor(readonly text: string, readonly label: string) {}
}

export type Json = null | boolean | number | string | Raw | Json[] | { [k: string]: Json };

/** JSON text of a value, Raw pieces verbatim; keys and strings as JSON.stringify writes them (lone surrogates escaped). */
export function toJsonText(v: Json): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
  return JSON.stringify(v);
}

export const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
export const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const digits = (n: number) => '9'.repeat(n);

/** Raw numbers JSON.parse accepts but no field should: non-finite after parsing, or absurd precision. */
export const RAW_NUMBERS: Raw[] = [
  new Raw('1e400', '1e400'),
  new Raw('-1e400', '-1e400'),
  new Raw(digits(5000), '5000-digit number'),
  new Raw(`-${digits(5000)}`, 'negative 5000-digit number'),
  new Raw(`0.${'0'.repeat(5000)}1`, '5000-digit fraction'),
  new Raw('1e-400', '1e-400'),
  new Raw('-0', '-0'),
  new Raw('1E+308', '1E+308'),
  new Raw('123456789012345678901234567890', '30-digit integer'),
];

/** Raw numbers that parse to a non-finite value: the contract refuses them in any field. */
export const NON_FINITE_NUMBERS = RAW_NUMBERS.filter((r) => !Number.isFinite(Number(r.text)));

export const DEEP_VALUES: Raw[] = [
  new Raw(nested(5000), '5,000 nested arrays'),
  new Raw(nestedObjects(3000), '3,000 nested objects'),
  new Raw(nested(40000), '40,000 nested arrays'),
];

export const HOSTILE_NUMBERS: number[] = [
  -1, 0, 0.5, -0.0001, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
];

/** Text that must never reach PostgreSQL or a validator as such: NUL and lone UTF-16 surrogates. */
export const UNSAFE_STRINGS: string[] = [
  '\u0000', 'a\u0000b', 'HX-\u0000', '\u0000'.repeat(50), '\ud800', 'x\udfff', '\udc00\ud800', 'ok\ud83d', '\ud800\u0000',
];

/** Odd but storable text: control characters, invisible and bidi marks, huge and odd-looking strings. */
export const ODD_STRINGS: string[] = [
  '', ' ', '   ', '\t', '\n', '\r\n', '\u0001\u0002\u001f', '\u007f', '\u0085', '\u2028\u2029', '\ufeff', '\uffff', '\ufffe',
  '\u202etxt.exe', '👍🏽', 'e\u0301\u0301\u0301\u0301', '中文测试', "' OR 1=1 --", '"; DROP TABLE users; --', '%00', '%ED%A0%80',
  '../../etc/passwd', '${jndi:ldap://x}', '<script>alert(1)</script>', '{{7*7}}', 'NaN', 'Infinity', '-0', '1e400',
  '2026-13-45T25:61:00Z', '0000-00-00T00:00:00Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '9999-12-31T23:59:59+08:00',
  '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'null', 'true', '__proto__', 'constructor',
  'x'.repeat(1000), 'x'.repeat(20_000), '中'.repeat(10_000), 'a'.repeat(129),
];

/** A string of ~60 KB: under the 100 kb body limit, far over any field's length. */
export const HUGE_STRING = 'Z'.repeat(60_000);

/** Path segments, already percent-encoded as they go on the wire; none names anything that exists. */
export const PATH_SEGMENTS: { raw: string; label: string }[] = [
  { raw: '%00', label: 'NUL %00' },
  { raw: 'a%00b', label: 'NUL inside' },
  { raw: '%ED%A0%80', label: 'lone surrogate %ED%A0%80' },
  { raw: '%ED%B0%80', label: 'lone low surrogate %ED%B0%80' },
  { raw: '%FF%FE', label: 'invalid UTF-8 %FF%FE' },
  { raw: '%C0%AF', label: 'overlong UTF-8 slash' },
  { raw: '%', label: 'bare %' },
  { raw: '%zz', label: 'bad escape %zz' },
  { raw: '%E4%B8', label: 'truncated UTF-8' },
  { raw: '..', label: '..' },
  { raw: '%2e%2e', label: '%2e%2e' },
  { raw: '.', label: '.' },
  { raw: '%2F', label: 'encoded slash' },
  { raw: '..%2F..%2Fetc%2Fpasswd', label: 'traversal' },
  { raw: '%5C', label: 'backslash' },
  { raw: '%0A%0D', label: 'CR LF' },
  { raw: '%01%1F%7F', label: 'control characters' },
  { raw: '%E2%80%AE', label: 'RTL override' },
  { raw: 'x'.repeat(5000), label: 'overlong 5000' },
  { raw: encodeURIComponent('中'.repeat(600)), label: 'overlong CJK' },
  { raw: 'not-a-uuid', label: 'bad uuid' },
  { raw: '00000000-0000-0000-0000-00000000000g', label: 'bad uuid hex' },
  { raw: '00000000-0000-0000-0000-000000000000', label: 'nil uuid' },
  { raw: '{00000000-0000-0000-0000-000000000000}', label: 'braced uuid' },
  { raw: '123', label: 'integer' },
  { raw: '-1', label: 'negative' },
  { raw: '99999999999999999999999999', label: 'huge integer' },
  { raw: '1e400', label: '1e400' },
  { raw: 'null', label: 'null' },
  { raw: '__proto__', label: '__proto__' },
  { raw: 'constructor', label: 'constructor' },
  { raw: "'%20OR%201%3D1--", label: 'SQL' },
  { raw: '%22%3E%3Cscript%3E', label: 'markup' },
  { raw: '*', label: 'star' },
  { raw: '%20', label: 'space' },
];

/** Query values, already encoded. */
export const QUERY_VALUES: { raw: string; label: string }[] = [
  ...PATH_SEGMENTS.filter((p) => p.raw !== '..' && p.raw !== '.'),
  { raw: '', label: 'empty' },
  { raw: '0', label: '0' },
  { raw: '1.5', label: 'fraction' },
  { raw: '-0', label: '-0' },
  { raw: 'abc', label: 'word' },
  { raw: 'Infinity', label: 'Infinity' },
  { raw: 'NaN', label: 'NaN' },
  { raw: '0x10', label: 'hex' },
  { raw: '1e3', label: '1e3' },
  { raw: '2026-13-45', label: 'bad date' },
  { raw: '%2B275760-09-13T00%3A00%3A00.001Z', label: 'date beyond JS' },
  { raw: '-271821-04-20', label: 'date before JS' },
  { raw: '99999-01-01', label: 'five-digit year' },
  { raw: '2026-11-11T10%3A00%3A00%2B08%3A00', label: 'date-time' },
];

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** Cursors a list endpoint never gave out: bad base64, NUL and surrogates inside, keys of the wrong shape. */
export function badCursors(realUuid: string): { raw: string; label: string }[] {
  const enc = (s: string) => encodeURIComponent(s);
  return [
    { raw: 'AA', label: 'base64 of NUL' },
    { raw: enc(b64('a\u0000b')), label: 'base64 of a\\0b' },
    { raw: enc(b64(Buffer.from([0xed, 0xa0, 0x80]))), label: 'base64 of CESU surrogate' },
    { raw: enc(b64(Buffer.from([0xff, 0xfe, 0x00]))), label: 'base64 of invalid UTF-8' },
    { raw: enc(b64(JSON.stringify(['\u0000', realUuid]))), label: 'JSON cursor with \\u0000 date' },
    { raw: enc(b64(JSON.stringify(['2026-01-01T00:00:00.000Z', '\u0000']))), label: 'JSON cursor with \\u0000 id' },
    { raw: enc(b64(JSON.stringify(['2026-01-01T00:00:00.000Z', '\ud800']))), label: 'JSON cursor with lone surrogate id' },
    { raw: enc(b64(JSON.stringify(['+275760-09-13T00:00:00.000Z', realUuid]))), label: 'JSON cursor at JS max date' },
    { raw: enc(b64(JSON.stringify(['-271821-04-20T00:00:00.000Z', realUuid]))), label: 'JSON cursor at JS min date' },
    { raw: enc(b64(JSON.stringify([8.64e15, realUuid]))), label: 'JSON cursor numeric max date' },
    { raw: enc(b64(JSON.stringify(['0001-01-01T00:00:00.000Z', realUuid]))), label: 'JSON cursor year 1' },
    { raw: enc(b64(`[1e400,"${realUuid}"]`)), label: 'JSON cursor 1e400' },
    { raw: enc(b64(JSON.stringify([null, realUuid]))), label: 'JSON cursor null date' },
    { raw: enc(b64(JSON.stringify(['2026-01-01T00:00:00.000Z', realUuid.toUpperCase()]))), label: 'JSON cursor upper-case uuid' },
    { raw: enc(b64(JSON.stringify(['2026-01-01T00:00:00.000Z', realUuid, 'extra']))), label: 'JSON cursor three items' },
    { raw: enc(b64(JSON.stringify({ at: 1, id: realUuid }))), label: 'JSON cursor object' },
    { raw: enc(b64(nested(3000))), label: 'cursor of 3,000 nested arrays' },
    { raw: enc(b64('x'.repeat(370))), label: 'cursor near max length' },
    { raw: enc(b64('x'.repeat(2000))), label: 'overlong cursor' },
    { raw: enc(b64('\ufffd')), label: 'base64 of U+FFFD' },
    { raw: enc(b64('%')), label: 'base64 of %' },
    { raw: enc(b64("' OR 1=1 --")), label: 'base64 of SQL' },
    { raw: enc(b64(realUuid)), label: 'base64 of a uuid' },
    { raw: enc(b64('not-a-uuid')), label: 'base64 of not-a-uuid' },
    { raw: enc(Buffer.from('hello world?').toString('base64')), label: 'standard base64 with +/=' },
    { raw: '%3D%3D%3D%3D', label: '====' },
    { raw: '!!!', label: 'not base64' },
    { raw: '%00', label: 'raw %00' },
    { raw: '%ED%A0%80', label: 'raw lone surrogate' },
  ];
}
