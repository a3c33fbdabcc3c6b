/**
 * What an error may say in a log line. Database errors carry the whole SQL statement with its parameters
 * (password hashes, phones, bank accounts, ID-number hashes) and PostgreSQL messages can quote values
 * (`invalid input syntax for type uuid: "…"`), so a logged error keeps only what identifies the failure:
 * its class, SQLSTATE, constraint, table and column, the statement's verb and table, and the stack frames.
 * Any other message is scrubbed of anything that looks like a secret or personal data.
 */

const SECRET_PATTERNS: RegExp[] = [
  /\$argon2[a-z]*\$[^\s"',]*/gi, // password hashes
  /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, // JWTs / JWS
  /\bhx_[A-Za-z0-9_-]{8,}/g, // our API keys
  /\bsk_(?:live|test)_[A-Za-z0-9]+/g, // Stripe keys
  /[A-Za-z0-9_-]{32,}/g, // long random tokens, hashes
  /\d{7,}[Xx]?/g, // phones, ID numbers, bank accounts: long digit runs
  /\b\d{3,6}[ -]\d{3,8}[ -]\d{3,8}\b/g, // …and the same written in groups
  /[^\s@"'<>]+@[^\s@"'<>]+\.[A-Za-z]{2,}/g, // e-mail addresses
];

/** Ids are not secrets, and an operator needs them: UUIDs are kept, the text between them is scrubbed. */
const UUIDS = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

export function scrubText(s: string, max = 300): string {
  const text = s.length > max ? `${s.slice(0, max)}…` : s;
  // split with a capturing group: odd parts are the UUIDs themselves
  return text.split(UUIDS).map((part, i) => {
    if (i % 2 === 1) return part;
    let out = part;
    for (const re of SECRET_PATTERNS) out = out.replace(re, '[redacted]');
    return out;
  }).join('');
}

/** `INSERT INTO users (…) VALUES ($1…)` → `INSERT INTO users`: which statement failed, never its values. */
export function statementName(sql: string): string {
  const m = /^\s*(?:WITH\s+[a-z_]+\s+AS\s+\(\s*)?(SELECT|INSERT\s+INTO\s+[a-z_."]+|UPDATE\s+[a-z_."]+|DELETE\s+FROM\s+[a-z_."]+|[A-Z]+)/i.exec(sql);
  return m ? m[1].replace(/\s+/g, ' ') : 'statement';
}

const DB_FIELDS = ['code', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine', 'severity'] as const;

interface ErrorLike {
  name?: string;
  message?: string;
  stack?: string;
  code?: unknown;
  query?: unknown;
  driverError?: Record<string, unknown>;
  [k: string]: unknown;
}

/** What safeError made: already safe, passed through unchanged when it meets the serializer again. */
const SAFE = new WeakSet<object>();

/** pino serializer for `err` (and any Error value logged): safe to write anywhere. */
export function safeError(value: unknown): Record<string, unknown> {
  if (value && typeof value === 'object' && SAFE.has(value)) return value as Record<string, unknown>;
  if (!(value instanceof Error)) {
    return value && typeof value === 'object' ? { type: 'non-error object' } : { type: typeof value, value: scrubText(String(value), 100) };
  }
  const err = value as unknown as ErrorLike;
  const out: Record<string, unknown> = { type: err.constructor?.name ?? err.name ?? 'Error' };
  const driver = (err.driverError ?? err) as Record<string, unknown>;
  const fromDatabase = typeof err.query === 'string' || (typeof driver.code === 'string' && /^[0-9A-Z]{5}$/.test(driver.code) && 'severity' in driver);
  for (const f of DB_FIELDS) {
    const v = driver[f];
    if (typeof v === 'string' || typeof v === 'number') out[f] = v;
  }
  if (typeof err.query === 'string') out.statement = statementName(err.query);
  if (!fromDatabase && typeof err.message === 'string') out.message = scrubText(err.message);
  if (typeof err.stack === 'string') {
    // the first line of a stack repeats the message: keep the frames only
    out.stack = err.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 15).join('\n');
  }
  SAFE.add(out);
  return out;
}

/**
 * pino `hooks.logMethod`: pino takes an Error's message as the line's `msg` when no message is given
 * (`logger.error(err)`, `logger.error({ err })`), and a database error's message can quote a value. An Error
 * logged alone becomes `{ err }` with a fixed message, and every string message is scrubbed.
 */
export function safeLogMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void): void {
  let out = args;
  if (out[0] instanceof Error) out = [{ err: out[0] }, ...out.slice(1)];
  const first = out[0];
  const hasError = !!first && typeof first === 'object' && Object.values(first as object).some((v) => v instanceof Error);
  if (hasError && typeof out[1] !== 'string') out = [first, 'error', ...out.slice(2)];
  out = out.map((a, i) => (typeof a === 'string' && (i > 0 || typeof first === 'string') ? scrubText(a, 2000) : a));
  method.apply(this, out);
}

/** pino `formatters.log`: any Error among the top-level fields of a log call goes through safeError. */
export function safeLogFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      out ??= { ...obj };
      out[k] = safeError(v);
    }
  }
  return out ?? obj;
}
