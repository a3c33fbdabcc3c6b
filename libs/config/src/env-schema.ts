import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { customCleanEnv, EnvMissingError } from 'envalid';
import type { CleanedEnv } from 'envalid';
import { devSecret } from './dev-secrets';
import { aes256Key, byteSize, ConfigError, currency, ed25519PrivateKey, flag, int, matching, oneOf, secret, text, url } from './validators';

export type Env = Record<string, string | undefined>;

/** Leading and trailing spaces are dropped before the value is read (so blank counts as unset). */
const trimmed = <S extends object>(spec: S) => ({ ...spec, trim: true as const });
/** Set to the empty string means something of its own (otherwise empty counts as unset). */
const emptyIsSet = <S extends object>(spec: S) => ({ ...spec, emptyIsSet: true as const });
/**
 * A key that must survive restarts: production must bring it (no default there); elsewhere it is generated once
 * into DATA_DIR/dev-secrets.json so `npm start` works with no set-up (loadConfig calls generatedSecret()).
 */
const generated = <S extends object>(spec: S, generate: () => string) => ({ ...spec, generate });
const randomKey = () => randomBytes(32).toString('base64url');
const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** An IBAN or a domestic account number; not echoed in messages (it is the programme's bank account). */
const bankAccount = matching(/^[A-Za-z0-9]{5,34}$/, '5-34 letters and digits', { secret: true });

/**
 * Every environment variable the platform reads, in one table: its validator (type and range), default and
 * meaning. A default of `undefined` is either "unset means none" or a default derived from other variables,
 * computed where loadConfig maps this table to AppConfig. README.md's configuration tables list exactly these
 * names (env-schema.spec.ts). Nothing outside libs/config reads process.env (STYLE.md).
 */
export const ENV_SCHEMA = {
  NODE_ENV: text({ default: 'development', desc: '`production` requires the secrets and turns the demo seed off' }),
  CI: text({ default: undefined, desc: 'set by CI services: LOG_FORMAT then defaults to json' }),
  DATA_DIR: text({ default: './.data', desc: 'embedded database, generated dev secrets, demo credentials and keys' }),
  PORT: int(0, 65535)({ default: 3000, desc: 'port the API listens on' }),
  HOST: text({ default: '127.0.0.1', desc: 'address the API listens on' }),
  PUBLIC_URL: url('an http:// or https:// URL', 'http', 'https')({ default: undefined, desc: "the API's own address, printed at start (default http://HOST:PORT)" }),
  DATABASE_URL: url('a postgres:// URL', 'postgres', 'postgresql')({ default: undefined, desc: 'PostgreSQL to use; unset starts an embedded server under DATA_DIR/pg' }),
  EMBEDDED_PG_PORT: int(1024, 65535)({ default: 54320, desc: 'port of the embedded PostgreSQL' }),
  DB_POOL_SIZE: int(1, 1000)({ default: 20, desc: 'API connection pool' }),
  WORKER_DB_POOL_SIZE: int(1, 1000)({ default: 5, desc: 'worker connection pool' }),
  IDEMPOTENCY_PURGE_INTERVAL_MS: int(1000)({ default: 3600000, desc: 'worker: purge of expired idempotency keys' }),
  VOUCHER_EXPIRY_INTERVAL_MS: int(100)({ default: 60000, desc: 'worker: how often expired vouchers give their reservation back' }),
  VOUCHER_EXPIRY_BATCH: int(1, 100000)({ default: 500, desc: 'worker: vouchers expired per transaction' }),
  VOUCHER_SLOTS: int(1, 256)({ default: 64, desc: "quota slots a city's day is released over, and ledger slot accounts its money is split over" }),
  VOUCHER_SLOT_SWEEP_INTERVAL_MS: int(100)({ default: 60000, desc: 'worker: how often the available money in ledger slots with no quota left today goes back to the city pool' }),
  DB_STATEMENT_TIMEOUT_MS: int(0)({ default: 30000, desc: 'PostgreSQL statement_timeout of every connection' }),
  EXPORT_TIMEOUT_MS: int(0)({ default: 600000, desc: 'how long one CSV export may run (its own statement_timeout; 0: no bound)' }),
  DB_CONNECT_TIMEOUT_MS: int(100, 600000)({ default: 10000, desc: 'how long a request waits for a database connection before it is answered 503' }),
  DATABASE_READ_URL: url('a postgres:// URL', 'postgres', 'postgresql')({ default: undefined, desc: 'a streaming read replica of DATABASE_URL for reports, summaries, the CSV export, public availability and the serial check (unset: everything reads the primary)' }),
  DATABASE_READ_POOL_SIZE: int(1, 1000)({ default: 10, desc: "the read replica's connection pool (per API process)" }),
  DATABASE_READ_CONNECT_TIMEOUT_MS: int(50, 60000)({ default: 1000, desc: 'how long a connection to the read replica may take before it counts as down (reads then go to the primary)' }),
  DATABASE_READ_MAX_LAG_MS: int(0, 3600000)({ default: 5000, desc: 'how far the read replica may be behind the primary before reads go to the primary' }),
  DATABASE_READ_CHECK_INTERVAL_MS: int(100, 600000)({ default: 1000, desc: "how often each API process checks the read replica's reachability and lag" }),
  UNAVAILABLE_RETRY_AFTER_SECONDS: int(1, 3600)({ default: 5, desc: 'Retry-After of a 503 service_unavailable' }),
  MIGRATE_ON_START: flag({ default: true, desc: 'apply pending migrations when a process starts' }),
  SEED_DEMO: flag({ default: false, devDefault: true, desc: 'seed the demo data on npm start (default: true unless production)' }),
  LOG_LEVEL: oneOf(LOG_LEVELS)({ default: 'info', desc: 'pino level' }),
  LOG_FORMAT: oneOf(['pretty', 'json'])({ default: undefined, desc: 'pretty: one short coloured line per request; json: one object a line (default: pretty in development outside CI)' }),
  BODY_MAX_DEPTH: int(2, 1000)({ default: 32, desc: 'deepest nesting a JSON body may have (400 beyond)' }),
  BODY_MAX_ELEMENTS: int(10, 10_000_000)({ default: 10000, desc: 'most values a JSON body may have (400 beyond)' }),
  BODY_LIMIT: byteSize({ default: '100kb', desc: 'largest JSON body' }),
  JWT_SECRET: generated(secret({ devDefault: undefined, desc: 'HS256 key of access tokens' }), randomKey),
  JWT_ACCESS_TTL_SECONDS: int(30)({ default: 900, desc: 'access token lifetime' }),
  REFRESH_TTL_SECONDS: int(60)({ default: 30 * 24 * 3600, desc: 'refresh token lifetime (30 days)' }),
  ID_HASH_SECRET: generated(secret({ devDefault: undefined, desc: 'HMAC key of stored ID numbers (never change it in production)' }), randomKey),
  BOOTSTRAP_ADMIN_EMAIL: text({ default: undefined, desc: 'create this admin at start when no admin exists (with BOOTSTRAP_ADMIN_PASSWORD)' }),
  BOOTSTRAP_ADMIN_PASSWORD: text({ default: undefined, desc: 'password of BOOTSTRAP_ADMIN_EMAIL' }),
  RATE_LIMIT_WINDOW_MS: int(1000)({ default: 60000, desc: 'rate-limit window' }),
  RATE_LIMIT_LOGIN: int(1)({ default: 10, desc: 'log-in and refresh attempts per window and client address' }),
  RATE_LIMIT_REGISTER: int(1)({ default: 5, desc: 'registrations per window and address' }),
  RATE_LIMIT_VOUCHER: int(1)({ default: 10, desc: 'voucher requests per window and address' }),
  RATE_LIMIT_DEFAULT: int(1)({ default: 600, desc: 'every other request per window and address' }),
  IDEMPOTENCY_TTL_HOURS: int(1)({ default: 24, desc: 'how long an Idempotency-Key is remembered' }),
  IDEMPOTENCY_WAIT_MS: int(0)({ default: 5000, desc: 'how long a concurrent duplicate waits for the first before 409' }),
  IDEMPOTENCY_LOCK_MS: int(500)({ default: 60000, desc: 'how long a key whose owner died mid-request blocks retries before one takes it over' }),
  API_PROCESSES: int(1, 1024)({ default: 1, desc: 'API processes sharing the port (Node cluster, supervised); production: one per core given to the API' }),
  SHUTDOWN_GRACE_MS: int(0, 600000)({ default: 10000, desc: 'on SIGTERM/SIGINT, how long an API process lets in-flight requests finish before it closes their connections' }),
  REDIS_URL: url('a redis:// or rediss:// URL', 'redis', 'rediss')({ default: undefined, desc: 'Redis shared by every API process: rate limits and ended sign-ins (unset: each process counts alone)' }),
  REDIS_CONNECT_TIMEOUT_MS: int(50, 60000)({ default: 1000, desc: 'how long a connection to Redis may take before it counts as down' }),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60000)({ default: 200, desc: 'how long a rate-limit count may wait for Redis before the process counts alone' }),
  TOKEN_REVOCATION_POLL_MS: int(100, 60000)({ default: 2000, desc: 'how often each API process learns of ended sign-ins' }),
  TRADE_IN_DEBUG_DELAY_MS: int(0, 600000)({ default: 0, desc: 'tests only (refused in production): a pause inside the trade-in transaction' }),
  RECEIPT_CLOCK_SKEW_SECONDS: int(0, 86400)({ default: 300, desc: "how far a registered receipt's iat may be from the platform's registration time without using the policy's receiptRegistration.graceHours" }),
  DISMANTLING_CHECK_INTERVAL_MS: int(0)({ default: 60000, desc: 'worker: how often claims past their dismantleWithinDays are held (dismantling_unconfirmed) and confirmed ones released (0 = off)' }),
  ARGON2_MEMORY_KIB: int(1024)({ default: 19456, desc: 'argon2id memory cost' }),
  ARGON2_TIME_COST: int(1)({ default: 2, desc: 'argon2id time cost' }),
  TRUST_PROXY: flag({ default: false, desc: 'trust X-Forwarded-For (behind a load balancer)' }),
  PORTAL_DIR: emptyIsSet(text({ default: './dist/portal', desc: 'the built portal served at /; empty: the API only' })),
  METRICS_ENABLED: flag({ default: true, desc: 'process metrics on /metrics' }),
  AUDIT_SIGNING_KEY: generated(ed25519PrivateKey({ devDefault: undefined, desc: 'Ed25519 private key that signs audit tree heads' }), ed25519Pem),
  DATA_ENCRYPTION_KEY: generated(aes256Key({ devDefault: undefined, desc: 'AES-256-GCM key sealing personal data at rest' }), randomKey),
  AUDIT_SEAL_INTERVAL_MS: int(100)({ default: 5000, desc: 'worker: how often new audit events are sealed into the Merkle log' }),
  AUDIT_SEAL_BATCH: int(1, 50000)({ default: 5000, desc: 'worker: events sealed per batch (one signed tree head per batch)' }),
  LOTTERY_SECRET: secret({ default: undefined, desc: "HMAC key of lottery entry ids and draw secrets (default: derived from ID_HASH_SECRET; never change it while a draw's window is open)" }),
  LOTTERY_INTERVAL_MS: int(100)({ default: 30000, desc: 'worker: how often lottery windows are committed, closed and due draws run' }),
  WAITLIST_INTERVAL_MS: int(100)({ default: 30000, desc: 'worker: how often returned vouchers are given to the waitlist' }),
  // settlement (SettlementConfig)
  STRIPE_SECRET_KEY: trimmed(matching(/^(sk|rk)_/, 'a Stripe secret key (sk_… or rk_…)', { secret: true })({ default: undefined, desc: 'Stripe API key' })),
  PAYOUT_GATEWAY: trimmed(oneOf(['stripe', 'bank-file'])({ default: undefined, desc: 'the gateway new runs use (default: stripe if STRIPE_SECRET_KEY is set, else bank-file)' })),
  STRIPE_WEBHOOK_SECRET: trimmed(text({ default: undefined, desc: 'Stripe webhook endpoint secret' })),
  STRIPE_API_HOST: trimmed(text({ default: undefined, desc: 'where the Stripe SDK connects (tests: a local mock)' })),
  STRIPE_API_PORT: trimmed(int(1, 65535)({ default: undefined, desc: 'port the Stripe SDK connects to' })),
  STRIPE_API_PROTOCOL: trimmed(oneOf(['http', 'https'])({ default: undefined, desc: 'protocol the Stripe SDK connects with' })),
  STRIPE_MAX_NETWORK_RETRIES: int(0, 10)({ default: 3, desc: "the Stripe SDK's own retries" }),
  STRIPE_TIMEOUT_MS: int(100, 600000)({ default: 30000, desc: 'per-attempt timeout of the Stripe SDK' }),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: int(1, 86400)({ default: 300, desc: 'how old a webhook signature may be' }),
  PAYOUT_CURRENCY: trimmed(currency({ default: 'CNY', desc: 'currency of transfers and files' })),
  PAYOUT_SCHEDULE_INTERVAL_MS: int(0)({ default: 0, desc: 'worker: a run for every programme with something to pay (0 = off)' }),
  PAYOUT_PROCESS_INTERVAL_MS: int(50)({ default: 2000, desc: 'worker: how often it sends pending payouts' }),
  RECONCILE_INTERVAL_MS: int(0)({ default: 3600000, desc: 'worker: reconciliation of finished runs (0 = off)' }),
  PAYOUT_BATCH: int(1, 100000)({ default: 500, desc: 'payouts per job round' }),
  PAYOUT_STRIPE_BATCH: int(1, 1000)({ default: 100, desc: 'Stripe payouts locked, sent and recorded per transaction' }),
  PAYOUT_STRIPE_CONCURRENCY: int(1, 64)({ default: 8, desc: 'transfers one worker has in flight, across its lanes' }),
  PAYOUT_STRIPE_LANES: int(1, 16)({ default: 2, desc: 'Stripe batches one worker has open side by side (each its own transaction and connection)' }),
  PAYOUT_RETRY_DELAY_MS: int(0, 3600000)({ default: 5000, desc: 'first back-off after a failure in transit (doubling, at most an hour)' }),
  PAYOUT_FILE_DIR: trimmed(text({ default: undefined, desc: 'where pain.001 files are written (default: DATA_DIR/payout-files)' })),
  BANK_DEBTOR_NAME: trimmed(text({ default: '浙江省商务厅以旧换新专户', desc: 'the programme account holder in the bank file header' })),
  BANK_DEBTOR_ACCOUNT: trimmed(bankAccount({ default: undefined, desc: 'the programme account the bank files debit: an IBAN or a domestic number' })),
  BANK_DEBTOR_IBAN: trimmed(bankAccount({ default: '0000000000000000', desc: 'older name of BANK_DEBTOR_ACCOUNT, read when that is unset' })),
  BANK_DEBTOR_BIC: trimmed(matching(/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/, 'a BIC')({ default: undefined, desc: 'BIC of the programme account' })),
  PAYOUT_DEBUG_DELAY_MS: int(0, 600000)({ default: 0, desc: "tests only (refused in production): a pause between the gateway's answer and recording it" }),
};

