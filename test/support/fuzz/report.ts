import type { WireRequest, WireResponse } from './client';

export type FailureKind = 'server error (5xx)' | 'no response' | '4xx not problem+json' | 'mutation accepted (2xx)';

export interface Failure {
  kind: FailureKind;
  op: string;
  method: string;
  template: string;
  cred: string;
  status: number;
  code: string;
  request: WireRequest;
  response: WireResponse;
  /** the class of input: `corpus: <class>` or `random` */
  source: string;
  /** what the generator did, and why the request had to be refused */
  what: string;
  why?: string;
  /** the server's own account: the error logged under the request id */
  cause?: string;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
/** Printable: control characters, lone surrogates and non-ASCII escaped, so the report survives any terminal. */
// eslint-disable-next-line no-control-regex -- control characters are what it escapes
const visible = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function problemCode(res: WireResponse): string {
  try {
    const body = JSON.parse(res.text);
    return typeof body?.code === 'string' ? body.code : '(no code)';
  } catch {
    return res.text ? '(not JSON)' : '(empty)';
  }
}

/** A bearer token's claims, when it is a JWT: what a forged token claimed. */
function jwtClaims(header: string): string {
  const parts = header.replace(/^Bearer /, '').split('.');
  if (parts.length !== 3) return '';
  try {
    return ` (claims ${visible(JSON.stringify(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))))})`;
  } catch {
    return '';
  }
}

/** The request as a reader can replay it: method, path, headers (credentials by role name), body. */
export function describeRequest(r: WireRequest, cred: string): string {
  // a role's credentials are named, not shown; garbage ones are shown, they are part of the input
  const headers = Object.entries(r.headers)
    .filter(([k]) => !(cred !== 'garbage' && ['authorization', 'x-api-key'].includes(k.toLowerCase())) && k.toLowerCase() !== 'x-request-id')
    .map(([k, v]) => `${k}: ${visible(clip(v, 120))}${k === 'Authorization' ? jwtClaims(v) : ''}`);
  // eslint-disable-next-line no-control-regex -- tab, LF and CR are printable here
  const printable = /^[\x09\x0a\x0d\x20-\x7e\u0080-\uffff]*$/;
  const body = r.body
    ? (printable.test(r.body.toString('utf8')) && !r.headers['Content-Encoding']
      ? visible(clip(r.body.toString('utf8'), 300))
      : `<${r.body.length} bytes: ${clip(r.body.toString('hex'), 120)}>`)
    : '(none)';
  return [`${r.method} ${clip(r.path, 300)}`, `  as: ${cred}`, ...headers.map((h) => `  ${h}`), `  body: ${body}`].join('\n');
}

/** The root cause of a failure, without what differs between requests (values, ids, numbers). */
function rootCause(f: Failure): string {
  const thrown = f.cause?.split(' || ')[0];
  if (thrown && !/non-error object/.test(thrown)) {
    return thrown.replace(/"[^"]*"/g, '"…"').replace(/\b\d+\b/g, 'N').replace(/ ← .*$/, '').replace(/\(\/[^)]*\/(libs|apps)\//g, '($1/');
  }
  return `${f.kind} ${f.status} ${f.code} on ${f.source.startsWith('corpus') ? f.source : 'random input'}`;
}

/** One line per root cause across routes: what to fix, how often, where. */
export function summariseCauses(failures: Failure[]): string {
  const byCause = new Map<string, Failure[]>();
  for (const f of failures) {
    const k = rootCause(f);
    byCause.set(k, [...(byCause.get(k) ?? []), f]);
  }
  const lines = [...byCause.entries()].sort(([, a], [, b]) => b.length - a.length).map(([cause, list]) => {
    const routes = [...new Set(list.map((f) => `${f.method} ${f.template}`))];
    const inputs = [...new Set(list.map((f) => f.source))];
    return `  ×${list.length} on ${routes.length} route(s): ${visible(clip(cause, 400))}\n      routes: ${clip(routes.join(', '), 400)}\n      inputs: ${visible(clip(inputs.join(', '), 300))}`;
  });
  return [`${byCause.size} root causes:`, ...lines].join('\n');
}

/** Fails with the grouped report when there is any failure. */
export function expectNoFailures(failures: Failure[], replay: string): void {
  if (failures.length) throw new Error(`${groupFailures(failures)}\n\n${replay}`);
}

/** Failures grouped by (kind, method, path, status, code), one reproducing example each. */
export function groupFailures(failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const f of failures) {
    const key = `${f.kind} | ${f.method} ${f.template} | ${f.status} | ${f.code}`;
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  const out: string[] = [summariseCauses(failures), '', `${failures.length} failing responses in ${groups.size} groups (kind | method path | status | code):`];
  for (const [key, list] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const ex = list.reduce((a, b) => (a.request.n < b.request.n ? a : b));
    const creds = [...new Set(list.map((f) => f.cred))].sort().join(',');
    out.push(
      '',
      `■ ${key}  ×${list.length}  (as: ${creds})`,
      `  generated: ${visible(clip(ex.what, 300))}${ex.why ? `\n  must refuse because: ${visible(ex.why)}` : ''}`,
      describeRequest(ex.request, ex.cred).split('\n').map((l) => `  ${l}`).join('\n'),
      `  → ${ex.response.status} ${ex.response.contentType || '(no content-type)'} ${ex.response.error ? `error: ${ex.response.error}` : visible(clip(ex.response.text, 300))}`,
      ...(ex.cause ? [`  server log: ${visible(clip(ex.cause, 900))}`] : []),
    );
  }
  return out.join('\n');
}

/** A thrown value as a line: its class, message, database code and the top of its stack. */
export function describeThrown(e: unknown): string {
  if (e === null || typeof e !== 'object') return `thrown ${typeof e}: ${String(e)}`;
  const err = e as { constructor?: { name?: string }; name?: string; message?: string; code?: string; stack?: string; driverError?: { code?: string; message?: string } };
  const frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).map((l) => l.trim().replace(/^at /, ''))
    .filter((l) => !/node_modules|node:internal/.test(l)).slice(0, 4);
  const code = err.driverError?.code ?? err.code;
  return [`${err.constructor?.name ?? err.name ?? 'object'}: ${err.message ?? ''}`, code ? `code ${code}` : '', frames.length ? `at ${frames.join(' ← ')}` : '']
    .filter(Boolean).join('; ');
}

/** The error lines logged under a request id: messages and the top of the stack. */
export function serverCause(logs: string[], requestId: string): string | undefined {
  const needle = `"${requestId}"`;
  const found: string[] = [];
  for (const line of logs) {
    if (!line.includes(needle)) continue;
    try {
      const entry = JSON.parse(line);
      const err = entry.err ?? entry.error;
      const stack = typeof err?.stack === 'string' ? err.stack.split('\n').slice(0, 6).map((s: string) => s.trim()).join(' | ') : undefined;
      found.push([entry.msg, err?.type, err?.message, stack].filter(Boolean).join(' — '));
    } catch {
      found.push(line.trim());
    }
  }
  return found.length ? [...new Set(found)].join(' || ') : undefined;
}
