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
  };
  stores: StoreView[];
  createdAt: string;
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
