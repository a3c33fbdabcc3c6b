import type { Fen } from '@huanxin/core';
import type { CityBalances } from '@huanxin/ledger';
import type { PolicyRules, PolicyVersion } from '@huanxin/policy';

export const PROGRAM_CODE_RE = /^[a-z0-9-]{2,40}$/;
/** HH:MM, Asia/Shanghai. */
export const RELEASE_TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
export const MAX_VOUCHER_VALIDITY_DAYS = 365;
export const MAX_PER_HOUSEHOLD_LIMIT = 100;
export const MAX_DAILY_VOUCHERS = 1_000_000;
/** 100 billion yuan: far above any city's pool, and keeps every ledger sum far below 2^53 fen. */
export const MAX_GRANT_FEN: Fen = 10_000_000_000_000;
export const MAX_NOTE_LENGTH = 500;

/** What the programme office sends (POST /v1/admin/programs); `rules` are checked by `parsePolicyRules`. */
export interface NewProgram {
  code: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
  voucherValidityDays: number;
  perHouseholdLimit: number;
  rules: unknown;
}

export interface Program {
  id: string;
  code: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
  voucherValidityDays: number;
  perHouseholdLimit: number;
  createdAt: Date;
}

/** A published version: immutable (the database refuses UPDATE and DELETE on policy_versions). */
export interface PublishedPolicyVersion extends PolicyVersion {
  programId: string;
  createdAt: Date;
}

export interface NewPolicyVersion {
  effectiveFrom: Date;
  rules: unknown;
}

export interface Quota {
  programId: string;
  city: string;
  dailyVouchers: number;
  /** HH:MM in Asia/Shanghai. */
  releaseTime: string;
  updatedAt: Date;
  /** How the city's vouchers are given out (issue 13): first come (the rush), or a daily draw. */
  allocation: Allocation;
  /** Lottery: the daily entry window, HH:MM Asia/Shanghai (null for first come); the draw runs at `releaseTime` the next day. */
  entryOpens: string | null;
  entryCloses: string | null;
}

export type Allocation = 'first_come' | 'lottery';
export const ALLOCATIONS: readonly Allocation[] = ['first_come', 'lottery'];

export interface QuotaInput {
  dailyVouchers: number;
  releaseTime: string;
  /** Default first_come; a lottery needs `entryOpens` < `entryCloses`. */
  allocation?: Allocation;
  entryOpens?: string;
  entryCloses?: string;
}

export interface BudgetGrantInput {
  city: string;
  amountFen: Fen;
  note?: string | null;
}

export interface ProgramListQuery {
  limit?: number;
  cursor?: string;
}

// API answers: camelCase, times as RFC 3339 in Asia/Shanghai.

export interface PolicyVersionSummaryView {
  version: number;
  effectiveFrom: string;
}

export interface PolicyVersionView extends PolicyVersionSummaryView {
  rules: PolicyRules;
}

export interface ProgramView {
  id: string;
  code: string;
  name: string;
  startsAt: string;
  endsAt: string;
  voucherValidityDays: number;
  perHouseholdLimit: number;
  createdAt: string;
  policyVersions: PolicyVersionSummaryView[];
}

export type PublicProgramView = Pick<ProgramView, 'code' | 'name' | 'startsAt' | 'endsAt' | 'voucherValidityDays' | 'perHouseholdLimit'>;

export interface QuotaView {
  programCode: string;
  city: string;
  dailyVouchers: number;
  releaseTime: string;
  /** Only for a lottery city (a first-come city's answer keeps its original shape). */
  allocation?: 'lottery';
  entryOpens?: string;
  entryCloses?: string;
}

/** A city's budget as the programme shows it: the ledger's balances without the invariant flag. */
export type CityBudgetView = Omit<CityBalances, 'balanced'>;

export interface ProgramDetailView extends Omit<ProgramView, 'policyVersions'> {
  policyVersions: PolicyVersionView[];
  quotas: QuotaView[];
  budgets: CityBudgetView[];
}

export interface BudgetGrantView {
  /** The ledger transaction's id. */
  id: string;
  programCode: string;
  city: string;
  amountFen: Fen;
  note: string | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
