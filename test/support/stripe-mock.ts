// A small Stripe-compatible HTTP server for tests: the real `stripe` SDK talks to it over node:http, so the
// settlement code is exercised exactly as in production (form-encoded bodies, Bearer auth, SDK retries with
// one Idempotency-Key) while Stripe itself is unreachable. Only the endpoints the settlement uses exist.
//
// Idempotency follows Stripe (https://docs.stripe.com/api/idempotent_requests): the first result of a POST
// that reached an endpoint is stored under (API key, Idempotency-Key) and replayed for the same parameters
// with `Idempotent-Replayed: true`; other parameters get a 400 `idempotency_error`; parameter validation
// failures are not stored; a second request while the first one runs gets a 409 (the SDK retries 409s).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Stripe from 'stripe';

// ---------------------------------------------------------------------------------------------- public types

/**
 * How the gateway misbehaves for one request. Without the `-after-create` suffix the request is lost before
 * anything happens; with it the request is executed normally (the transfer is created and its result stored
 * under the idempotency key) and only then is the answer lost, so the client must retry with the same key.
 * - `http500`: answer 500 `api_error` (the SDK retries 5xx).
 * - `timeout`: accept the request and never answer (the SDK gives up after its `timeout` and retries).
 * - `drop`: destroy the socket without an answer (the SDK sees ECONNRESET and retries).
 */
export type StripeMockFaultKind =
  | 'http500'
  | 'http500-after-create'
  | 'timeout'
  | 'timeout-after-create'
  | 'drop'
  | 'drop-after-create';

/** Which requests a fault applies to; omitted fields match everything. A string path must equal the pathname. */
export interface StripeMockFaultScope {
  method?: string;
  path?: string | RegExp;
}

export interface StripeMockAccountOptions {
  /** Capability states; transfers to the account need `transfers: 'active'` (the default). */
  capabilities?: { transfers?: 'active' | 'inactive' | 'pending' };
  /** Reported on the account object only (Stripe accepts transfers to accounts whose payouts are paused). */
  payoutsEnabled?: boolean;
}

export interface StripeMockAccount {
  id: string;
  object: 'account';
  capabilities: { transfers: 'active' | 'inactive' | 'pending' };
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  type: 'express';
  country: string;
  default_currency: string;
  metadata: Record<string, string>;
  created: number;
}

/** One HTTP request as the server saw it. */
export interface StripeMockRequest {
  seq: number;
  method: string;
  /** Pathname without the query string, e.g. `/v1/transfers`. */
  path: string;
  /** Parsed form body (POST) or query string (GET). */
  params: Record<string, unknown>;
  idempotencyKey: string | null;
  /** Status sent, or null when no answer was sent (a `timeout*` or `drop*` fault, or still in progress). */
  status: number | null;
  /** True when the answer was an idempotent replay of a stored result. */
  replayed: boolean;
  fault: StripeMockFaultKind | null;
}

export interface StripeMockEvent<T = unknown> {
  id: string;
  object: 'event';
  type: string;
  api_version: string;
  created: number;
  data: { object: T; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  /** Set for events that happen on a connected account (e.g. `payout.paid`). */
  account?: string;
}

export interface StripeMockOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Delay before each request is executed; with it, concurrent requests with one key meet the 409 path. */
  latencyMs?: number;
  /** Unix seconds for `created` fields; default the wall clock. */
  now?: () => number;
}

export interface StripeClientOptions {
  /** maxNetworkRetries, default 3. */
  retries?: number;
  /** Per-attempt timeout in ms, default 2000. */
  timeoutMs?: number;
  /** Default `sk_test_mock`. */
  apiKey?: string;
}

// ------------------------------------------------------------------------------------------------- helpers

const API_VERSION: string = Stripe.API_VERSION;
const MAX_BODY_BYTES = 1 << 20;

function randomId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (const b of randomBytes(24)) out += alphabet[b % alphabet.length];
  return `${prefix}_${out}`;
}

