import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { FuzzFixtures } from './fixtures';
import { OpenApiDoc, Operation, resolve, Schema } from './openapi';
import {
  badCursors, DEEP_VALUES, HOSTILE_NUMBERS, HUGE_STRING, Json, nested, NON_FINITE_NUMBERS, ODD_STRINGS, PATH_SEGMENTS,
  QUERY_VALUES, Raw, RAW_NUMBERS, toJsonText, UNSAFE_STRINGS,
} from './values';

/** One path parameter's value on the wire; `real` when it names a fixture that exists. */
export interface PathValue {
  raw: string;
  real: boolean;
  label: string;
}

export interface BodySpec {
  /** bytes on the wire; undefined: no body */
  payload?: string | Buffer;
  contentType?: string;
  contentEncoding?: string;
  /** why any server must refuse it, whoever sends it */
  sureBad?: string;
  /** the content type is one the server does not parse: the operation sees no body at all */
  unread?: boolean;
  /** the refusal comes from the JSON parser or the body reader, so it holds whatever the route reads */
  transport?: boolean;
  /** refused by the contract only: NUL, lone surrogates or non-finite numbers in a field the operation reads */
  unsafe?: string;
  /** what the body is, for the report */
  note: string;
}

export interface FuzzInput {
  op: Operation;
  path: Record<string, PathValue>;
  query: { raw: string; note: string };
  body: BodySpec;
  /** POST only; undefined: no header */
  idempotencyKey?: { value: string; valid: boolean };
  /** Stripe-Signature for the webhook; never a valid one */
  headers: Record<string, string>;
  /** `corpus: <class>` or `random` */
  source: string;
}

type Obj = { [k: string]: Json };
type Path = (string | number)[];

const clone = <T>(v: T): T => structuredCloneJson(v) as T;
function structuredCloneJson(v: unknown): unknown {
  if (v instanceof Raw) return v;
  if (Array.isArray(v)) return v.map(structuredCloneJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneJson(x)]));
  return v;
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD's bytes, as UTF-8 must). */
export function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const PLAIN = { pick: 0, odd: 13 };
const BEYOND_RFC3339 = ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '+010000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z'];
const UNSAFE_INTEGERS = [2 ** 53 + 2, -(2 ** 53 + 2), 1e21, 1e300];
let bomb: Buffer | undefined;
/** 3 MB of JSON in a few KB of gzip: inflating it must stop at the body limit. */
const gzipBomb = () => (bomb ??= gzipSync(`{"a":"${' '.repeat(3_000_000)}"}`));
// eslint-disable-next-line no-control-regex -- NUL is what it looks for
const UNSAFE_RE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_PCT_RE = /%00|%ED%[AB]|%FF|%FE|%C0|%E4%B8$|%(?![0-9A-Fa-f]{2})/i;

/** Generators for one run: fixtures, the document and the fixture-relative clock. */
export class InputFactory {
  private readonly cursors: { raw: string; label: string }[];

  constructor(private readonly doc: OpenApiDoc, private readonly f: FuzzFixtures, private readonly now: number) {
    this.cursors = badCursors(f.claimId);
  }

  // ---------------------------------------------------------------- valid shapes

  /** The fixture an operation's path parameter names. */
  realPathValue(op: Operation, name: string): string {
    const t = op.template;
    if (name === 'id') {
      if (t.startsWith('/v1/admin/retailers')) return this.f.retailerId;
      if (t.startsWith('/v1/admin/recyclers')) return this.f.recyclerId;
      return this.f.claimId; // claims; payout runs have none, so a claim's id stands in
    }
    if (name === 'keyId') return t.startsWith('/v1/admin/recyclers') ? this.f.recyclerApiKeyId : this.f.retailerPosKeyId;
    const byName: Record<string, string> = {
      kid: this.f.recyclerKid, modelCode: this.f.pendingModelCode, code: this.f.programCode, city: 'hangzhou',
      rid: this.f.receiptRid, serial: 'SN-NEVER-SOLD',
      // a draw's day (issue 13): the fixture-relative today
      date: new Date(this.now).toISOString().slice(0, 10),
      // a payout-details change (issue 13): the fixture has none pending, so a well-formed id that names nothing
      changeId: this.f.claimId,
    };
    const v = byName[name];
    if (v === undefined) throw new Error(`no fixture for path parameter ${name} of ${op.key}`);
    return v;
  }

  private validQueryValue(op: Operation, name: string, schema: Schema): string | undefined {
    const audit = op.template.startsWith('/v1/audit/');
    const byName: Record<string, string> = {
      limit: '10', retailerId: this.f.retailerId, flag: 'price_above_reference', programCode: this.f.programCode,
      from: audit ? '0' : '2026-01-01', to: audit ? '1' : '2027-01-01', index: '0', treeSize: '1', runId: this.f.claimId,
    };
    if (schema.enum?.length) return String(schema.enum[0]);
    return byName[name];
  }

  private iso(offsetMs: number): string {
    return new Date(this.now + offsetMs).toISOString();
  }

