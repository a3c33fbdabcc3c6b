/**
 * Settlement's vocabulary. A payout run takes a programme's approved claims, groups them by retailer, nets
 * the retailer's open clawbacks and writes one payout per retailer (its control total: claimCount and
 * grossFen − nettedFen = amountFen) before any gateway is called.
 *
 *   payout:  pending (written, gateway not yet called) → sent (bank file written) → paid | failed
 *            pending → paid (a Stripe transfer created is money in the retailer's connected account)
 *            paid → failed (the money came back: transfer reversed, connected account's bank payout failed)
 *   run:     created → processing → completed (no payout or reversal left pending)
 *   claim:   approved → in_payout (payout written) → paid (payout paid) | approved (payout failed, next run)
 */
export type GatewayName = 'stripe' | 'bank-file';
export type PayoutStatus = 'pending' | 'sent' | 'paid' | 'failed';
export type RunStatus = 'created' | 'processing' | 'completed';
export type RunTrigger = 'manual' | 'schedule';
export type HoldReason = 'retailer_suspended' | 'no_payout_account' | 'account_capability_lost' | 'account_payouts_failing';

export interface PayoutSummary {
  id: string;
  retailerId: string;
  /** What the retailer receives: grossFen − nettedFen. */
  amountFen: number;
  claimCount: number;
  status: PayoutStatus;
  grossFen: number;
  nettedFen: number;
  /** Transfer id (tr_…) or the bank file's EndToEndId, once there is one. */
  reference: string | null;
  failureCode: string | null;
  failureReason: string | null;
  /** Where it is paid (the connected account, or the bank account as ****1234) and the retailer's payout-details version it was created under. */
  destination: string | null;
  payoutDetailsVersion: number | null;
}

export interface HeldRetailer {
  retailerId: string;
  reason: HoldReason;
  claimCount: number;
  amountFen: number;
}

export interface ReversalSummary {
  id: string;
  /** The earlier payout whose transfer is reversed. */
  payoutId: string;
  retailerId: string;
  amountFen: number;
  status: 'pending' | 'succeeded' | 'failed';
  reference: string | null;
  failureReason: string | null;
}

export interface PayoutRunView {
  id: string;
  programCode: string;
  gateway: GatewayName;
  status: RunStatus;
  trigger: RunTrigger;
  /** Control totals written with the run. */
  payoutCount: number;
  claimCount: number;
  grossFen: number;
  nettedFen: number;
  totalFen: number;
  counts: Record<PayoutStatus, number>;
  payouts: PayoutSummary[];
  held: HeldRetailer[];
  reversals: ReversalSummary[];
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface StatementClaim {
  claimId: string;
  city: string;
  storeCode: string;
  invoiceNumber: string;
  soldAt: string;
  amountFen: number;
}

export interface StatementClawback {
  claimId: string;
  city: string;
  invoiceNumber: string;
  /** netted: kept back from this payout; returned: came back with this payout's money. */
  kind: 'netted' | 'returned';
  amountFen: number;
}

export interface RetailerPayoutView {
  id: string;
  runId: string;
  programCode: string;
  status: PayoutStatus;
  gateway: GatewayName;
  /** Where the money went: the connected account, or the bank account's last four digits. */
  destination: string | null;
  /** The payout-details version the payout was created under (GET /v1/retailer/payout-details tells the current one). */
  payoutDetailsVersion: number | null;
  reference: string | null;
  claimCount: number;
  grossFen: number;
  nettedFen: number;
  amountFen: number;
  reversedFen: number;
  failureReason: string | null;
  createdAt: string;
  sentAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
  claims: StatementClaim[];
  clawbacks: StatementClawback[];
}

export type MismatchKind =
  | 'missing_at_gateway'
  | 'unknown_at_gateway'
  | 'duplicate_at_gateway'
  | 'amount_differs'
  | 'failed_but_paid_at_gateway'
  | 'file_control_total_differs';

export interface ReconciliationMismatch {
  kind: MismatchKind;
  payoutId: string | null;
  retailerId: string | null;
  reference: string | null;
  ledgerFen: number;
  gatewayFen: number;
  detail: string;
}

export interface ReconciliationView {
  runId: string;
  programCode: string;
  gateway: GatewayName;
  /** Net paid per the ledger (pay, recover and un-pay movements that name the run's payouts). */
  ledgerPaidFen: number;
  /** Net paid per the gateway (transfers less reversals, or the imported bank records). */
  gatewayPaidFen: number;
  matched: number;
  /** Payouts still on their way (a bank file sent, no statement yet): not mismatches, but not settled. */
  open: { payoutId: string; retailerId: string; status: PayoutStatus; amountFen: number }[];
  mismatches: ReconciliationMismatch[];
  balanced: boolean;
  checkedAt: string;
}

export interface BankImportReport {
  importId: string;
  fileName: string;
  format: 'pain.002' | 'camt.053' | 'csv';
  /** True when this very file (same SHA-256) was imported before: nothing changed this time. */
  duplicate: boolean;
  records: number;
  paid: number;
  failed: number;
  unchanged: number;
  unmatched: string[];
  amountMismatches: { reference: string; payoutId: string; expectedFen: number; reportedFen: number }[];
}
