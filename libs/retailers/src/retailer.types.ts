/** What the programme office sends to certify a retailer (POST /v1/admin/retailers). */
export interface NewStore {
  code: string;
  name: string;
  city: string;
}

/** A bank account for the default payout gateway (a bank payment file). */
export interface BankAccount {
  accountName: string;
  accountNumber: string;
  bankCode: string;
}

export interface PayoutInput {
  stripeAccountId?: string;
  bank?: BankAccount;
}

export interface NewRetailer {
  name: string;
  creditCode: string;
  city: string;
  payout?: PayoutInput;
  stores: NewStore[];
  /** when its certification began outside the platform; default now, never in the future */
  certifiedFrom?: Date;
}

export type RetailerStatus = 'active' | 'suspended';

/** A retailer as the domain sees it. The bank account number is not here: see `RetailersRepository.payoutAccount`. */
export interface Retailer {
  id: string;
  name: string;
  creditCode: string;
  city: string;
  status: RetailerStatus;
  statusReason: string | null;
  stripeAccountId: string | null;
  bank: { accountName: string; accountNumberLast4: string; bankCode: string } | null;
  /** 1 at certification, one more at each approved payout-details change. */
  payoutDetailsVersion: number;
  payoutDetailsChangedAt: Date | null;
  /** when its certification began, outside the platform (issue 13) */
  certifiedFrom: Date;
  createdAt: Date;
}

export interface Store {
  id: string;
  retailerId: string;
  code: string;
  name: string;
  city: string;
}

/** Where a retailer is paid; only for settlement, never for an API answer or a log line. */
export interface PayoutAccount {
  retailerId: string;
  stripeAccountId: string | null;
  bank: BankAccount | null;
  /** The payout-details version these details are (payoutAccountsAt: the one asked for). */
  version: number;
}

/** API answers: camelCase, times as RFC 3339 in Asia/Shanghai, and the account number masked. */
export interface StoreView {
  id: string;
  code: string;
  name: string;
  city: string;
}

export interface RetailerView {
  id: string;
  name: string;
  creditCode: string;
  city: string;
  status: RetailerStatus;
  statusReason: string | null;
  payout: {
    stripeAccountId: string | null;
    bank: { accountName: string; accountNumberLast4: string; bankCode: string } | null;
    /** 1 at certification, one more at each approved change (payouts record the version they were created under). */
    version: number;
    /** When the last approved change took effect; null: as certified. */
    changedAt: string | null;
  };
  stores: StoreView[];
  certifiedFrom: string;
  createdAt: string;
  /** GET /v1/admin/retailers/{id} only: the change of payout details waiting for a second admin, or null. */
  pendingPayoutChange?: PayoutDetailsChangeView | null;
}


export interface RevokedApiKey {
  id: string;
  revokedAt: string;
}

/**
 * The bank account as `retailers.bank` keeps it: the number sealed (AES-256-GCM under DATA_ENCRYPTION_KEY,
 * bound to the retailer) and its last four digits; never the number in clear.
 */
export interface StoredBankAccount {
  accountName: string;
  accountNumberLast4: string;
  accountNumberSealed: string;
  bankCode: string;
}

/** A bank account as answers and audit events show it: never the number, its last four digits. */
export interface MaskedBankAccount {
  accountName: string;
  accountNumberLast4: string;
  bankCode: string;
}

export type PayoutDetailsChangeStatus = 'pending_approval' | 'approved' | 'rejected';

/**
 * A proposed change of a retailer's payout details (four eyes: another admin approves it). `stripeAccountId` and
 * `bank` are what the proposal sets (null: that part is kept); `previous*` what an approval replaced.
 */
export interface PayoutDetailsChange {
  id: string;
  retailerId: string;
  status: PayoutDetailsChangeStatus;
  stripeAccountId: string | null;
  bank: MaskedBankAccount | null;
  previousStripeAccountId: string | null;
  previousBank: MaskedBankAccount | null;
  fromVersion: number | null;
  toVersion: number | null;
  proposedBy: string;
  proposedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
}

/** The API's view of a change (times in Asia/Shanghai, bank accounts masked). */
export interface PayoutDetailsChangeView {
  changeId: string;
  retailerId: string;
  retailerName: string | null;
  status: PayoutDetailsChangeStatus;
  proposed: { stripeAccountId: string | null; bank: MaskedBankAccount | null };
  /** What it replaces: for a pending change the details in force now, for an approved one what it replaced (rejected: null). */
  previous: { stripeAccountId: string | null; bank: MaskedBankAccount | null } | null;
  /** The payout-details version the approval made (null until approved). */
  version: number | null;
  proposedBy: string;
  proposedByName: string | null;
  /** The caller proposed it: it may not approve or reject it (four eyes). */
  proposedByYou: boolean;
  proposedAt: string;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  reason: string | null;
}

/** What a retailer is told about its own payout details (GET /v1/retailer/payout-details). */
export interface RetailerPayoutDetailsNotice {
  stripeAccountId: string | null;
  bank: MaskedBankAccount | null;
  version: number;
  /** When an approved change last took effect (null: as certified). */
  changedAt: string | null;
  /** A change proposed by the programme office and not yet decided: when it was proposed. */
  pendingChangeProposedAt: string | null;
}
