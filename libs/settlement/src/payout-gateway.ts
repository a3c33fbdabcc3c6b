import type { GatewayName } from './settlement.types';

/** A payout as a gateway sees it: already written, with its stored idempotency key. */
export interface PayoutInstruction {
  payoutId: string;
  runId: string;
  retailerId: string;
  amountFen: number;
  claimCount: number;
  idempotencyKey: string;
  /** stripe: the connected account (acct_…). */
  stripeAccountId: string | null;
  /** bank-file: where the bank pays (the full number; never logged or audited). */
  bank: { accountName: string; accountNumber: string; bankCode: string } | null;
}

export interface RunRef {
  id: string;
  programCode: string;
  createdAt: Date;
}

/**
 * What became of one payout:
 * - paid: the money is in the retailer's hands (a Connect transfer exists);
 * - sent: handed over, confirmation comes later (a bank file written; the bank's statement confirms);
 * - refused: the gateway said no for good (record the reason, the payout fails, its claims go back);
 * - retry: we do not know (5xx, timeout, dropped connection): try again later with the same key.
 */
export type SendOutcome =
  | { kind: 'paid'; reference: string }
  | { kind: 'sent'; reference: string }
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'retry'; error: string };

/** One money movement the gateway knows about, for reconciliation. */
export interface GatewayRecord {
  /** Ours, when the gateway carries it back (transfer metadata, EndToEndId). */
  payoutId: string | null;
  reference: string;
  /** Net amount that reached the retailer as the gateway reports it (transfers: amount − reversed). */
  netFen: number;
  status: 'paid' | 'failed' | 'pending';
}

/**
 * The payout gateways behind one interface. `scope` says how the processor hands work over: `payout` — one
 * payout per call, each under its own row lock (Stripe: one transfer each); `run` — every pending payout of
 * a run in one call, under the run's lock (a bank file holds the whole run).
 */
export interface PayoutGateway {
  readonly name: GatewayName;
  readonly scope: 'payout' | 'run';
  /** Answers an outcome for every instruction, in any order, keyed by payout id. */
  send(run: RunRef, payouts: PayoutInstruction[]): Promise<Map<string, SendOutcome>>;
  /** What the gateway itself reports for a run. */
  report(run: RunRef): Promise<GatewayRecord[]>;
}

export const PAYOUT_GATEWAYS = Symbol('PAYOUT_GATEWAYS');

/** The bank's EndToEndId and the pain.001 message id: an id without hyphens (Max35Text). */
export function compactId(id: string): string {
  return id.replace(/-/g, '').toLowerCase();
}

/** The inverse of compactId, or undefined if `ref` is not one. */
export function expandId(ref: string): string | undefined {
  const h = ref.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h)) return undefined;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
