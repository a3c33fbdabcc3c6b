import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { Env, generatedSecret, parseEnv } from './env-schema';
import { SettlementConfig } from './settlement-config';

export { ConfigError } from './validators';

/**
 * Every knob of the platform, read and validated once at boot. Nothing outside this module reads
 * process.env (STYLE.md). A malformed value stops the process with a message naming the variable.
 */
export interface AppConfig {
  nodeEnv: string;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  workerPoolSize: number;
  idempotencyPurgeIntervalMs: number;
  voucherExpiryIntervalMs: number;
  voucherExpiryBatch: number;
  /** Quota slots a city's day is released over, and ledger slot accounts its money is split over (no hot row on the rush). */
  voucherSlots: number;
  /** Worker: how often money left in ledger slots with no quota left today goes back to the city's main accounts. */
  voucherSlotSweepIntervalMs: number;
  dbStatementTimeoutMs: number;
  /** One CSV export's own statement_timeout: an export may rightly run longer than any other statement. */
  exportTimeoutMs: number;
  /** How long a request waits for a database connection before it is answered 503 (no hang in an outage). */
  dbConnectTimeoutMs: number;
  /** A streaming read replica (DATABASE_READ_URL) for reports and public reads; undefined: the primary serves all. */
  databaseReadUrl: string | undefined;
  databaseReadPoolSize: number;
  /** How long a connection to the replica may take before the replica counts as down. */
  databaseReadConnectTimeoutMs: number;
  /** How far behind the primary the replica may be before its reads go to the primary. */
  databaseReadMaxLagMs: number;
  /** How often each API process checks the replica (reachable, lag): never per request. */
  databaseReadCheckIntervalMs: number;
  /** Retry-After (seconds) sent with 503 service_unavailable. */
  unavailableRetryAfterSeconds: number;
  migrateOnStart: boolean;
  seedDemo: boolean;
  logLevel: string;
  /** `pretty`: one short coloured line per request (development); `json`: one JSON object a line. */
  logFormat: 'pretty' | 'json';
  /** Largest nesting depth and number of values in a JSON body; deeper or larger is refused with 400. */
  bodyMaxDepth: number;
  bodyMaxElements: number;
  bodyLimit: string;
  jwtSecret: string;
  jwtAccessTtlSeconds: number;
  refreshTtlSeconds: number;
  idHashSecret: string;
  bootstrapAdminEmail: string | undefined;
  bootstrapAdminPassword: string | undefined;
  rateLimitWindowMs: number;
  rateLimitLogin: number;
  rateLimitRegister: number;
  rateLimitVoucher: number;
  rateLimitDefault: number;
  idempotencyTtlHours: number;
  idempotencyWaitMs: number;
  /** How long an in-flight key blocks its duplicates before another process may take it over (owner died). */
  idempotencyLockMs: number;
  /** API processes `npm start` / `start:api` run on the one port (Node's cluster module); 1: no cluster, one process. */
  apiProcesses: number;
  /** On SIGTERM/SIGINT: how long in-flight requests may take to finish before their connections are closed. */
  shutdownGraceMs: number;
  /** Redis shared by the API processes (rate limits, ended sign-ins); undefined: each process on its own. */
  redisUrl: string | undefined;
  redisConnectTimeoutMs: number;
  /** A rate-limit count waits at most this for Redis, then the process counts in memory (fail open). */
  redisCommandTimeoutMs: number;
  /** How often each API process learns of sign-ins ended (logout, refresh-token reuse): their access tokens stop. */
  tokenRevocationPollMs: number;
  /** AES-256-GCM key (32 bytes, base64/base64url/hex) for personal data kept at rest: bank account numbers, phones. */
  dataEncryptionKey: string;
  /** Tests only: a pause inside the trade-in transaction before it commits (fault drills kill a process there). */
  tradeInDebugDelayMs: number;
  /** Receipt transparency: a registration this close to the receipt's iat needs no grace (RECEIPT_CLOCK_SKEW_SECONDS). */
  receiptClockSkewSeconds: number;
  /** Worker: the dismantling deadline check (DISMANTLING_CHECK_INTERVAL_MS; 0 = off). */
  dismantlingCheckIntervalMs: number;
  argon2MemoryKib: number;
  argon2TimeCost: number;
  trustProxy: boolean;
  /** The built portal (apps/portal → dist/portal), served at `/`; empty: no pages, the API only. */
  portalDir: string | undefined;
  metricsEnabled: boolean;
  /** The audit log's Ed25519 tree-head signing key, as PKCS#8 PEM (AUDIT_SIGNING_KEY: private JWK JSON or PEM). */
  auditSigningKey: string;
  auditSealIntervalMs: number;
  auditSealBatch: number;
  /** HMAC key of lottery entry ids and draw secrets (LOTTERY_SECRET; default derived from ID_HASH_SECRET). */
  lotterySecret: string;
  /** Worker: lottery commitments, window closes and draws. */
  lotteryIntervalMs: number;
  /** Worker: serving the waitlist from returned vouchers. */
  waitlistIntervalMs: number;
  /** Payout runs, gateways, webhooks (settlement-config.ts). */
  settlement: SettlementConfig;
}