const clone = <T>(value: T): T => structuredClone(value);

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Objects whose keys are exactly 0..n-1 (qs `indices` arrays: `expand[0]=a`) become arrays. */
function arraysFromIndices(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(arraysFromIndices);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) obj[k] = arraysFromIndices(obj[k]);
  const keys = Object.keys(obj);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => obj[k]);
  return obj;
}

/**
 * Parses `application/x-www-form-urlencoded` as the SDK writes it (qs, brackets left literal):
 * `amount=100&metadata[runId]=r1&expand[0]=destination` → `{amount: '100', metadata: {runId: 'r1'}, expand: ['destination']}`.
 * `a[]=x` appends. Values stay strings; the endpoint converts them.
 */
export function parseStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    const path = m ? [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((g) => g[1])] : [rawKey];
    if (path.some((seg) => FORBIDDEN_KEYS.has(seg))) continue;
    let node = root;
    for (const seg of path.slice(0, -1)) {
      let child = node[seg];
      if (child === null || typeof child !== 'object') {
        child = {};
        node[seg] = child;
      }
      node = child as Record<string, unknown>;
    }
    const last = path[path.length - 1];
    node[last === '' ? String(Object.keys(node).length) : last] = value; // `a[]=x` appends
  }
  return arraysFromIndices(root) as Record<string, unknown>;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

interface StripeErrorBody {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error';
  message: string;
  code?: string;
  param?: string;
}

/** An answer with Stripe's error shape. `store`: the endpoint ran, so the result is kept for the idempotency key. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorBody,
    readonly store = false,
  ) {
    super(error.message);
  }
}

const paramMissing = (param: string) =>
  new ApiError(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` });

const noSuch = (what: string, id: string, param = 'id', store = false) =>
  new ApiError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${what}: '${id}'` }, store);

function positiveInteger(params: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    if (required) throw paramMissing(name);
    return undefined;
  }
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ApiError(400, {
      type: 'invalid_request_error',
      code: 'parameter_invalid_integer',
      param: name,
      message: `Invalid positive integer: ${String(raw)}`,
    });
  }
  return n;
}

function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') {
    throw new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid_string', param: name, message: `Invalid string: ${name}` });
  }
  return raw;
}

/** Metadata params: string values; on update an empty string deletes the key (Stripe's rule). */
function metadataParam(params: Record<string, unknown>): Record<string, string> | undefined {
  const raw = params.metadata;
  if (raw === undefined || raw === '') return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid_empty', param: 'metadata', message: 'Invalid hash' });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string' || k.length > 40 || v.length > 500) {
      throw new ApiError(400, { type: 'invalid_request_error', param: `metadata[${k}]`, message: `Invalid metadata value for key '${k}'` });
    }
    out[k] = v;
  }
  if (Object.keys(out).length > 50) {
    throw new ApiError(400, { type: 'invalid_request_error', param: 'metadata', message: 'Metadata can have at most 50 keys.' });
  }
  return out;
}

function mergeMetadata(into: Record<string, string>, update: Record<string, string>): void {
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete into[k];
    else into[k] = v;
  }
}

function listLimit(params: Record<string, unknown>): number {
  const limit = positiveInteger(params, 'limit', false) ?? 10;
  if (limit > 100) {
    throw new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'limit', message: 'This value must be less than or equal to 100.' });
  }
  return limit;
}

