/** PostgreSQL error helpers: constraint names are how the domain learns which promise the database kept. */
export function pgCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: string; driverError?: { constraint?: string } };
  return e?.driverError?.constraint ?? e?.constraint;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === '23505' && (constraint === undefined || pgConstraint(err) === constraint);
}

export function isCheckViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === '23514' && (constraint === undefined || pgConstraint(err) === constraint);
}

/**
 * TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with `[rows, affectedCount]` and
 * INSERT/SELECT with `rows`: this gives the rows either way.
 */
export function returnedRows<T = any>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETUNREACH']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
  'the database system is starting up',
  'the database system is shutting down',
  'terminating connection due to administrator command',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/**
 * True when the error means "the database cannot be reached right now" rather than "this request is
 * wrong": connection refused or dropped, the pool timed out waiting for a connection, the server is
 * starting or shutting down (SQLSTATE class 08, 57P01–57P03), too many connections (53300), or a
 * statement cancelled by statement_timeout (57014). The API answers these 503 with Retry-After.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNAVAILABLE_NET_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014'].includes(code))) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}
