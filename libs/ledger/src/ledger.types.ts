import type { Fen } from '@huanxin/core';

/**
 * The budget ledger's vocabulary (DESIGN.md "Money"). Amounts are signed fen and every transaction's entries
 * sum to zero. `granted` is the contra account of the grants (a grant of X: granted −X, available +X), so the
 * balances of one programme-and-city always sum to zero; `receivable` is credit-normal (a clawback of X:
 * receivable −X means the retailer owes X; a positive receivable is a credit the programme owes the retailer
 * back, after a returned payout brought back money already recovered elsewhere). Hence, per programme and city:
 *
 *   available + reserved + payable + paid − receivableFen = grantedFen
 */
export const ACCOUNT_KINDS = ['granted', 'available', 'reserved', 'payable', 'paid', 'receivable'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** One account per programme and city. */
export type CityAccountKind = 'granted' | 'available' | 'reserved' | 'paid';
/** One account per programme, city and retailer. */
export type RetailerAccountKind = 'payable' | 'receivable';

export type AccountRef = CityAccountKind | { kind: RetailerAccountKind; retailerId: string };

export interface LedgerEntryInput {
  account: AccountRef;
  /** Signed: + raises the account's balance, − lowers it. Zero legs are dropped. */
  amountFen: Fen;
}

/** What the movements below write as `ledger_transactions.kind`; `post` accepts any other name too. */
export const LEDGER_TRANSACTION_KINDS = ['grant', 'reserve', 'release', 'commit', 'uncommit', 'pay', 'clawback', 'rebalance'] as const;

export interface LedgerPostInput {
  programId: string;
  city: string;
  /** What the movement is, e.g. `reserve`. */
  kind: string;
  /** What it is for, e.g. a voucher code or a claim id: how an auditor finds the business event. */
  reference?: string | null;
  note?: string | null;
  actorId?: string | null;
  entries: LedgerEntryInput[];
}

/** Where a movement happens: one programme and one city, so it never spans two shards (DESIGN.md "Scale"). */
export interface LedgerScope {
  programId: string;
  city: string;
  reference?: string | null;
  note?: string | null;
}

export interface GrantInput {
  programId: string;
  city: string;
  amountFen: Fen;
  note?: string | null;
}

export interface AmountMovement extends LedgerScope {
  amountFen: Fen;
}

export interface RetailerMovement extends AmountMovement {
  retailerId: string;
}

export interface CommitInput extends LedgerScope {
  retailerId: string;
  /** What the voucher reserved. */
  reservedFen: Fen;
  /** What the claim is worth; the difference goes back to (or, if larger, comes from) `available`. */
  amountFen: Fen;
}

/** A city's position, every figure a non-negative number of fen for the usual programme. */
export interface CityBalances {
  city: string;
  /** Budget granted to the city: −balance of the `granted` contra account. */
  grantedFen: Fen;
  availableFen: Fen;
  reservedFen: Fen;
  /** Owed to retailers (all retailers of the city together). */
  payableFen: Fen;
  paidFen: Fen;
  /** Owed by retailers after clawbacks: −balance of the `receivable` accounts. */
  receivableFen: Fen;
  /** available + reserved + payable + paid − receivable = granted. */
  balanced: boolean;
}

export interface InvariantReport {
  balanced: boolean;
  /** Human-readable, one line a problem; empty when balanced. */
  problems: string[];
}

export interface LedgerEntry {
  accountId: string;
  account: AccountRef;
  amountFen: Fen;
}

export interface LedgerTransaction {
  id: string;
  programId: string;
  city: string;
  kind: string;
  reference: string | null;
  note: string | null;
  actorId: string | null;
  createdAt: Date;
  entries: LedgerEntry[];
}
