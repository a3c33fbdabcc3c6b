import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { Request } from 'express';
import { ProblemFilter } from '../apps/api/src/http/problem.filter';
import { startTestApp, TestApp } from './support/app';
import { FuzzClient, pool, WireRequest } from './support/fuzz/client';
import { createFixtures, CRED_NAMES, CredName, FuzzFixtures } from './support/fuzz/fixtures';
import { FuzzInput, guarantee, InputFactory } from './support/fuzz/inputs';
import { OpenApiDoc, Operation, operations, undeclaredOperations } from './support/fuzz/openapi';
import { describeThrown, expectNoFailures, Failure, problemCode, serverCause } from './support/fuzz/report';
import { prefixMd5, snapshotTables, TableState } from './support/fuzz/tables';

/**
 * Fuzzes every operation of the OpenAPI document with bad input (fast-check, fixed seed), as every role and
 * as nobody. Refusals must be 4xx problem+json with a code, never 5xx, and must change no table.
 *
 *   FUZZ_SEED=<n>      replay a run (the seed is printed)
 *   FUZZ_RUNS=<n>      random inputs per operation, each sent with all 8 credentials (default 8)
 *   FUZZ_ONLY=<regex>  only operations whose "METHOD /path" matches
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261111);
const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const ONLY = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : undefined;
const CONCURRENCY = 16;
const PROFILE = process.env.FUZZ_PROFILE ? new Map<string, { n: number; ms: number }>() : undefined;
const MIN_REQUESTS = ONLY ? 1 : 10_000;
const REPLAY = `replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_ONLY='^METHOD /path$' npx jest test/fuzz.e2e-spec.ts`;

/**
 * Tables a refused request may change, by design. Anything else changing is a failure. Append-only tables
 * are checked further: rows that were there stay exactly as they were, and every new row matches `newRows`.
 */
const CHANGED_BY_DESIGN: Record<string, { why: string; newRows: string }> = {
  audit_events: { why: 'a failed log-in is audited (auth.login_failed) even though the request is refused', newRows: `action = 'auth.login_failed'` },
};

interface Outcome {
  sent: number;
  skipped: number;
  clientRefused: number;
  ms: number;
  perOp: Map<string, Set<CredName>>;
  statuses: Map<number, number>;
  failures: Failure[];
  before: Record<string, TableState>;
  after: Record<string, TableState>;
}

