import { resolve } from 'node:path';
import { ConfigError, Env, int, opt } from './env';

/**
 * The settlement's knobs (DESIGN.md "The flow", step 5), read once at boot with the rest of the config.
 * Kept in their own file so config.ts only names the group.
 */
export interface SettlementConfig {
  /** `stripe` (Connect transfers) or `bank-file` (ISO 20022 pain.001); bank-file unless a Stripe key is set. */
  gateway: 'stripe' | 'bank-file';
  stripeSecretKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  /** Where the Stripe SDK sends its requests; tests point it at a local mock. */
  stripeApiHost: string | undefined;
  stripeApiPort: number | undefined;
  stripeApiProtocol: 'http' | 'https' | undefined;
  stripeMaxNetworkRetries: number;
  stripeTimeoutMs: number;
  /** Seconds a webhook's signature timestamp may be old (Stripe's default tolerance is 300). */
  stripeWebhookToleranceSeconds: number;
  /** ISO 4217 currency of transfers and bank files, lower case for Stripe. */
  currency: string;
  /** How often the worker starts a payout run for every running programme; 0 = never (on demand only). */
  scheduleIntervalMs: number;
  /** How often the worker looks for payouts to send. */
  processIntervalMs: number;
  /** How often the worker reconciles finished runs against the gateway; 0 = never. */
  reconcileIntervalMs: number;
  /** Payouts one worker batch sends (Stripe) before it reports and looks again. */
  batch: number;
  /** Stripe payouts locked, sent (concurrently) and recorded in one transaction. */
  stripeBatch: number;
  /** Transfers one worker has in flight at once. */
  stripeConcurrency: number;
  /** A payout whose gateway call failed in transit is tried again after this (doubling, at most an hour). */
  retryDelayMs: number;
  /** Folder of the pain.001 files. */
  fileDir: string;
  bankDebtorName: string;
  /** The programme office's account the bank files debit: an IBAN, or a domestic account number. */
  bankDebtorAccount: string;
  bankDebtorBic: string | undefined;
  /** Tests only: a pause after each gateway call, before its result is recorded (a crash window to kill into). */
  debugDelayMs: number;
}

export function loadSettlementConfig(env: Env, dataDir: string): SettlementConfig {
  const stripeSecretKey = opt(env, 'STRIPE_SECRET_KEY');
  const gatewayRaw = opt(env, 'PAYOUT_GATEWAY') ?? (stripeSecretKey ? 'stripe' : 'bank-file');
  if (gatewayRaw !== 'stripe' && gatewayRaw !== 'bank-file') throw new ConfigError(`PAYOUT_GATEWAY must be stripe or bank-file, got "${gatewayRaw}"`);
  if (gatewayRaw === 'stripe' && !stripeSecretKey) throw new ConfigError('PAYOUT_GATEWAY=stripe needs STRIPE_SECRET_KEY');
  if (stripeSecretKey && !/^(sk|rk)_/.test(stripeSecretKey)) throw new ConfigError('STRIPE_SECRET_KEY must be a Stripe secret key (sk_… or rk_…)');
  const protocol = opt(env, 'STRIPE_API_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') throw new ConfigError(`STRIPE_API_PROTOCOL must be http or https, got "${protocol}"`);
  const port = opt(env, 'STRIPE_API_PORT');
  const currency = (opt(env, 'PAYOUT_CURRENCY') ?? 'CNY').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new ConfigError(`PAYOUT_CURRENCY must be an ISO 4217 code, got "${currency}"`);
  const bic = opt(env, 'BANK_DEBTOR_BIC');
  if (bic !== undefined && !/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic)) throw new ConfigError(`BANK_DEBTOR_BIC must be a BIC, got "${bic}"`);
  const debtorAccount = opt(env, 'BANK_DEBTOR_ACCOUNT') ?? opt(env, 'BANK_DEBTOR_IBAN') ?? '0000000000000000';
  if (!/^[A-Za-z0-9]{5,34}$/.test(debtorAccount)) throw new ConfigError('BANK_DEBTOR_ACCOUNT (or BANK_DEBTOR_IBAN) must be 5-34 letters and digits');
  const debugDelayMs = int(env, 'PAYOUT_DEBUG_DELAY_MS', 0, 0, 600000);
  if (debugDelayMs > 0 && env.NODE_ENV === 'production') throw new ConfigError('PAYOUT_DEBUG_DELAY_MS is for tests only, not for NODE_ENV=production');
  return {
    gateway: gatewayRaw,
    stripeSecretKey,
    stripeWebhookSecret: opt(env, 'STRIPE_WEBHOOK_SECRET'),
    stripeApiHost: opt(env, 'STRIPE_API_HOST'),
    stripeApiPort: port === undefined ? undefined : int(env, 'STRIPE_API_PORT', 443, 1, 65535),
    stripeApiProtocol: protocol as 'http' | 'https' | undefined,
    stripeMaxNetworkRetries: int(env, 'STRIPE_MAX_NETWORK_RETRIES', 3, 0, 10),
    stripeTimeoutMs: int(env, 'STRIPE_TIMEOUT_MS', 30000, 100, 600000),
    stripeWebhookToleranceSeconds: int(env, 'STRIPE_WEBHOOK_TOLERANCE_SECONDS', 300, 1, 86400),
    currency,
    scheduleIntervalMs: int(env, 'PAYOUT_SCHEDULE_INTERVAL_MS', 0, 0),
    processIntervalMs: int(env, 'PAYOUT_PROCESS_INTERVAL_MS', 2000, 50),
    reconcileIntervalMs: int(env, 'RECONCILE_INTERVAL_MS', 3600000, 0),
    batch: int(env, 'PAYOUT_BATCH', 500, 1, 100000),
    stripeBatch: int(env, 'PAYOUT_STRIPE_BATCH', 20, 1, 1000),
    stripeConcurrency: int(env, 'PAYOUT_STRIPE_CONCURRENCY', 4, 1, 64),
    retryDelayMs: int(env, 'PAYOUT_RETRY_DELAY_MS', 5000, 0, 3600000),
    fileDir: resolve(opt(env, 'PAYOUT_FILE_DIR') ?? `${dataDir}/payout-files`),
    bankDebtorName: opt(env, 'BANK_DEBTOR_NAME') ?? '浙江省商务厅以旧换新专户',
    bankDebtorAccount: debtorAccount,
    bankDebtorBic: bic,
    debugDelayMs,
  };
}