  /** A body the operation would accept, as far as fixtures allow (a full trade-in, a fresh retailer, …). */
  baseBody(op: Operation): Obj {
    if (!op.body) return {};
    return this.validValue(op, '', op.body, 0) as Obj;
  }

  private validValue(op: Operation, name: string, schema0: Schema, depth: number): Json {
    const schema = resolve(this.doc, schema0);
    const f = this.f;
    const named: Record<string, Json> = {
      phone: '13912345678', password: 'a-good-password-1', name: '测试名称', idNumber: f.residentId, city: 'hangzhou',
      username: f.householdPhone, refreshToken: f.spareRefreshToken, programCode: f.programCode, voucherCode: f.voucherCode,
      householdIdNumber: f.householdIdNumber, storeCode: f.storeCode, serialNumber: 'SN-FUZZ-0001', salePriceFen: 599900,
      invoiceNumber: 'INV-FUZZ-0001', soldAt: this.iso(-3600e3), recyclingReceipt: f.receipt, reason: 'fuzz reason',
      email: 'fuzz-user@example.gov.cn', creditCode: f.creditCode, gtin: f.gtin, brand: 'Hisense', category: 'tv',
      energyGrade: 1, screenInches: 55, referencePriceFen: 500000, startsAt: this.iso(-30 * 86400e3),
      endsAt: this.iso(365 * 86400e3), effectiveFrom: this.iso(86400e3), voucherValidityDays: 30, perHouseholdLimit: 1,
      amountFen: 1000, note: 'fuzz', dailyVouchers: 10, releaseTime: '10:00', kid: 'fuzz-kid-1',
      stripeAccountId: 'acct_FuzzFuzz0001', accountName: '测试账户', accountNumber: '6222020200112233445', bankCode: '102331000010',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      // a city's quota by lottery (issue 13): the window goes with it
      allocation: 'lottery', entryOpens: '08:00', entryCloses: '20:00',
    };
    if (name === 'rules') return clone(f.rules) as unknown as Json;
    if (name === 'modelCode') return op.template === '/v1/admin/catalog/models' ? 'FUZZ-MODEL-1' : f.modelCode;
    if (name === 'code') return op.template === '/v1/admin/programs' ? 'p-fuzz-1' : 'FZ-1';
    if (name in named && (!schema.enum?.length || schema.enum.includes(named[name]))) return named[name];
    if (schema.enum?.length) return schema.enum[0] as Json;
    if (schema.type === 'array') return depth > 4 ? [] : [this.validValue(op, name, schema.items ?? {}, depth + 1)];
    if (schema.type === 'object' || schema.properties) {
      if (depth > 4) return {};
      const out: Obj = {};
      for (const [k, s] of Object.entries(schema.properties ?? {})) out[k] = this.validValue(op, k, s, depth + 1);
      return out;
    }
    if (schema.type === 'number' || schema.type === 'integer') return typeof schema.example === 'number' ? schema.example : (schema.minimum ?? 1);
    if (schema.type === 'boolean') return true;
    if (schema.format === 'date-time') return this.iso(0);
    return typeof schema.example === 'string' ? schema.example : 'x';
  }

  // ---------------------------------------------------------------- body mutation

  private static leaves(v: Json, path: Path = [], out: { path: Path; value: Json }[] = []): { path: Path; value: Json }[] {
    if (path.length) out.push({ path, value: v });
    if (path.length >= 3) return out;
    if (Array.isArray(v)) { if (v.length) InputFactory.leaves(v[0], [...path, 0], out); }
    else if (v && typeof v === 'object' && !(v instanceof Raw)) for (const [k, x] of Object.entries(v)) InputFactory.leaves(x, [...path, k], out);
    return out;
  }

  private static setAt(root: Obj, path: Path, value: Json | undefined): void {
    let cur: any = root;
    for (const p of path.slice(0, -1)) cur = cur?.[p];
    if (cur === null || typeof cur !== 'object' || cur instanceof Raw) return;
    const last = path[path.length - 1];
    if (value === undefined) {
      if (Array.isArray(cur)) cur.splice(Number(last), 1);
      else delete cur[last];
    } else {
      cur[last] = value;
    }
  }

