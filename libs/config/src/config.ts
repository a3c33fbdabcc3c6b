import { createPrivateKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { bool, ConfigError, devSecret, Env, int, str } from './env';
import { loadSettlementConfig, SettlementConfig } from './settlement-config';

export { ConfigError } from './env';

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
  dbStatementTimeoutMs: number;
  /** How long a request waits for a database connection before it is answered 503 (no hang in an outage). */
  dbConnectTimeoutMs: number;
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
  /** How often each API process learns of sign-ins ended (logout, refresh-token reuse): their access tokens stop. */
  tokenRevocationPollMs: number;
  /** AES-256-GCM key (32 bytes, base64/base64url/hex) for personal data kept at rest: bank account numbers, phones. */
  dataEncryptionKey: string;
  /** Tests only: a pause inside the trade-in transaction before it commits (fault drills kill a process there). */
  tradeInDebugDelayMs: number;
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
  /** Payout runs, gateways, webhooks (settlement-config.ts). */
  settlement: SettlementConfig;
}

/**
 * Secrets that must survive a restart (the ID-number hash key above all: change it and no household
 * can be found again). In production they must come from the environment; on a developer's machine they
 * are generated once and kept under the data folder so `npm start` works with no set-up.
 */
function secret(env: Env, name: string, production: boolean, dataDir: string): string {
  const raw = env[name];
  if (raw) {
    if (raw.length < 32) throw new ConfigError(`${name} must be at least 32 characters`);
    return raw;
  }
  if (production) throw new ConfigError(`${name} is required when NODE_ENV=production`);
  return devSecret(dataDir, name, () => randomBytes(32).toString('base64url')).value;
}