/** Stripe list semantics over `all` (newest first): `starting_after`/`ending_before` are object ids. */
function paginate<T extends { id: string }>(all: T[], params: Record<string, unknown>, url: string, what: string) {
  const limit = listLimit(params);
  const after = optionalString(params, 'starting_after');
  const before = optionalString(params, 'ending_before');
  let data: T[];
  let hasMore: boolean;
  if (after) {
    const i = all.findIndex((x) => x.id === after);
    if (i < 0) throw noSuch(what, after, 'starting_after');
    data = all.slice(i + 1, i + 1 + limit);
    hasMore = i + 1 + limit < all.length;
  } else if (before) {
    const i = all.findIndex((x) => x.id === before);
    if (i < 0) throw noSuch(what, before, 'ending_before');
    data = all.slice(Math.max(0, i - limit), i);
    hasMore = i - limit > 0;
  } else {
    data = all.slice(0, limit);
    hasMore = limit < all.length;
  }
  return { object: 'list' as const, data: clone(data), has_more: hasMore, url };
}

interface Fault {
  remaining: number;
  kind: StripeMockFaultKind;
  scope: StripeMockFaultScope;
}

interface StoredResult {
  fingerprint: string;
  status: number;
  body: unknown;
  requestId: string;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  replayed: boolean;
}

const ROUTES: Array<{ method: string; pattern: RegExp; name: string }> = [
  { method: 'POST', pattern: /^\/v1\/transfers$/, name: 'createTransfer' },
  { method: 'GET', pattern: /^\/v1\/transfers$/, name: 'listTransfers' },
  { method: 'GET', pattern: /^\/v1\/transfers\/([^/]+)$/, name: 'retrieveTransfer' },
  { method: 'POST', pattern: /^\/v1\/transfers\/([^/]+)$/, name: 'updateTransfer' },
  { method: 'POST', pattern: /^\/v1\/transfers\/([^/]+)\/reversals$/, name: 'createReversal' },
  { method: 'GET', pattern: /^\/v1\/transfers\/([^/]+)\/reversals$/, name: 'listReversals' },
  { method: 'GET', pattern: /^\/v1\/transfers\/([^/]+)\/reversals\/([^/]+)$/, name: 'retrieveReversal' },
  { method: 'GET', pattern: /^\/v1\/accounts\/([^/]+)$/, name: 'retrieveAccount' },
  { method: 'GET', pattern: /^\/v1\/balance$/, name: 'retrieveBalance' },
];

// ---------------------------------------------------------------------------------------------- the server

export class StripeMock {
  readonly host: string;
  port = 0;
  latencyMs: number;

  private server: Server | null = null;
  private readonly now: () => number;
  private readonly openSockets = new Set<Socket>();
  private accounts = new Map<string, StripeMockAccount>();
  private transferList: Stripe.Transfer[] = [];
  private requestLog: StripeMockRequest[] = [];
  private eventLog: StripeMockEvent[] = [];
  private faults: Fault[] = [];
  private stored = new Map<string, StoredResult>();
  private inFlight = new Set<string>();
  private available: number | null = null;
  private seq = 0;