  private static kindOf(v: Json): 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null' {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'array';
    if (v instanceof Raw) return 'number';
    return typeof v as 'string' | 'number' | 'boolean' | 'object';
  }

  private static wrongTypes(kind: string): Json[] {
    switch (kind) {
      case 'string': return [123, -1.5, true, false, [], ['x'], {}, { a: 'b' }];
      case 'number': return ['abc', '', 'NaN', true, [], [1, 2], {}, { n: 1 }];
      case 'boolean': return ['true', 1, 0, 'yes', [], {}];
      case 'array': return ['x', 1, {}, true, { 0: 'a' }];
      case 'object': return ['x', 1, [], true, [{}]];
      default: return ['x', 1, [], {}];
    }
  }

  /** Noise: one change to one field, anything goes (the guarantee comes from elsewhere). */
  private noise(body: Obj, m: { at: number; kind: number; pick: number; text: string }): string {
    const leaves = InputFactory.leaves(body);
    if (!leaves.length) return 'no field to change';
    const { path, value } = leaves[m.at % leaves.length];
    const kind = InputFactory.kindOf(value);
    const where = path.join('.');
    const pick = <T>(xs: T[]): T => xs[m.pick % xs.length];
    const kinds = ['wrong type', 'null', 'odd string', 'random string', 'hostile number', 'raw number', 'deep value', 'huge string', 'remove', 'nested extra', 'wrap in array', 'proto key'];
    switch (kinds[m.kind % kinds.length]) {
      case 'wrong type': { const v = pick(InputFactory.wrongTypes(kind)); InputFactory.setAt(body, path, v); return `${where}: wrong type ${JSON.stringify(v)}`; }
      case 'null': InputFactory.setAt(body, path, null); return `${where}: null`;
      case 'odd string': { const v = pick(ODD_STRINGS); InputFactory.setAt(body, path, v); return `${where}: odd string ${JSON.stringify(v.slice(0, 40))}`; }
      case 'random string': InputFactory.setAt(body, path, m.text); return `${where}: random string ${JSON.stringify(m.text.slice(0, 40))}`;
      case 'hostile number': { const v = pick(HOSTILE_NUMBERS); InputFactory.setAt(body, path, v); return `${where}: number ${v}`; }
      case 'raw number': { const v = pick(RAW_NUMBERS); InputFactory.setAt(body, path, v); return `${where}: raw ${v.label}`; }
      case 'deep value': { const v = pick(DEEP_VALUES.slice(0, 2)); InputFactory.setAt(body, path, v); return `${where}: ${v.label}`; }
      case 'huge string': InputFactory.setAt(body, path, HUGE_STRING); return `${where}: 60 KB string`;
      case 'remove': InputFactory.setAt(body, path, undefined); return `${where}: removed`;
      case 'nested extra':
        if (kind === 'object') { (value as Obj).unexpected = 'x'; return `${where}: extra key`; }
        InputFactory.setAt(body, path, { unexpected: value }); return `${where}: object instead`;
      case 'wrap in array': InputFactory.setAt(body, path, [value]); return `${where}: wrapped in array`;
      default: {
        const key = pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '']);
        if (kind === 'object') { (value as Obj)[key] = { polluted: true, prototype: { polluted: true } }; return `${where}: key ${JSON.stringify(key)}`; }
        body[key] = { polluted: true }; return `key ${JSON.stringify(key)}`;
      }
    }
  }

  /** A change no validator may accept: an unknown top-level field, a required field missing, or no object at all. */
  private sure(op: Operation, body: Obj, m: { kind: number; pick: number; value: Json }): { body: Json; why: string } {
    const known = new Set(Object.keys(op.body?.properties ?? {}));
    const required = op.body?.required ?? [];
    const kinds = required.length ? ['extra', 'extra', 'missing', 'not an object'] : ['extra', 'extra', 'not an object'];
    const kind = kinds[m.kind % kinds.length];
    if (kind === 'extra') {
      const keys = ['extra', 'isAdmin', 'unexpectedField', 'createdAt', 'approved', 'role_', 'a\u0000b', '\ud800', ' ', 'ID'].filter((k) => !known.has(k));
      const key = keys[m.pick % keys.length];
      body[key] = m.value;
      return { body, why: `unknown field ${JSON.stringify(key)}` };
    }
    if (kind === 'missing') {
      const key = required[m.pick % required.length];
      delete body[key];
      return { body, why: `required ${key} missing` };
    }
    const replacements: [Json, string][] = [
      [[], '[]'], [[body], 'the body inside an array'], ['a string', 'a JSON string'], [42, 'a number'], [null, 'null'], [true, 'true'],
      [new Raw(nested(5000), '5,000 nested arrays'), '5,000 nested arrays'],
    ];
    const [v, why] = replacements[m.pick % replacements.length];
    return { body: v, why: `body is ${why}` };
  }

  /**
   * The one contract-only defect, in a field the operation reads: NUL or a lone surrogate in a string; a
   * time that is not RFC 3339 (six-digit years); a non-finite number, or an integer past 2^53 (no amount in
   * fen is that large, and JavaScript cannot hold it exactly).
   */
  private unsafeOnly(body: Obj, m: { at: number; pick: number }): string | undefined {
    const leaves = InputFactory.leaves(body).filter((l) => ['string', 'number'].includes(InputFactory.kindOf(l.value)));
    if (!leaves.length) return undefined;
    const { path, value } = leaves[m.at % leaves.length];
    const name = String(path[path.length - 1]);
    if (typeof value === 'string' && /At$|From$/.test(name) && m.pick % 2 === 0) {
      const v = BEYOND_RFC3339[m.pick % BEYOND_RFC3339.length];
      InputFactory.setAt(body, path, v);
      return `${path.join('.')}: ${v} (not RFC 3339)`;
    }
    if (typeof value === 'number' && m.pick % 2 === 0) {
      const v = UNSAFE_INTEGERS[m.pick % UNSAFE_INTEGERS.length];
      InputFactory.setAt(body, path, v);
      return `${path.join('.')}: ${v} (past 2^53)`;
    }
    if (typeof value === 'string') {
      const bad = UNSAFE_STRINGS[m.pick % UNSAFE_STRINGS.length];
      const v = m.pick % 3 === 0 ? bad : m.pick % 3 === 1 ? `${value}${bad}` : `${bad}${value}`;
      InputFactory.setAt(body, path, v);
      return `${path.join('.')}: ${JSON.stringify(v).slice(0, 60)}`;
    }
    const raw = NON_FINITE_NUMBERS[m.pick % NON_FINITE_NUMBERS.length];
    InputFactory.setAt(body, path, raw);
    return `${path.join('.')}: raw ${raw.label}`;
  }

  // ---------------------------------------------------------------- encodings

  private static readonly MALFORMED: string[] = [
    '{', '{"a":', '{"a":1,}', "{'a':1}", '{"a":01}', '{"a":.5}', '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '{a:1}',
    '{"a":"unterminated', '{"a":"\\x00"}', '{"a":"\\ud800', '{"a":"\\u12"}', '[1,2', ']', '}{', 'nul', 'tru', '{"a":1}}',
    '{"a":1}{"b":2}', '\u0000', '{"a":"\u0000"}', '{"a":"\t"}', '\ufeff\ufeff{}', '{"a" 1}', '{"a":1 "b":2}', '/* c */ {}',
    '{"a":[1,2,]}', '{"__proto__":}', '-', '1e', '--1', '{"a":1e}', '{"a":"\\u00"}',
  ];

  /** Bodies the JSON parser itself must refuse, or whose encoding cannot be read. */
  transportBad(pick: number, json: string): BodySpec {
    const classes: (() => BodySpec)[] = [
      () => { const p = InputFactory.MALFORMED[pick % InputFactory.MALFORMED.length]; return { payload: p, contentType: 'application/json', sureBad: 'malformed JSON', transport: true, note: `malformed JSON ${JSON.stringify(p)}` }; },
      () => ({ payload: json, contentType: 'application/json', contentEncoding: 'gzip', sureBad: 'Content-Encoding mismatch', transport: true, note: 'Content-Encoding: gzip, body not gzip' }),
      () => ({ payload: json, contentType: 'application/json', contentEncoding: 'br', sureBad: 'Content-Encoding mismatch', transport: true, note: 'Content-Encoding: br, body not brotli' }),
      () => ({ payload: json, contentType: 'application/json', contentEncoding: 'deflate', sureBad: 'Content-Encoding mismatch', transport: true, note: 'Content-Encoding: deflate, body not deflate' }),
      () => ({ payload: gzipSync(json).subarray(0, 12), contentType: 'application/json', contentEncoding: 'gzip', sureBad: 'truncated gzip', transport: true, note: 'truncated gzip' }),
      () => ({ payload: gzipBomb(), contentType: 'application/json', contentEncoding: 'gzip', sureBad: 'inflates past the body limit', transport: true, note: 'gzip bomb (3 MB inflated)' }),
      () => ({ payload: json, contentType: 'application/json', contentEncoding: ['compress', 'zstd', 'x-unknown', 'gzip, br', 'identity;q=0'][pick % 5], sureBad: 'unsupported Content-Encoding', transport: true, note: 'unsupported Content-Encoding' }),
      () => ({ payload: json, contentType: ['application/json; charset=utf-16', 'application/json; charset=x-unknown', 'application/json; charset=utf-32le'][pick % 3], sureBad: 'unsupported charset', transport: true, note: 'unsupported charset' }),
      () => ({ payload: `{"a":"${'x'.repeat(150_000)}"}`, contentType: 'application/json', sureBad: 'over the body limit', transport: true, note: '150 KB body' }),
      () => ({ payload: nested(50_000), contentType: 'application/json', sureBad: 'body is an array', note: '50,000 nested arrays (whole body)' }),
    ];
    return classes[pick % classes.length]();
  }

  /** Serialises a JSON body with an optional odd transport (content type, charset, valid compression, bad UTF-8 bytes). */
  private encode(v: Json, m: { pick: number; odd: number }): BodySpec {
    const text = toJsonText(v);
    switch (m.odd % 14) {
      case 0: return { payload: text, contentType: 'text/plain', unread: true, note: 'as text/plain' };
      case 1: return { payload: text, contentType: 'application/x-www-form-urlencoded', unread: true, note: 'as form-urlencoded' };
      case 2: return { payload: text, contentType: 'multipart/form-data; boundary=xyz', unread: true, note: 'as multipart' };
      case 3: return { payload: text, contentType: undefined, unread: true, note: 'without Content-Type' };
      case 4: return { payload: gzipSync(text), contentType: 'application/json', contentEncoding: 'gzip', note: 'gzip (valid)' };
      case 5: return { payload: brotliCompressSync(text), contentType: 'application/json', contentEncoding: 'br', note: 'br (valid)' };
      case 6: return { payload: deflateSync(text), contentType: 'application/json', contentEncoding: 'deflate', note: 'deflate (valid)' };
      case 7: {
        const bad = Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80, 0xc0, 0xaf]);
        const payload = text.startsWith('{') && text.length > 2
          ? Buffer.concat([Buffer.from(`${text.slice(0, -1)},"bytes":"`), bad, Buffer.from('"}')])
          : Buffer.concat([Buffer.from(text), bad]);
        return { payload, contentType: 'application/json', note: 'invalid UTF-8 bytes' };
      }
      case 8: return { payload: `\ufeff${text}`, contentType: 'application/json', note: 'with BOM' };
      case 9: return { payload: text, contentType: 'application/json; charset=latin1', note: 'charset=latin1' };
      case 10: return { payload: text, contentType: 'application/vnd.api+json', unread: true, note: 'as application/vnd.api+json' };
      default: return { payload: text, contentType: 'application/json', note: 'JSON' };
    }
  }

  // ---------------------------------------------------------------- arbitraries

  private pathArb(op: Operation): fc.Arbitrary<Record<string, PathValue>> {
    const names = op.params.filter((p) => p.in === 'path').map((p) => p.name);
    const one = (name: string): fc.Arbitrary<PathValue> => fc.oneof(
      { weight: 3, arbitrary: fc.constant({ raw: pct(this.realPathValue(op, name)), real: true, label: 'fixture' }) },
      { weight: 4, arbitrary: fc.constantFrom(...PATH_SEGMENTS).map((s) => ({ ...s, real: false })) },
      { weight: 1, arbitrary: fc.uuid().map((u) => ({ raw: u, real: false, label: 'random uuid' })) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => ({ raw: pct(s), real: false, label: `random ${JSON.stringify(s)}` })) },
    );
    return fc.record(Object.fromEntries(names.map((n) => [n, one(n)])));
  }

  private queryArb(op: Operation): fc.Arbitrary<{ raw: string; note: string }> {
    const qs = op.params.filter((p) => p.in === 'query');
    const one = (name: string, schema: Schema) => fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constant(this.validQueryValue(op, name, schema)).map((v) => (v === undefined ? undefined : { raw: pct(v), label: 'valid' })) },
      { weight: 3, arbitrary: fc.constantFrom(...(name === 'cursor' ? this.cursors : QUERY_VALUES)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => ({ raw: pct(s), label: 'random' })) },
      { weight: 1, arbitrary: fc.integer({ min: -1e6, max: 1e6 }).map((n) => ({ raw: String(n), label: `${n}` })) },
    );
    const extras = fc.constantFrom('', '', '', '&foo=bar', '&__proto__[x]=1', '&constructor[prototype][x]=1', '&limit=1&limit=2', '&a[b][c]=1',
      '&%00=%00', '&%ED%A0%80=1', '&&&', `&${'p=1&'.repeat(500)}`, '&from=1&from=2', '&cursor=AA&cursor=AB');
    return fc.tuple(fc.record(Object.fromEntries(qs.map((p) => [p.name, one(p.name, p.schema)]))), extras).map(([vals, extra]) => {
      const parts = Object.entries(vals).filter(([, v]) => v).map(([k, v]) => `${k}=${v!.raw}`);
      const raw = parts.join('&') + (parts.length ? extra : extra.replace(/^&/, ''));
      const note = Object.entries(vals).filter(([, v]) => v).map(([k, v]) => `${k}:${v!.label}`).join(' ') + (extra ? ` extra:${extra.slice(0, 30)}` : '');
      return { raw, note };
    });
  }

  private bodyArb(op: Operation): fc.Arbitrary<BodySpec> {
    const noiseArb = fc.record({ at: fc.nat(), kind: fc.nat(), pick: fc.nat(), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 })) });
    const encArb = fc.record({ pick: fc.nat(), odd: fc.nat({ max: 30 }) });
    if (!op.body) {
      // nothing reads the body: any bytes, the guarantee must come from the path, the credentials or the transport
      return fc.oneof(
        { weight: op.mutating ? 3 : 6, arbitrary: fc.constant({ note: 'no body' } as BodySpec) },
        { weight: 2, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }), encArb).map(([v, e]) => ({ ...this.encode(v as Json, e), note: `random JSON ${this.encode(v as Json, e).note}` })) },
        { weight: 3, arbitrary: fc.nat().map((p) => this.transportBad(p, '{"a":1}')) },
      );
    }
    const sureArb = fc.record({ kind: fc.nat(), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) });
    const mutated = (mode: 'sure' | 'unsafe' | 'base') => fc.tuple(fc.array(noiseArb, { maxLength: mode === 'sure' ? 4 : 0 }), sureArb, encArb, fc.record({ at: fc.nat(), pick: fc.nat() }))
      .map(([noises, s, e, u]) => {
        const body = this.baseBody(op);
        const notes = noises.map((n) => this.noise(body, n));
        let spec: BodySpec;
        if (mode === 'sure') {
          const { body: b, why } = this.sure(op, body, { ...s, value: s.value as Json });
          spec = this.encode(b, e);
          // a body the server does not parse is no body: refused only if a field is required
          const sureBad = !spec.unread ? why : (op.body?.required ?? []).length ? 'body not read, so required fields are missing' : undefined;
          spec = { ...spec, sureBad };
          notes.push(sureBad ? why : `${why}, but the body is not read`);
        } else if (mode === 'unsafe') {
          const why = this.unsafeOnly(body, u);
          spec = { ...this.encode(body, PLAIN), unsafe: why };
          if (why) notes.push(`only ${why}`);
        } else {
          spec = this.encode(body, PLAIN);
          notes.push('valid-looking body');
        }
        return { ...spec, note: `${notes.join('; ')} (${spec.note})` };
      });
    return fc.oneof(
      { weight: 6, arbitrary: mutated('sure') },
      { weight: 2, arbitrary: mutated('unsafe') },
      { weight: 1, arbitrary: mutated('base') },
      { weight: 3, arbitrary: fc.nat().map((p) => this.transportBad(p, toJsonText(this.baseBody(op)))) },
    );
  }

  private idempotencyArb(op: Operation): fc.Arbitrary<FuzzInput['idempotencyKey']> {
    if (op.method !== 'POST') return fc.constant(undefined);
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.uuid().map((u) => ({ value: `fz-${u}`, valid: true })) },
      { weight: 2, arbitrary: fc.constantFrom('', 'short', 'x'.repeat(201), 'has spaces in it', 'k\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff', 'semi;colon;key', '../../../../').map((value) => ({ value, valid: false })) },
    );
  }

  private headersArb(op: Operation): fc.Arbitrary<Record<string, string>> {
    const stripe = op.params.some((p) => p.in === 'header' && p.name === 'Stripe-Signature');
    return fc.record({
      accept: fc.constantFrom(undefined, undefined, 'application/xml', 'text/html', '*/*', 'application/problem+json'),
      xff: fc.constantFrom(undefined, undefined, undefined, 'not-an-ip', '::1, 999.999.999.999', '1.1.1.1,'.repeat(200)),
      sig: stripe ? fc.constantFrom(undefined, '', 't=1,v1=00', 't=abc,v1=', `t=${Math.floor(this.now / 1000)},v1=${'0'.repeat(64)}`, 'garbage') : fc.constant(undefined),
    }).map(({ accept, xff, sig }) => {
      const h: Record<string, string> = {};
      if (accept) h.Accept = accept;
      if (xff) h['X-Forwarded-For'] = xff;
      if (sig !== undefined) h['Stripe-Signature'] = sig;
      return h;
    });
  }

  /** Random inputs for an operation. */
  randomArb(op: Operation): fc.Arbitrary<FuzzInput> {
    return fc.record({
      path: this.pathArb(op),
      query: this.queryArb(op),
      body: this.bodyArb(op),
      idempotencyKey: this.idempotencyArb(op),
      headers: this.headersArb(op),
    }).map((r) => ({ ...r, op, source: 'random' }));
  }

  // ---------------------------------------------------------------- the fixed corpus: every class on every operation

  private realPath(op: Operation): Record<string, PathValue> {
    return Object.fromEntries(op.params.filter((p) => p.in === 'path').map((p) => [p.name, { raw: pct(this.realPathValue(op, p.name)), real: true, label: 'fixture' }]));
  }

  private validQuery(op: Operation): { raw: string; note: string } {
    const parts = op.params.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${pct(this.validQueryValue(op, p.name, p.schema) ?? 'x')}`);
    return { raw: parts.join('&'), note: parts.length ? 'required params valid' : '' };
  }

  /** A request as valid as the fixtures make it: fixture path, required query parameters, the base body. */
  plain(op: Operation): FuzzInput {
    const body: BodySpec = op.body ? { payload: toJsonText(this.baseBody(op)), contentType: 'application/json', note: 'valid-looking body' } : { note: 'no body' };
    const idempotencyKey = op.params.some((p) => p.name === 'Idempotency-Key' && p.required) ? { value: 'fz-plain-request-0001', valid: true } : undefined;
    return { op, path: this.realPath(op), query: this.validQuery(op), body, idempotencyKey, headers: {}, source: 'corpus: each garbage credential, valid-looking request' };
  }

  /** Each named class of bad input, once per operation, on fixture paths and valid queries. */
  corpus(op: Operation): FuzzInput[] {
    const out: FuzzInput[] = [];
    const input = (source: string, body: BodySpec, over: Partial<FuzzInput> = {}): FuzzInput =>
      ({ op, path: this.realPath(op), query: this.validQuery(op), body, headers: {}, source: `corpus: ${source}`, ...over });
    if (op.undeclared) {
      return [
        input('undeclared method', { note: 'no body' }),
        input('undeclared method with a JSON body', { payload: '{"a":1}', contentType: 'application/json', note: '{"a":1}' }),
      ];
    }
    const base = () => this.baseBody(op);
    const json = (v: Json, extra: Partial<BodySpec>): BodySpec => ({ payload: toJsonText(v), contentType: 'application/json', note: '', ...extra });
    const reads = !!op.body;
    const leaves = InputFactory.leaves(base());
    const numberLeaf = leaves.find((l) => typeof l.value === 'number' && l.path.length === 1) ?? leaves.find((l) => typeof l.value === 'number');
    const stringLeaf = leaves.find((l) => typeof l.value === 'string' && l.path.length === 1);
    const withAt = (leaf: { path: Path } | undefined, v: Json): { body: Obj; where: string } => {
      const b = base();
      if (leaf) InputFactory.setAt(b, leaf.path, v);
      else b.x = v;
      return { body: b, where: leaf ? leaf.path.join('.') : 'x (unknown field)' };
    };

    // raw numbers
    for (const raw of [RAW_NUMBERS[0], RAW_NUMBERS[2], RAW_NUMBERS[3], RAW_NUMBERS[4]]) {
      const { body, where } = withAt(numberLeaf ?? stringLeaf, raw);
      const nonFinite = !Number.isFinite(Number(raw.text));
      if (!nonFinite) body.unexpectedField = 1;
      out.push(input(`raw number ${raw.label}`, json(body, {
        note: `${where}: ${raw.label}${nonFinite ? '' : '; unknown field'}`,
        ...(!reads ? {} : !nonFinite ? { sureBad: 'unknown field' } : numberLeaf ? { unsafe: `${where}: non-finite` } : { sureBad: `${where}: number for a string` }),
      })));
    }
    // deep nesting
    out.push(input('5,000 nested arrays (whole body)', { payload: nested(5000), contentType: 'application/json', note: '5,000 nested arrays', ...(reads ? { sureBad: 'body is an array' } : {}) }));
    out.push(input('50,000 nested arrays (whole body)', { payload: nested(50_000), contentType: 'application/json', note: '50,000 nested arrays', ...(reads ? { sureBad: 'body is an array' } : {}) }));
    {
      const { body, where } = withAt(stringLeaf ?? numberLeaf, DEEP_VALUES[0]);
      out.push(input('5,000 nested arrays in a field', json(body, { note: `${where}: 5,000 nested arrays`, ...(reads ? { sureBad: `${where}: array for a scalar` } : {}) })));
      const deepObj = withAt(stringLeaf ?? numberLeaf, DEEP_VALUES[1]);
      out.push(input('3,000 nested objects in a field', json(deepObj.body, { note: `${deepObj.where}: 3,000 nested objects`, ...(reads ? { sureBad: `${deepObj.where}: object for a scalar` } : {}) })));
    }
    // malformed, encodings, charsets, sizes
    const text = toJsonText(base());
    for (let p = 0; p < 10; p++) {
      const spec = this.transportBad(p, text);
      out.push(input(spec.note.replace(/ ".*$/, ''), spec));
    }
    for (let k = 1; k <= 4; k++) out.push(input(`malformed JSON #${k + 1}`, this.transportBad(10 * k, text)));
    // unsafe text in a string field, everything else valid
    if (stringLeaf) {
      for (const [label, v] of [['NUL', 'a\u0000b'], ['lone surrogate', '\ud800'], ['lone low surrogate', 'x\udfff']] as const) {
        const { body, where } = withAt(stringLeaf, v);
        out.push(input(`${label} in a string field`, json(body, { note: `${where}: ${JSON.stringify(v)}`, ...(reads ? { unsafe: `${where}: ${label}` } : {}) })));
      }
      for (const [label, v] of [['control characters', '\u0001\u0007\u001b\u007f'], ['huge string', HUGE_STRING]] as const) {
        const { body, where } = withAt(stringLeaf, v);
        body.unexpectedField = 1;
        out.push(input(`${label} in a string field`, json(body, { note: `${where}: ${label}; unknown field`, ...(reads ? { sureBad: 'unknown field' } : {}) })));
      }
    }
    // NUL in a field name, lone surrogate in a key
    out.push(input('NUL in a field name', json({ ...base(), 'a\u0000b': 1 }, { note: 'key "a\\u0000b"', ...(reads ? { sureBad: 'unknown field' } : {}) })));
    // wrong content types with a plausible body
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const required = (op.body?.required ?? []).length > 0;
      out.push(input(`Content-Type ${ct}`, { payload: text, contentType: ct, note: `valid-looking JSON as ${ct}`, ...(required ? { sureBad: `${ct} is not read, so required fields are missing` } : {}) }));
    }
    if (reads) {
      out.push(input('empty object', json({}, { note: '{}', ...((op.body?.required ?? []).length ? { sureBad: 'required fields missing' } : {}) })));
      for (const [i, wt] of InputFactory.wrongTypes('string').slice(0, 4).entries()) {
        const b = base();
        for (const l of InputFactory.leaves(b).filter((x) => x.path.length === 1)) InputFactory.setAt(b, l.path, InputFactory.kindOf(l.value) === 'string' ? wt : InputFactory.wrongTypes(InputFactory.kindOf(l.value))[i]);
        b.unexpectedField = true;
        out.push(input(`wrong type in every field #${i + 1}`, json(b, { note: 'every field a wrong type; unknown field', sureBad: 'unknown field' })));
      }
    }
    if (!op.mutating) {
      // a GET reads no body, and the body reader runs before routing: the classes that reach it, once each
      const keep = ['raw number 1e400', '50,000 nested arrays (whole body)', 'Content-Encoding: gzip, body not gzip', 'malformed JSON', 'gzip bomb (3 MB inflated)', 'NUL in a field name'];
      out.splice(0, out.length, ...out.filter((i) => keep.includes(i.source.replace(/^corpus: /, ''))));
    }
    // bad path parameters, valid-looking body
    for (const p of op.params.filter((x) => x.in === 'path')) {
      for (const seg of PATH_SEGMENTS.filter((s) => ['NUL %00', 'lone surrogate %ED%A0%80', 'overlong 5000', 'bad uuid', '..', 'bare %', 'invalid UTF-8 %FF%FE', 'nil uuid'].includes(s.label))) {
        const path = { ...this.realPath(op), [p.name]: { ...seg, real: false } };
        out.push(input(`path ${p.name} ${seg.label}`, reads ? json(base(), { note: 'valid-looking body' }) : { note: 'no body' }, { path }));
      }
    }
    // bad query parameters
    for (const p of op.params.filter((x) => x.in === 'query')) {
      const numeric = p.schema.type === 'number' || p.schema.type === 'integer';
      const dated = !numeric && /^(from|to)$/.test(p.name);
      const labels = ['NUL %00', 'lone surrogate %ED%A0%80', 'overlong 5000', 'invalid UTF-8 %FF%FE', 'bare %', 'empty', 'word',
        ...(numeric ? ['fraction', 'huge integer', '1e400', 'negative', 'Infinity'] : dated ? ['date beyond JS', 'date before JS', 'five-digit year', 'bad date'] : [])];
      const values = p.name === 'cursor' ? this.cursors : QUERY_VALUES.filter((v) => labels.includes(v.label));
      for (const v of values) {
        const q = this.validQuery(op);
        const others = q.raw.split('&').filter((x) => x && !x.startsWith(`${p.name}=`));
        out.push(input(`query ${p.name} ${v.label}`, { note: 'no body' }, { query: { raw: [...others, `${p.name}=${v.raw}`].join('&'), note: `${p.name}: ${v.label}` } }));
      }
    }
    // idempotency keys
    if (op.method === 'POST') {
      out.push(input('malformed Idempotency-Key', reads ? json(base(), { note: 'valid-looking body' }) : { note: 'no body' }, { idempotencyKey: { value: 'has spaces in it', valid: false } }));
      out.push(input('1e400 with an Idempotency-Key', json(withAt(numberLeaf ?? stringLeaf, RAW_NUMBERS[0]).body, { note: '1e400', ...(reads ? { sureBad: numberLeaf ? 'non-finite number' : 'number for a string' } : {}) }),
        { idempotencyKey: { value: `fz-corpus-${op.key.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 190), valid: true } }));
    }
    if (op.params.some((p) => p.in === 'header' && p.name === 'Stripe-Signature')) {
      for (const o of out) o.headers['Stripe-Signature'] = 't=1,v1=00';
    }
    return out;
  }
}

/** Why a request must be refused with these credentials, or undefined when it might be accepted. */
export function guarantee(input: FuzzInput, credValid: boolean): string | undefined {
  const { op, body } = input;
  if (op.undeclared) return `${op.method} is not declared for this path`;
  if (body.sureBad && (body.transport || op.body)) return body.sureBad;
  if (op.secured && !credValid) return 'no valid credentials';
  // routes marked NotIdempotent ignore the header, so only where it is required is a bad one a refusal
  if (op.params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key' && p.required)) {
    if (!input.idempotencyKey) return 'missing Idempotency-Key';
    if (!input.idempotencyKey.valid) return 'malformed Idempotency-Key';
  }
  if (op.params.some((p) => p.in === 'header' && p.name === 'Stripe-Signature')) return 'no valid Stripe signature';
  for (const [name, v] of Object.entries(input.path)) {
    if (v.real) continue;
    if (UNSAFE_PCT_RE.test(v.raw) || UNSAFE_RE.test(v.raw)) return `path ${name}: ${v.label}`;
    // a recycler may revoke a receipt the platform has never seen, so an unknown rid is no refusal there
    if (op.template !== '/v1/recycler/receipts/{rid}/revoke') return `no such ${name} (${v.label})`;
  }
  if (op.body && body.unsafe) return `contract: ${body.unsafe}`;
  return undefined;
}