function seedFor(op: Operation): number {
  let h = SEED >>> 0;
  for (const c of op.key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}

type Input = FuzzInput & { ordinal: number };
interface Job {
  input: Input;
  cred: CredName;
  /** which garbage credential; by default one that depends only on the operation and the input's place, so FUZZ_ONLY replays it */
  garbage?: number;
}

function credHeaders(f: FuzzFixtures, job: Job): Record<string, string> {
  if (job.cred === 'none') return {};
  if (job.cred === 'garbage') return f.garbage[(job.garbage ?? seedFor(job.input.op) + job.input.ordinal) % f.garbage.length];
  return f.creds[job.cred];
}

function wire(job: Job, f: FuzzFixtures, n: number): WireRequest {
  const { input } = job;
  const { op, body } = input;
  const path = op.template.replace(/\{(\w+)\}/g, (_, name: string) => input.path[name].raw) + (input.query.raw ? `?${input.query.raw}` : '');
  const headers: Record<string, string> = { 'X-Request-Id': `fuzz-${n}`, ...credHeaders(f, job), ...input.headers };
  if (body.contentType) headers['Content-Type'] = body.contentType;
  if (body.contentEncoding) headers['Content-Encoding'] = body.contentEncoding;
  if (input.idempotencyKey) headers['Idempotency-Key'] = input.idempotencyKey.value;
  const payload = body.payload === undefined ? undefined : Buffer.isBuffer(body.payload) ? body.payload : Buffer.from(body.payload, 'utf8');
  return { n, method: op.method, path, headers, body: payload };
}

/**
 * What the API threw for each 5xx, by request id: a spy that calls through to the one global filter. Under
 * Jest, errors from Node's own modules are not `instanceof Error` in the test's realm, so the app's logs
 * may only say "non-error object"; the thrown value itself says more.
 */
const thrown = new Map<string, unknown>();
function recordThrown(): void {
  const original = ProblemFilter.prototype.toProblem;
  jest.spyOn(ProblemFilter.prototype, 'toProblem').mockImplementation(function (this: ProblemFilter, exception: unknown, req?: Request) {
    const p = original.call(this, exception, req);
    const id = (req as (Request & { id?: unknown }) | undefined)?.id;
    if (p.status >= 500 && typeof id === 'string') thrown.set(id, exception);
    return p;
  });
}

async function runFuzz(t: TestApp, f: FuzzFixtures, doc: OpenApiDoc, port: number): Promise<Outcome> {
  const declared = operations(doc).filter((op) => !ONLY || ONLY.test(op.key));
  const ops = [...declared, ...undeclaredOperations(declared)];
  const factory = new InputFactory(doc, f, t.clock.now().getTime());
  const jobs: Job[] = [];
  for (const op of ops) {
    const mine: Input[] = [...factory.corpus(op), ...(op.undeclared ? [] : fc.sample(factory.randomArb(op), { seed: seedFor(op), numRuns: RUNS }))]
      .map((input, ordinal) => ({ ...input, ordinal }));
    jobs.push(...mine.flatMap((input) => CRED_NAMES.map((cred) => ({ input, cred }))));
    // and every garbage credential once, on a request that is otherwise as valid as the fixtures make it
    const plain = { ...factory.plain(op), ordinal: mine.length };
    jobs.push(...f.garbage.map((_, garbage) => ({ input: plain, cred: 'garbage' as const, garbage })));
  }
  const out: Outcome = {
    sent: 0, skipped: 0, clientRefused: 0, ms: 0, perOp: new Map(ops.map((o) => [o.key, new Set()])), statuses: new Map(),
    failures: [], before: {}, after: {},
  };
  out.before = await snapshotTables(t.db);
  const client = new FuzzClient(port, CONCURRENCY);
  const started = Date.now();
  await pool(jobs, CONCURRENCY, async (job, i) => {
    const { input, cred } = job;
    const { op } = input;
    const why = guarantee(input, cred !== 'none' && cred !== 'garbage');
    if (op.mutating && !why) {
      out.skipped++;
      return;
    }
    const req = wire(job, f, i);
    const res = await client.send(req);
    if (res.status === -1) {
      out.clientRefused++;
      return;
    }
    out.sent++;
    if (PROFILE) {
      const k = input.source.startsWith('corpus: path') ? 'corpus: path *' : input.source.startsWith('corpus: query') ? 'corpus: query *' : input.source;
      const e = PROFILE.get(k) ?? { n: 0, ms: 0 };
      PROFILE.set(k, { n: e.n + 1, ms: e.ms + res.ms });
      const ck = `code ${op.key} ${res.status} ${res.status >= 400 ? problemCode(res) : ''}`;
      PROFILE.set(ck, { n: (PROFILE.get(ck)?.n ?? 0) + 1, ms: 0 });
      const eo = PROFILE.get(`op ${op.key}`) ?? { n: 0, ms: 0 };
      PROFILE.set(`op ${op.key}`, { n: eo.n + 1, ms: eo.ms + res.ms });
    }
    out.perOp.get(op.key)!.add(cred);
    out.statuses.set(res.status, (out.statuses.get(res.status) ?? 0) + 1);
    const fail = (kind: Failure['kind']) => out.failures.push({
      kind, op: op.key, method: op.method, template: op.template, cred, status: res.status, code: problemCode(res),
      request: req, response: res, source: input.source, what: `${input.source}; ${input.body.note}${input.query.note ? `; query ${input.query.note}` : ''}`, why,
    });
    if (res.status === 0) fail('no response');
    else if (res.status >= 500) fail('server error (5xx)');
    else if (res.status >= 400) {
      if (!/^application\/problem\+json/.test(res.contentType) || problemCode(res).startsWith('(')) fail('4xx not problem+json');
    } else if (res.status >= 200 && res.status < 300 && op.mutating) fail('mutation accepted (2xx)');
  });
  out.ms = Date.now() - started;
  client.close();
  out.after = await snapshotTables(t.db);
  for (const fl of out.failures) {
    const id = `fuzz-${fl.request.n}`;
    fl.cause = [thrown.has(id) ? describeThrown(thrown.get(id)) : undefined, serverCause(t.logs, id)].filter(Boolean).join(' || ') || undefined;
  }
  return out;
}

describe('fuzzing every operation of the contract (e2e)', () => {
  let t: TestApp;
  let o: Outcome;
  let opKeys: string[];
  let f: FuzzFixtures;
  let doc: OpenApiDoc;
  let port: number;

  beforeAll(async () => {
    recordThrown();
    t = await startTestApp({ LOG_LEVEL: 'error' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    f = await createFixtures(t);
    doc = (await t.http().get('/docs-json').expect(200)).body as OpenApiDoc;
    opKeys = operations(doc).filter((op) => !ONLY || ONLY.test(op.key)).map((op) => op.key);
    o = await runFuzz(t, f, doc, port);
    const statuses = [...o.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log([
      `fuzz: seed ${SEED} (FUZZ_SEED), ${RUNS} random inputs per operation (FUZZ_RUNS), ${opKeys.length} operations`,
      `fuzz: ${o.sent} requests in ${(o.ms / 1000).toFixed(1)} s = ${Math.round(o.sent / (o.ms / 1000))} req/s; ` +
        `${o.skipped} mutating combinations not sent (no guaranteed refusal with those credentials), ${o.clientRefused} refused by the client`,
      `fuzz: statuses ${statuses}; ${o.failures.length} failures`,
      ...(PROFILE ? [...PROFILE.entries()].sort(([ka, a], [kb, b]) => b.ms - a.ms || ka.localeCompare(kb)).map(([k, v]) => `profile: ${k}: ${v.n} requests, ${v.ms} ms total, ${Math.round(v.ms / v.n)} ms each`) : []),
    ].join('\n'));
  }, 600_000);

  afterAll(() => t?.close());

  it(`sends at least ${MIN_REQUESTS} requests, covering every operation with every credential and with none`, () => {
    expect(o.sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const uncovered = opKeys.flatMap((k) => CRED_NAMES.filter((c) => !o.perOp.get(k)?.has(c)).map((c) => `${k} as ${c}`));
    expect(uncovered).toEqual([]);
  });

  it('never answers 5xx, and always answers', () => {
    const bad = o.failures.filter((f) => f.kind === 'server error (5xx)' || f.kind === 'no response');
    expectNoFailures(bad, REPLAY);
  });

  it('answers every 4xx as application/problem+json with a code', () => {
    const bad = o.failures.filter((f) => f.kind === '4xx not problem+json');
    expectNoFailures(bad, REPLAY);
  });

  it('refuses every generated mutating request (a 2xx means the generator made a valid one, or the API accepted bad input)', () => {
    const bad = o.failures.filter((f) => f.kind === 'mutation accepted (2xx)');
    expectNoFailures(bad, REPLAY);
  });

  it('changes no table, except those named with the reason', async () => {
    const problems: string[] = [];
    for (const [table, before] of Object.entries(o.before)) {
      const after = o.after[table];
      if (!after) {
        problems.push(`${table}: gone`);
        continue;
      }
      if (after.rows === before.rows && after.md5 === before.md5) continue;
      const design = CHANGED_BY_DESIGN[table];
      if (!design) {
        problems.push(`${table}: ${before.rows} → ${after.rows} rows, checksum ${before.md5 === after.md5 ? 'same' : 'changed'}`);
        continue;
      }
      // by design it grows; what was there stays, and each new row is of the kind named
      if (before.maxId === undefined || (await prefixMd5(t.db, table, before.maxId)) !== before.md5) {
        problems.push(`${table}: rows that existed before the fuzz changed (only appends are by design: ${design.why})`);
        continue;
      }
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM public."${table}" WHERE id > $1 AND NOT (${design.newRows})`, [before.maxId]);
      const [{ kinds }] = await t.db.query(
        `SELECT string_agg(k, ', ') AS kinds FROM (SELECT DISTINCT ${table === 'audit_events' ? 'action' : `'row'`} AS k FROM public."${table}" WHERE id > $1 AND NOT (${design.newRows})) x`,
        [before.maxId],
      );
      if (n > 0) problems.push(`${table}: ${n} new rows not of the kind named (${design.newRows}): ${kinds}`);
    }
    for (const table of Object.keys(o.after)) if (!o.before[table]) problems.push(`${table}: new table`);
    expect(problems).toEqual([]);
  });

  // Last, because it changes data: the single-defect inputs (NUL in one field, a bad id in the path) only test
  // what they claim if the rest of the body gets past validation.
  it('builds base bodies the API finds well-formed, so single-defect inputs reach the code behind validation', async () => {
    const factory = new InputFactory(doc, f, t.clock.now().getTime());
    const owner = (template: string): CredName =>
      template.startsWith('/v1/admin') ? 'admin' : template.startsWith('/v1/audit') ? 'auditor' : template.startsWith('/v1/retailer') ? 'pos_key'
        : template.startsWith('/v1/recycler') ? 'recycler_key' : template.startsWith('/v1/household') || template === '/v1/auth/logout' ? 'household' : 'none';
    const client = new FuzzClient(port, 1);
    const malformed: string[] = [];
    // revocations and the logout last, so the credentials they end are not needed afterwards
    const ops = operations(doc).filter((op) => op.body && (!ONLY || ONLY.test(op.key)))
      .sort((a, b) => Number(/revoke|logout/.test(a.key)) - Number(/revoke|logout/.test(b.key)));
    for (const op of ops) {
      const res = await client.send(wire({ input: { ...factory.plain(op), ordinal: 0 }, cred: owner(op.template) }, f, 9_000_000 + malformed.length));
      if (res.status === 400 && problemCode(res) === 'validation_failed') malformed.push(`${op.key}: ${res.text.slice(0, 300)}`);
      if (PROFILE) PROFILE.set(`base ${op.key} → ${res.status} ${res.status >= 400 ? problemCode(res) : ''}`, { n: 1, ms: 0 });
    }
    client.close();
    if (PROFILE) console.log([...PROFILE.keys()].filter((k) => k.startsWith('base ')).join('\n'));
    expect(malformed).toEqual([]);
  });
});