  constructor(private readonly options: StripeMockOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.latencyMs = options.latencyMs ?? 0;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Every transfer created, oldest first, as it stands now (reversals included). Copies. */
  get transfers(): Stripe.Transfer[] {
    return clone(this.transferList);
  }

  /** Every request received, in arrival order. Copies. */
  get requests(): StripeMockRequest[] {
    return clone(this.requestLog);
  }

  /** Events Stripe would have sent for what happened (`transfer.created`, `transfer.updated`, `transfer.reversed`). */
  get events(): StripeMockEvent[] {
    return clone(this.eventLog);
  }

  /** Faults still armed (sum of remaining counts). */
  get pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  /** Available balance in minor units, or null when unlimited (the default). */
  get balance(): number | null {
    return this.available;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    // The SDK's agent keeps connections alive; Node's 5 s server default would sometimes close one just as the
    // SDK reuses it (an ECONNRESET the SDK retries even with maxNetworkRetries 0). stop() closes them all.
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.openSockets.add(socket);
      socket.on('close', () => this.openSockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the server and every connection, including requests held by `timeout` faults. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.openSockets) socket.destroy();
    server.closeAllConnections();
    await closed;
  }

  /**
   * Registers a connected account (`acct_…`) that transfers may go to; registering an id again replaces it.
   * Without an id a random one is made. Returns the id.
   */
  addAccount(id: string = randomId('acct'), opts: StripeMockAccountOptions = {}): string {
    if (!id.startsWith('acct_')) throw new Error(`Stripe account ids start with acct_: ${id}`);
    this.accounts.set(id, {
      id,
      object: 'account',
      capabilities: { transfers: opts.capabilities?.transfers ?? 'active' },
      charges_enabled: true,
      payouts_enabled: opts.payoutsEnabled ?? true,
      details_submitted: true,
      type: 'express',
      country: 'CN',
      default_currency: 'cny',
      metadata: {},
      created: this.now(),
    });
    return id;
  }

  /** Limits the platform's available balance (minor units); transfers above it are refused with `balance_insufficient`. null = unlimited. */
  setBalance(amount: number | null): void {
    if (amount !== null && (!Number.isSafeInteger(amount) || amount < 0)) throw new Error(`bad balance ${amount}`);
    this.available = amount;
  }

  /** The next `n` requests matching `scope` suffer `kind` (see StripeMockFaultKind). Faults queue in order. */
  failNext(n: number, kind: StripeMockFaultKind, scope: StripeMockFaultScope = {}): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`failNext needs a positive count, got ${n}`);
    this.faults.push({ remaining: n, kind, scope });
  }

  /**
   * Forgets transfers, requests, events, stored idempotent results, faults and the balance limit.
   * Accounts stay registered unless `accounts: true`.
   */
  reset(opts: { accounts?: boolean } = {}): void {
    this.transferList = [];
    this.requestLog = [];
    this.eventLog = [];
    this.faults = [];
    this.stored.clear();
    this.inFlight.clear();
    this.available = null;
    if (opts.accounts) this.accounts.clear();
  }

  /** A Stripe event envelope around `object`, e.g. `mock.event('transfer.reversed', transfer)`. */
  event<T>(type: string, object: T, opts: { account?: string; previousAttributes?: Record<string, unknown> } = {}): StripeMockEvent<T> {
    const evt: StripeMockEvent<T> = {
      id: randomId('evt'),
      object: 'event',
      type,
      api_version: API_VERSION,
      created: this.now(),
      data: { object: clone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    };
    if (opts.previousAttributes) evt.data.previous_attributes = clone(opts.previousAttributes);
    if (opts.account) evt.account = opts.account;
    return evt;
  }

  // ---------------------------------------------------------------------------------------- request path

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://stripe.mock');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const params = parseStripeForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw);
    const key = header(req, 'idempotency-key');
    const entry: StripeMockRequest = {
      seq: ++this.seq,
      method,
      path,
      params,
      idempotencyKey: key,
      status: null,
      replayed: false,
      fault: null,
    };
    this.requestLog.push(entry);

    const fault = this.takeFault(method, path);
    entry.fault = fault;
    if (fault && !fault.endsWith('-after-create')) {
      this.misbehave(fault, req, res, entry);
      return;
    }

    const answer = await this.answer(req, method, path, params, key);
    entry.replayed = answer.replayed;
    if (fault) {
      this.misbehave(fault, req, res, entry);
      return;
    }
    entry.status = answer.status;
    if (res.destroyed) return;
    const body = JSON.stringify(answer.body, null, 2);
    res.writeHead(answer.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Stripe-Version': header(req, 'stripe-version') ?? API_VERSION,
      ...answer.headers,
    });
    res.end(body);
  }

  private misbehave(kind: StripeMockFaultKind, req: IncomingMessage, res: ServerResponse, entry: StripeMockRequest): void {
    if (kind === 'http500' || kind === 'http500-after-create') {
      entry.status = 500;
      const body = JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred (injected by the Stripe mock).' } });
      res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Request-Id': randomId('req') });
      res.end(body);
    } else if (kind === 'drop' || kind === 'drop-after-create') {
      req.socket.destroy();
    }
    // timeout: keep the socket open and never answer; the client gives up, or stop() closes it
  }

  private takeFault(method: string, path: string): StripeMockFaultKind | null {
    const fault = this.faults.find(
      (f) =>
        (!f.scope.method || f.scope.method.toUpperCase() === method) &&
        (f.scope.path === undefined || (typeof f.scope.path === 'string' ? f.scope.path === path : f.scope.path.test(path))),
    );
    if (!fault) return null;
    if (--fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault.kind;
  }

  /** Auth, idempotency and the endpoint: the answer the client should get (unless a fault eats it). */
  private async answer(req: IncomingMessage, method: string, path: string, params: Record<string, unknown>, key: string | null): Promise<Answer> {
    const requestId = randomId('req');
    const fail = (e: ApiError): Answer => ({
      status: e.status,
      body: { error: e.error },
      headers: { 'Request-Id': requestId },
      replayed: false,
    });

    const auth = header(req, 'authorization');
    const apiKey = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
    if (!apiKey) {
      return fail(
        new ApiError(401, {
          type: 'invalid_request_error',
          message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        }),
      );
    }
    if (!apiKey.startsWith('sk_')) {
      return fail(new ApiError(401, { type: 'invalid_request_error', code: 'api_key_invalid', message: `Invalid API Key provided: ${apiKey.slice(0, 8)}****` }));
    }

    const idempotent = method === 'POST' && key !== null;
    if (idempotent && key.length > 255) {
      return fail(new ApiError(400, { type: 'invalid_request_error', message: 'Idempotency-Key must be at most 255 characters long.' }));
    }
    const scopeKey = `${apiKey}\u0000${header(req, 'stripe-account') ?? ''}\u0000${key}`;
    const fingerprint = `${method} ${path} ${canonical(params)}`;
    const keyHeaders: Record<string, string> = idempotent ? { 'Idempotency-Key': key } : {};

    if (idempotent) {
      const prior = this.stored.get(scopeKey);
      if (prior) {
        if (prior.fingerprint !== fingerprint) {
          return fail(
            new ApiError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            }),
          );
        }
        return {
          status: prior.status,
          body: clone(prior.body),
          headers: { 'Request-Id': requestId, 'Original-Request': prior.requestId, 'Idempotent-Replayed': 'true', ...keyHeaders },
          replayed: true,
        };
      }
      if (this.inFlight.has(scopeKey)) {
        return {
          ...fail(
            new ApiError(409, {
              type: 'idempotency_error',
              code: 'idempotency_key_in_use',
              message: 'There is currently another in-progress request using this Idempotency Key. Please try again later.',
            }),
          ),
          headers: { 'Request-Id': requestId, 'Stripe-Should-Retry': 'true', ...keyHeaders },
        };
      }
      this.inFlight.add(scopeKey);
    }

    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      let status = 200;
      let body: unknown;
      let store = true;
      try {
        body = this.route(method, path, params, key);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        status = e.status;
        body = { error: e.error };
        store = e.store;
      }
      if (idempotent && store) this.stored.set(scopeKey, { fingerprint, status, body: clone(body), requestId });
      return { status, body, headers: { 'Request-Id': requestId, ...keyHeaders }, replayed: false };
    } catch (e) {
      return fail(new ApiError(500, { type: 'api_error', message: `Stripe mock bug: ${(e as Error).message}` }));
    } finally {
      if (idempotent) this.inFlight.delete(scopeKey);
    }
  }

  private route(method: string, path: string, params: Record<string, unknown>, key: string | null): unknown {
    for (const r of ROUTES) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      const [a = '', b = ''] = m.slice(1).map(decodeComponent);
      switch (r.name) {
        case 'createTransfer':
          return this.createTransfer(params, key);
        case 'listTransfers':
          return this.listTransfers(params);
        case 'retrieveTransfer':
          return clone(this.findTransfer(a, false));
        case 'updateTransfer':
          return this.updateTransfer(a, params);
        case 'createReversal':
          return this.createReversal(a, params, key);
        case 'listReversals':
          return paginate(this.findTransfer(a, false).reversals.data, params, `/v1/transfers/${a}/reversals`, 'transfer reversal');
        case 'retrieveReversal': {
          const rev = this.findTransfer(a, false).reversals.data.find((x) => x.id === b);
          if (!rev) throw noSuch('transfer reversal', b);
          return clone(rev);
        }
        case 'retrieveAccount': {
          const acct = this.accounts.get(a);
          if (!acct) throw noSuch('account', a, 'account');
          return clone(acct);
        }
        case 'retrieveBalance': {
          const amount = this.available ?? Number.MAX_SAFE_INTEGER;
          return { object: 'balance', available: [{ amount, currency: 'cny', source_types: { card: amount } }], pending: [], livemode: false };
        }
      }
    }
    throw new ApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). The Stripe mock implements transfers, reversals, accounts/:id and balance only.`,
    });
  }

  // ----------------------------------------------------------------------------------------------- endpoints

  private createTransfer(params: Record<string, unknown>, key: string | null): Stripe.Transfer {
    const amount = positiveInteger(params, 'amount', true) as number;
    const currencyRaw = optionalString(params, 'currency');
    if (!currencyRaw) throw paramMissing('currency');
    if (!/^[a-zA-Z]{3}$/.test(currencyRaw)) {
      throw new ApiError(400, { type: 'invalid_request_error', code: 'parameter_invalid_string', param: 'currency', message: `Invalid currency: ${currencyRaw.toLowerCase()}` });
    }
    const destination = optionalString(params, 'destination');
    if (!destination) throw paramMissing('destination');
    const transferGroup = optionalString(params, 'transfer_group') || null;
    const description = optionalString(params, 'description') || null;
    const metadata = metadataParam(params) ?? {};

    // From here the endpoint is executing: refusals are stored under the idempotency key, as Stripe does.
    const account = this.accounts.get(destination);
    if (!account) {
      throw new ApiError(400, { type: 'invalid_request_error', code: 'account_invalid', param: 'destination', message: `No such destination: '${destination}'` }, true);
    }
    if (account.capabilities.transfers !== 'active') {
      throw new ApiError(
        400,
        {
          type: 'invalid_request_error',
          code: 'insufficient_capabilities_for_transfer',
          param: 'destination',
          message: 'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        },
        true,
      );
    }
    if (this.available !== null && amount > this.available) {
      throw new ApiError(
        400,
        {
          type: 'invalid_request_error',
          code: 'balance_insufficient',
          message: 'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.',
        },
        true,
      );
    }
    if (this.available !== null) this.available -= amount;

    const id = randomId('tr');
    const transfer: Stripe.Transfer = {
      id,
      object: 'transfer',
      amount,
      amount_reversed: 0,
      balance_transaction: randomId('txn'),
      created: this.now(),
      currency: currencyRaw.toLowerCase(),
      description,
      destination,
      destination_payment: randomId('py'),
      livemode: false,
      metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== '')),
      reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
      reversed: false,
      source_transaction: null,
      source_type: 'card',
      transfer_group: transferGroup,
    };
    this.transferList.push(transfer);
    this.record('transfer.created', transfer, key);
    return clone(transfer);
  }

  private listTransfers(params: Record<string, unknown>) {
    const group = optionalString(params, 'transfer_group');
    const destination = optionalString(params, 'destination');
    const newestFirst = [...this.transferList]
      .reverse()
      .filter((t) => (group === undefined || t.transfer_group === group) && (destination === undefined || t.destination === destination));
    return paginate(newestFirst, params, '/v1/transfers', 'transfer');
  }

  private findTransfer(id: string, store: boolean): Stripe.Transfer {
    const t = this.transferList.find((x) => x.id === id);
    if (!t) throw noSuch('transfer', id, 'id', store);
    return t;
  }

  private updateTransfer(id: string, params: Record<string, unknown>): Stripe.Transfer {
    const t = this.findTransfer(id, true);
    const previous: Record<string, unknown> = {};
    const description = optionalString(params, 'description');
    const metadata = metadataParam(params);
    if (description !== undefined) {
      previous.description = t.description;
      t.description = description || null;
    }
    if (metadata) {
      previous.metadata = clone(t.metadata);
      mergeMetadata(t.metadata, metadata);
    }
    this.record('transfer.updated', t, null, previous);
    return clone(t);
  }

  private createReversal(id: string, params: Record<string, unknown>, key: string | null): Stripe.TransferReversal {
    const requested = positiveInteger(params, 'amount', false);
    const metadata = metadataParam(params) ?? {};
    const t = this.findTransfer(id, true);
    const remaining = t.amount - t.amount_reversed;
    const amount = requested ?? remaining;
    if (remaining === 0 || amount > remaining) {
      throw new ApiError(
        400,
        {
          type: 'invalid_request_error',
          code: 'amount_too_large',
          param: 'amount',
          message:
            remaining === 0
              ? `Transfer ${t.id} has already been reversed.`
              : `Amount ${amount} is greater than the amount that can still be reversed on transfer ${t.id} (${remaining}).`,
        },
        true,
      );
    }
    const reversal: Stripe.TransferReversal = {
      id: randomId('trr'),
      object: 'transfer_reversal',
      amount,
      balance_transaction: randomId('txn'),
      created: this.now(),
      currency: t.currency,
      destination_payment_refund: randomId('pyr'),
      metadata: Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== '')),
      source_refund: null,
      transfer: t.id,
    };
    t.amount_reversed += amount;
    t.reversed = t.amount_reversed === t.amount;
    t.reversals.data.unshift(reversal);
    if (this.available !== null) this.available += amount;
    this.record('transfer.reversed', t, key);
    return clone(reversal);
  }

  private record(type: string, object: unknown, key: string | null, previous?: Record<string, unknown>): void {
    const evt = this.event(type, object, previous ? { previousAttributes: previous } : {});
    evt.request = { id: null, idempotency_key: key };
    this.eventLog.push(evt);
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ------------------------------------------------------------------------------------------- entry points

/** Starts a mock on 127.0.0.1 and a free port. Remember `await mock.stop()` in afterAll. */
export async function startStripeMock(options: StripeMockOptions = {}): Promise<StripeMock> {
  return new StripeMock(options).start();
}

/** The `new Stripe(key, config)` config that points the real SDK at `mock` (for code that builds its own client). */
export function stripeMockConfig(mock: Pick<StripeMock, 'host' | 'port'>, opts: StripeClientOptions = {}): Stripe.StripeConfig {
  return {
    host: mock.host,
    port: mock.port,
    protocol: 'http',
    maxNetworkRetries: opts.retries ?? 3,
    timeout: opts.timeoutMs ?? 2000,
    telemetry: false,
  };
}

/** A real SDK client talking to `mock`. */
export function mockStripeClient(mock: Pick<StripeMock, 'host' | 'port'>, opts: StripeClientOptions = {}): Stripe {
  return new Stripe(opts.apiKey ?? 'sk_test_mock', stripeMockConfig(mock, opts));
}

/**
 * Signs `payload` as Stripe signs webhooks, with the SDK's own helper, so `stripe.webhooks.constructEvent(body,
 * header, secret)` accepts it. Send `body` byte for byte (the signature covers the raw body) with the
 * `Stripe-Signature: header` header. `timestamp` is in Unix seconds (default now).
 */
export function signWebhook(payload: object, secret: string, timestamp?: number): { body: string; header: string } {
  const body = JSON.stringify(payload, null, 2);
  const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp });
  return { body, header };
}