function ed25519PrivateKeyPem(name: string, raw: string): string {
  let key: KeyObject;
  try {
    const text = raw.trim();
    key = text.startsWith('{') ? createPrivateKey({ key: JSON.parse(text), format: 'jwk' }) : createPrivateKey(text.replace(/\\n/g, '\n'));
  } catch {
    throw new ConfigError(`${name} must be an Ed25519 private key, as a JWK (JSON with d) or a PKCS#8 PEM`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${name} must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * The audit log's signing key. Production must bring its own (rotating it changes the keyId clients pin);
 * elsewhere one is generated once and kept beside the other dev secrets, as secret() does.
 */
function signingKey(env: Env, name: string, production: boolean, dataDir: string): string {
  const raw = env[name];
  if (raw) return ed25519PrivateKeyPem(name, raw);
  if (production) throw new ConfigError(`${name} is required when NODE_ENV=production`);
  const { value, file } = devSecret(dataDir, name, () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  return ed25519PrivateKeyPem(`${name} (in ${file})`, value);
}

function logFormat(env: Env, nodeEnv: string): 'pretty' | 'json' {
  const raw = str(env, 'LOG_FORMAT', nodeEnv === 'development' && !env.CI ? 'pretty' : 'json');
  if (raw !== 'pretty' && raw !== 'json') throw new ConfigError(`LOG_FORMAT must be pretty or json, got "${raw}"`);
  return raw;
}

function debugDelay(env: Env, name: string, production: boolean): number {
  const ms = int(env, name, 0, 0, 600000);
  if (ms > 0 && production) throw new ConfigError(`${name} is for tests only, not for NODE_ENV=production`);
  return ms;
}

/** DATA_ENCRYPTION_KEY: 32 bytes as base64, base64url or hex; generated into DATA_DIR outside production. */
function dataKey(env: Env, production: boolean, dataDir: string): string {
  const raw = env.DATA_ENCRYPTION_KEY ? env.DATA_ENCRYPTION_KEY.trim() : secret(env, 'DATA_ENCRYPTION_KEY', production, dataDir);
  const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64url');
  if (bytes.length !== 32) throw new ConfigError('DATA_ENCRYPTION_KEY must be 32 bytes, as 64 hex digits or base64');
  return bytes.toString('base64url');
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = str(env, 'NODE_ENV', 'development');
  const production = nodeEnv === 'production';
  const dataDir = resolve(str(env, 'DATA_DIR', './.data'));
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = str(env, 'HOST', '127.0.0.1');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal,error,warn,info,debug,trace,silent`);
  }
  const bootstrapAdminEmail = env.BOOTSTRAP_ADMIN_EMAIL || undefined;
  const bootstrapAdminPassword = env.BOOTSTRAP_ADMIN_PASSWORD || undefined;
  if (!!bootstrapAdminEmail !== !!bootstrapAdminPassword) {
    throw new ConfigError('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together');
  }
  return {
    nodeEnv,
    port,
    host,
    publicUrl: str(env, 'PUBLIC_URL', `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`),
    databaseUrl,
    dataDir,
    embeddedPgPort: int(env, 'EMBEDDED_PG_PORT', 54320, 1024, 65535),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 20, 1, 1000),
    workerPoolSize: int(env, 'WORKER_DB_POOL_SIZE', 5, 1, 1000),
    idempotencyPurgeIntervalMs: int(env, 'IDEMPOTENCY_PURGE_INTERVAL_MS', 3600000, 1000),
    voucherExpiryIntervalMs: int(env, 'VOUCHER_EXPIRY_INTERVAL_MS', 60000, 100),
    voucherExpiryBatch: int(env, 'VOUCHER_EXPIRY_BATCH', 500, 1, 100000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 30000, 0),
    dbConnectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 10000, 100, 600000),
    unavailableRetryAfterSeconds: int(env, 'UNAVAILABLE_RETRY_AFTER_SECONDS', 5, 1, 3600),
    migrateOnStart: bool(env, 'MIGRATE_ON_START', true),
    seedDemo: bool(env, 'SEED_DEMO', !production),
    logLevel,
    logFormat: logFormat(env, nodeEnv),
    bodyMaxDepth: int(env, 'BODY_MAX_DEPTH', 32, 2, 1000),
    bodyMaxElements: int(env, 'BODY_MAX_ELEMENTS', 10000, 10, 10_000_000),
    bodyLimit: str(env, 'BODY_LIMIT', '100kb'),
    jwtSecret: secret(env, 'JWT_SECRET', production, dataDir),
    jwtAccessTtlSeconds: int(env, 'JWT_ACCESS_TTL_SECONDS', 900, 30),
    refreshTtlSeconds: int(env, 'REFRESH_TTL_SECONDS', 30 * 24 * 3600, 60),
    idHashSecret: secret(env, 'ID_HASH_SECRET', production, dataDir),
    bootstrapAdminEmail,
    bootstrapAdminPassword,
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60000, 1000),
    rateLimitLogin: int(env, 'RATE_LIMIT_LOGIN', 10, 1),
    rateLimitRegister: int(env, 'RATE_LIMIT_REGISTER', 5, 1),
    rateLimitVoucher: int(env, 'RATE_LIMIT_VOUCHER', 10, 1),
    rateLimitDefault: int(env, 'RATE_LIMIT_DEFAULT', 600, 1),
    idempotencyTtlHours: int(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1),
    idempotencyWaitMs: int(env, 'IDEMPOTENCY_WAIT_MS', 5000, 0),
    idempotencyLockMs: int(env, 'IDEMPOTENCY_LOCK_MS', 60000, 500),
    tokenRevocationPollMs: int(env, 'TOKEN_REVOCATION_POLL_MS', 2000, 100, 60000),
    tradeInDebugDelayMs: debugDelay(env, 'TRADE_IN_DEBUG_DELAY_MS', production),
    argon2MemoryKib: int(env, 'ARGON2_MEMORY_KIB', 19456, 1024),
    argon2TimeCost: int(env, 'ARGON2_TIME_COST', 2, 1),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    portalDir: env.PORTAL_DIR === '' ? undefined : resolve(str(env, 'PORTAL_DIR', './dist/portal')),
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    auditSigningKey: signingKey(env, 'AUDIT_SIGNING_KEY', production, dataDir),
    dataEncryptionKey: dataKey(env, production, dataDir),
    auditSealIntervalMs: int(env, 'AUDIT_SEAL_INTERVAL_MS', 5000, 100),
    auditSealBatch: int(env, 'AUDIT_SEAL_BATCH', 5000, 1, 50000),
    settlement: loadSettlementConfig(env, dataDir),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