/**
 * The one place the schema (env-schema.ts: every variable, its validator, default and meaning) becomes the
 * AppConfig the rest of the code consumes: defaults derived from other variables, paths resolved, generated
 * dev secrets filled in.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const e = parseEnv(env);
  const dataDir = resolve(e.DATA_DIR);
  const host = e.HOST;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host,
    publicUrl: e.PUBLIC_URL ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    dbPoolSize: e.DB_POOL_SIZE,
    workerPoolSize: e.WORKER_DB_POOL_SIZE,
    idempotencyPurgeIntervalMs: e.IDEMPOTENCY_PURGE_INTERVAL_MS,
    voucherExpiryIntervalMs: e.VOUCHER_EXPIRY_INTERVAL_MS,
    voucherExpiryBatch: e.VOUCHER_EXPIRY_BATCH,
    voucherSlots: e.VOUCHER_SLOTS,
    voucherSlotSweepIntervalMs: e.VOUCHER_SLOT_SWEEP_INTERVAL_MS,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    exportTimeoutMs: e.EXPORT_TIMEOUT_MS,
    dbConnectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    databaseReadUrl: e.DATABASE_READ_URL,
    databaseReadPoolSize: e.DATABASE_READ_POOL_SIZE,
    databaseReadConnectTimeoutMs: e.DATABASE_READ_CONNECT_TIMEOUT_MS,
    databaseReadMaxLagMs: e.DATABASE_READ_MAX_LAG_MS,
    databaseReadCheckIntervalMs: e.DATABASE_READ_CHECK_INTERVAL_MS,
    unavailableRetryAfterSeconds: e.UNAVAILABLE_RETRY_AFTER_SECONDS,
    migrateOnStart: e.MIGRATE_ON_START,
    seedDemo: e.SEED_DEMO,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' && !e.CI ? 'pretty' : 'json'),
    bodyMaxDepth: e.BODY_MAX_DEPTH,
    bodyMaxElements: e.BODY_MAX_ELEMENTS,
    bodyLimit: e.BODY_LIMIT,
    jwtSecret: e.JWT_SECRET ?? generatedSecret('JWT_SECRET', dataDir),
    jwtAccessTtlSeconds: e.JWT_ACCESS_TTL_SECONDS,
    refreshTtlSeconds: e.REFRESH_TTL_SECONDS,
    idHashSecret: e.ID_HASH_SECRET ?? generatedSecret('ID_HASH_SECRET', dataDir),
    bootstrapAdminEmail: e.BOOTSTRAP_ADMIN_EMAIL,
    bootstrapAdminPassword: e.BOOTSTRAP_ADMIN_PASSWORD,
    rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
    rateLimitLogin: e.RATE_LIMIT_LOGIN,
    rateLimitRegister: e.RATE_LIMIT_REGISTER,
    rateLimitVoucher: e.RATE_LIMIT_VOUCHER,
    rateLimitDefault: e.RATE_LIMIT_DEFAULT,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    idempotencyWaitMs: e.IDEMPOTENCY_WAIT_MS,
    idempotencyLockMs: e.IDEMPOTENCY_LOCK_MS,
    tokenRevocationPollMs: e.TOKEN_REVOCATION_POLL_MS,
    apiProcesses: e.API_PROCESSES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    redisUrl: e.REDIS_URL,
    redisConnectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    tradeInDebugDelayMs: e.TRADE_IN_DEBUG_DELAY_MS,
    receiptClockSkewSeconds: e.RECEIPT_CLOCK_SKEW_SECONDS,
    dismantlingCheckIntervalMs: e.DISMANTLING_CHECK_INTERVAL_MS,
    argon2MemoryKib: e.ARGON2_MEMORY_KIB,
    argon2TimeCost: e.ARGON2_TIME_COST,
    trustProxy: e.TRUST_PROXY,
    portalDir: e.PORTAL_DIR === '' ? undefined : resolve(e.PORTAL_DIR),
    metricsEnabled: e.METRICS_ENABLED,
    auditSigningKey: e.AUDIT_SIGNING_KEY ?? generatedSecret('AUDIT_SIGNING_KEY', dataDir),
    dataEncryptionKey: e.DATA_ENCRYPTION_KEY ?? generatedSecret('DATA_ENCRYPTION_KEY', dataDir),
    auditSealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS,
    auditSealBatch: e.AUDIT_SEAL_BATCH,
    lotterySecret: e.LOTTERY_SECRET
      ?? createHmac('sha256', e.ID_HASH_SECRET ?? generatedSecret('ID_HASH_SECRET', dataDir)).update('huanxin-lottery-v1').digest('base64url'),
    lotteryIntervalMs: e.LOTTERY_INTERVAL_MS,
    waitlistIntervalMs: e.WAITLIST_INTERVAL_MS,
    settlement: {
      gateway: e.PAYOUT_GATEWAY ?? (e.STRIPE_SECRET_KEY ? 'stripe' : 'bank-file'),
      stripeSecretKey: e.STRIPE_SECRET_KEY,
      stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
      stripeApiHost: e.STRIPE_API_HOST,
      stripeApiPort: e.STRIPE_API_PORT,
      stripeApiProtocol: e.STRIPE_API_PROTOCOL,
      stripeMaxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
      stripeTimeoutMs: e.STRIPE_TIMEOUT_MS,
      stripeWebhookToleranceSeconds: e.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      currency: e.PAYOUT_CURRENCY,
      scheduleIntervalMs: e.PAYOUT_SCHEDULE_INTERVAL_MS,
      processIntervalMs: e.PAYOUT_PROCESS_INTERVAL_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      batch: e.PAYOUT_BATCH,
      stripeBatch: e.PAYOUT_STRIPE_BATCH,
      stripeConcurrency: e.PAYOUT_STRIPE_CONCURRENCY,
      stripeLanes: e.PAYOUT_STRIPE_LANES,
      retryDelayMs: e.PAYOUT_RETRY_DELAY_MS,
      fileDir: resolve(e.PAYOUT_FILE_DIR ?? `${dataDir}/payout-files`),
      bankDebtorName: e.BANK_DEBTOR_NAME,
      bankDebtorAccount: e.BANK_DEBTOR_ACCOUNT ?? e.BANK_DEBTOR_IBAN,
      bankDebtorBic: e.BANK_DEBTOR_BIC,
      debugDelayMs: e.PAYOUT_DEBUG_DELAY_MS,
    },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
