/**
 * The settlement's knobs (DESIGN.md "The flow", step 5), read once at boot with the rest of the config
 * (env-schema.ts declares their variables; loadConfig maps them here).
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
  /** Transfers one worker has in flight at once, across its lanes. */
  stripeConcurrency: number;
  /** Stripe batches one worker has open side by side: one records its answers while the next is at the gateway. */
  stripeLanes: number;
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