type Schema = typeof ENV_SCHEMA;
/** The environment once every variable has passed its validator: typed, defaults applied. */
export type ParsedEnv = Omit<CleanedEnv<Schema>, 'isDevelopment' | 'isDev' | 'isTest' | 'isProduction' | 'isProd'>;
/** What parseEnv and describeEnv read of a spec besides envalid's parser. */
type Meta = { type?: string; desc?: string; default?: unknown; devDefault?: unknown; trim?: true; emptyIsSet?: true; generate?: () => string };
const specs = () => Object.entries(ENV_SCHEMA) as [string, Meta][];
export type GeneratedName = { [K in keyof Schema]: Schema[K] extends { generate: () => string } ? K : never }[keyof Schema];

const testsOnly = (name: 'TRADE_IN_DEBUG_DELAY_MS' | 'PAYOUT_DEBUG_DELAY_MS') => (e: ParsedEnv) =>
  e[name] > 0 && e.NODE_ENV === 'production' ? `${name} is for tests only, not for NODE_ENV=production` : undefined;

/** Rules across variables, checked once each variable has been read: each gives the message of its violation. */
export const ENV_RULES: ReadonlyArray<(e: ParsedEnv) => string | undefined> = [
  (e) => (!!e.BOOTSTRAP_ADMIN_EMAIL !== !!e.BOOTSTRAP_ADMIN_PASSWORD ? 'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together' : undefined),
  testsOnly('TRADE_IN_DEBUG_DELAY_MS'),
  (e) => (e.PAYOUT_GATEWAY === 'stripe' && !e.STRIPE_SECRET_KEY ? 'PAYOUT_GATEWAY=stripe needs STRIPE_SECRET_KEY' : undefined),
  testsOnly('PAYOUT_DEBUG_DELAY_MS'),
];

