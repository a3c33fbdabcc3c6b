import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** A problem+json answer (API.md): `code` is stable, `detail` is for people, `errors` name fields. */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.code);
  }
}

/** The access token lives here, in memory only (never localStorage); the refresh token is an httpOnly cookie. */
let accessToken: string | undefined;
let onExpired: (() => Promise<string | undefined>) | undefined;
const retried = new WeakSet<Request>();
const originals = new WeakMap<Request, Request>();

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}

export function hasAccessToken(): boolean {
  return accessToken !== undefined;
}

/** How to get a fresh access token when one expires under a request (the session's refresh); once per request. */
export function setRefresher(refresh: (() => Promise<string | undefined>) | undefined): void {
  onExpired = refresh;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken && !request.headers.has('Authorization') && !request.headers.has('X-Api-Key')) {
      request.headers.set('Authorization', `Bearer ${accessToken}`);
    }
    originals.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || !onExpired || retried.has(request) || !request.headers.get('Authorization')?.startsWith('Bearer ')) return response;
    const original = originals.get(request);
    const token = await onExpired();
    if (!token || !original) return response;
    const again = new Request(original, { headers: new Headers(original.headers) });
    again.headers.set('Authorization', `Bearer ${token}`);
    retried.add(again);
    return fetch(again);
  },
};

export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

/** The data of an openapi-fetch result, or an ApiProblem with the server's problem+json (or a network problem). */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = result.error as Partial<Problem> | undefined;
  throw new ApiProblem({
    status: result.response.status,
    code: typeof body?.code === 'string' ? body.code : result.response.status >= 500 ? 'service_unavailable' : 'bad_request',
    detail: typeof body?.detail === 'string' ? body.detail : undefined,
    errors: Array.isArray(body?.errors) ? body.errors : undefined,
  });
}

/** Runs a call and turns a failed fetch (offline, dropped connection) into a problem the pages can show. */
export async function call<T>(fn: () => Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await fn();
  } catch (err) {
    if (err instanceof ApiProblem) throw err;
    throw new ApiProblem({ status: 0, code: 'network_error', detail: err instanceof Error ? err.message : String(err) });
  }
  return unwrap(result);
}

/** A new Idempotency-Key: made once per sale (or per action), reused by every retry of it. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export const PORTAL_HEADER = { 'x-huanxin-portal': '1' } as const;