/**
 * Reads `env` through the schema. Every malformed or missing variable and every broken rule is reported at
 * once, one line each naming the variable, as a ConfigError (never process.exit: the caller decides).
 */
export function parseEnv(env: Env): ParsedEnv {
  const input: Env = {};
  for (const [name, spec] of specs()) {
    let raw = env[name];
    if (raw !== undefined && spec.trim) raw = raw.trim();
    input[name] = raw === '' && !spec.emptyIsSet ? undefined : raw;
  }
  // envalid picks devDefault by NODE_ENV: give it the same default every other reader sees
  input.NODE_ENV ??= ENV_SCHEMA.NODE_ENV.default;
  return customCleanEnv(input, ENV_SCHEMA, (cleaned) => cleaned, {
    reporter: ({ errors, env: parsed }) => {
      const messages = Object.entries(errors).map(([name, err]) => {
        if (!(err instanceof EnvMissingError)) return `${name} ${(err as Error).message}`;
        return `${name} is required${'devDefault' in (ENV_SCHEMA[name as keyof Schema] as Meta) ? ' when NODE_ENV=production' : ''}`;
      });
      for (const rule of ENV_RULES) {
        const broken = rule(parsed as ParsedEnv);
        if (broken) messages.push(broken);
      }
      if (messages.length) throw new ConfigError(messages.join('\n'));
    },
  }) as ParsedEnv;
}

/** The value of a generated() variable outside production: made once, kept in DATA_DIR, read through its validator. */
export function generatedSecret(name: GeneratedName, dataDir: string): string {
  const spec = ENV_SCHEMA[name];
  const { value, file } = devSecret(dataDir, name, spec.generate);
  try {
    return spec._parse(value);
  } catch (err) {
    throw new ConfigError(`${name} (in ${file}) ${(err as Error).message}`);
  }
}

/** The schema as rows (name, accepted values, default, meaning): for printing it, and for the README drift test. */
export function describeEnv(): { name: string; type: string; default: string; desc: string }[] {
  return specs().map(([name, s]) => {
    const def = s.generate ? 'generated into DATA_DIR outside production' : s.default === undefined ? 'unset' : String(s.default);
    return { name, type: s.type ?? '', default: 'devDefault' in s && !s.generate ? `${def} (${String(s.devDefault)} unless production)` : def, desc: s.desc ?? '' };
  });
}
