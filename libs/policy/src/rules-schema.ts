import { PolicyRules, RESOLUTIONS, RateRule, Resolution, RoundingMode } from './types';

export interface RulesFieldError {
  field: string;
  message: string;
}

export type ParseRulesResult = { ok: true; rules: PolicyRules } | { ok: false; errors: RulesFieldError[] };

const BP_FULL = 10000;
const MIN_GRADE = 1;
const MAX_GRADE = 5;
const ROUNDING_MODES: readonly RoundingMode[] = ['half_up', 'down'];
const MAX_APPEAL_WITHIN_DAYS = 365;

/** Days to appeal a rejection when a policy version does not say (`appealWithinDays`, issue 13). */
export const DEFAULT_APPEAL_WITHIN_DAYS = 15;

const MAX_GRACE_HOURS = 24 * 30;
const MAX_DISMANTLE_WITHIN_DAYS = 365;

/** `rules.receiptRegistration`, or what a version without it means: registration not required, no grace. */
export function receiptRegistrationOf(rules: Pick<PolicyRules, 'receiptRegistration'>): { required: boolean; graceHours: number } {
  return rules.receiptRegistration ?? { required: false, graceHours: 0 };
}

/** `rules.dismantleWithinDays`, null (no deadline) when the version does not say. */
export function dismantleWithinDaysOf(rules: Pick<PolicyRules, 'dismantleWithinDays'>): number | null {
  return rules.dismantleWithinDays ?? null;
}

/** The days a rejection may be appealed under `rules`: its `appealWithinDays`, else DEFAULT_APPEAL_WITHIN_DAYS. */
export function appealWindowDays(rules: Pick<PolicyRules, 'appealWithinDays'>): number {
  return rules.appealWithinDays ?? DEFAULT_APPEAL_WITHIN_DAYS;
}

/** The version 1 rules of POLICY.md; frozen because callers share this one object. */
export const DEFAULT_POLICY_RULES: PolicyRules = deepFreeze({
  eligibility: { category: 'tv', resolutions: ['4K', '8K'], maxEnergyGrade: 2 },
  rates: [
    { energyGrade: 1, rateBp: 2000 },
    { energyGrade: 2, rateBp: 1500 },
  ],
  resolutionBonusBp: { '4K': 0, '8K': 0 },
  capFen: 200000,
  roundingFen: 1,
  rounding: 'half_up',
  receiptWindow: { daysBeforeSale: 180, daysAfterSale: 15 },
  priceFlagRatioBp: 13000,
  maxSalePriceFen: 50000000,
  reviewSampleBp: 500,
  firstClaimsReviewed: 5,
  storeBurstPerHour: 30,
} satisfies PolicyRules);

/**
 * Rules arrive from an admin over HTTP and are then frozen into an immutable version, so a mistake
 * accepted here would be paid out for as long as the version is in force: everything is checked, all
 * errors are reported at once, and unknown keys are refused (a typo like `capfen` must not silently
 * leave the real cap missing).
 */
export function parsePolicyRules(input: unknown): ParseRulesResult {
  const errors: RulesFieldError[] = [];
  const v = new Validator(errors);
  const root = 'rules';
  const obj = v.object(input, root, [
    'eligibility',
    'rates',
    'resolutionBonusBp',
    'capFen',
    'roundingFen',
    'rounding',
    'receiptWindow',
    'priceFlagRatioBp',
    'maxSalePriceFen',
    'reviewSampleBp',
    'firstClaimsReviewed',
    'storeBurstPerHour',
    'appealWithinDays',
    'receiptRegistration',
    'dismantleWithinDays',
  ]);
  if (!obj) return { ok: false, errors };

  const eligibility = parseEligibility(v, obj.eligibility, `${root}.eligibility`);
  const rates = parseRates(v, obj.rates, `${root}.rates`);
  const resolutionBonusBp = parseBonus(v, obj.resolutionBonusBp, `${root}.resolutionBonusBp`);
  const capFen = v.int(obj.capFen, `${root}.capFen`, 0);
  const roundingFen = v.int(obj.roundingFen, `${root}.roundingFen`, 1);
  const rounding = v.oneOf(obj.rounding, `${root}.rounding`, ROUNDING_MODES);
  const receiptWindow = parseReceiptWindow(v, obj.receiptWindow, `${root}.receiptWindow`);
  const priceFlagRatioBp = v.int(obj.priceFlagRatioBp, `${root}.priceFlagRatioBp`, 0);
  const maxSalePriceFen = v.int(obj.maxSalePriceFen, `${root}.maxSalePriceFen`, 1);
  const reviewSampleBp = v.int(obj.reviewSampleBp, `${root}.reviewSampleBp`, 0, BP_FULL);
  const firstClaimsReviewed = v.int(obj.firstClaimsReviewed, `${root}.firstClaimsReviewed`, 0);
  const storeBurstPerHour = v.int(obj.storeBurstPerHour, `${root}.storeBurstPerHour`, 0);
  const receiptRegistration = obj.receiptRegistration === undefined ? undefined : parseReceiptRegistration(v, obj.receiptRegistration, `${root}.receiptRegistration`);
  const dismantleWithinDays = obj.dismantleWithinDays === undefined || obj.dismantleWithinDays === null
    ? obj.dismantleWithinDays as null | undefined
    : v.int(obj.dismantleWithinDays, `${root}.dismantleWithinDays`, 1, MAX_DISMANTLE_WITHIN_DAYS);
  const appealWithinDays = obj.appealWithinDays === undefined ? undefined : v.int(obj.appealWithinDays, `${root}.appealWithinDays`, 0, MAX_APPEAL_WITHIN_DAYS);

  let maxRateBp: number | undefined;
  if (rates && resolutionBonusBp) {
    const maxBonus = Math.max(0, ...Object.values(resolutionBonusBp));
    maxRateBp = Math.max(0, ...rates.map((r) => r.rateBp)) + maxBonus;
    // Above 100% the customer would be owed money and payableByCustomerFen would go negative.
    if (maxRateBp > BP_FULL) {
      errors.push({
        field: `${root}.resolutionBonusBp`,
        message: `rateBp plus resolution bonus reaches ${maxRateBp} bp; it must not exceed ${BP_FULL} bp`,
      });
    }
  }
  // The engine's exact integer rounding needs price × rate + q to stay a safe integer.
  if (maxRateBp !== undefined && maxSalePriceFen !== undefined && roundingFen !== undefined) {
    const worst = BigInt(maxSalePriceFen) * BigInt(maxRateBp) + BigInt(BP_FULL) * BigInt(roundingFen);
    if (worst >= 2n ** 53n) {
      errors.push({
        field: `${root}.maxSalePriceFen`,
        message: 'maxSalePriceFen × highest rate + 10000 × roundingFen must stay below 2^53',
      });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    rules: {
      eligibility: eligibility!,
      rates: rates!,
      resolutionBonusBp: resolutionBonusBp!,
      capFen: capFen!,
      roundingFen: roundingFen!,
      rounding: rounding!,
      receiptWindow: receiptWindow!,
      priceFlagRatioBp: priceFlagRatioBp!,
      maxSalePriceFen: maxSalePriceFen!,
      reviewSampleBp: reviewSampleBp!,
      firstClaimsReviewed: firstClaimsReviewed!,
      storeBurstPerHour: storeBurstPerHour!,
      ...(appealWithinDays === undefined ? {} : { appealWithinDays }),
      ...(receiptRegistration === undefined ? {} : { receiptRegistration }),
      ...(dismantleWithinDays === undefined ? {} : { dismantleWithinDays }),
    },
  };
}

function parseEligibility(v: Validator, input: unknown, path: string): PolicyRules['eligibility'] | undefined {
  const obj = v.object(input, path, ['category', 'resolutions', 'maxEnergyGrade']);
  if (!obj) return undefined;
  const category = v.nonEmptyString(obj.category, `${path}.category`);
  const maxEnergyGrade = v.int(obj.maxEnergyGrade, `${path}.maxEnergyGrade`, MIN_GRADE, MAX_GRADE);
  let resolutions: Resolution[] | undefined;
  if (!Array.isArray(obj.resolutions)) {
    v.fail(`${path}.resolutions`, obj.resolutions === undefined ? 'is required' : 'must be an array');
  } else if (obj.resolutions.length === 0) {
    v.fail(`${path}.resolutions`, 'must list at least one resolution');
  } else {
    const seen = new Set<Resolution>();
    let valid = true;
    obj.resolutions.forEach((r: unknown, i: number) => {
      const res = v.oneOf(r, `${path}.resolutions[${i}]`, RESOLUTIONS);
      if (res === undefined) valid = false;
      else if (seen.has(res)) {
        valid = false;
        v.fail(`${path}.resolutions[${i}]`, `duplicate resolution ${res}`);
      } else seen.add(res);
    });
    if (valid) resolutions = [...seen];
  }
  if (category === undefined || maxEnergyGrade === undefined || resolutions === undefined) return undefined;
  return { category, resolutions, maxEnergyGrade };
}

function parseRates(v: Validator, input: unknown, path: string): RateRule[] | undefined {
  if (!Array.isArray(input)) {
    v.fail(path, input === undefined ? 'is required' : 'must be an array');
    return undefined;
  }
  if (input.length === 0) {
    v.fail(path, 'must list at least one rate');
    return undefined;
  }
  const seen = new Set<number>();
  const out: RateRule[] = [];
  let valid = true;
  input.forEach((item: unknown, i: number) => {
    const p = `${path}[${i}]`;
    const obj = v.object(item, p, ['energyGrade', 'rateBp']);
    if (!obj) {
      valid = false;
      return;
    }
    const energyGrade = v.int(obj.energyGrade, `${p}.energyGrade`, MIN_GRADE, MAX_GRADE);
    const rateBp = v.int(obj.rateBp, `${p}.rateBp`, 0, BP_FULL);
    if (energyGrade !== undefined && seen.has(energyGrade)) {
      v.fail(`${p}.energyGrade`, `duplicate rate for energy grade ${energyGrade}`);
      valid = false;
    }
    if (energyGrade === undefined || rateBp === undefined) {
      valid = false;
      return;
    }
    seen.add(energyGrade);
    out.push({ energyGrade, rateBp });
  });
  return valid ? out : undefined;
}

function parseBonus(v: Validator, input: unknown, path: string): Partial<Record<Resolution, number>> | undefined {
  const obj = v.object(input, path, RESOLUTIONS);
  if (!obj) return undefined;
  const out: Partial<Record<Resolution, number>> = {};
  let valid = true;
  for (const res of RESOLUTIONS) {
    if (!Object.hasOwn(obj, res)) continue;
    const bp = v.int(obj[res], `${path}.${res}`, 0, BP_FULL);
    if (bp === undefined) valid = false;
    else out[res] = bp;
  }
  return valid ? out : undefined;
}

function parseReceiptWindow(v: Validator, input: unknown, path: string): PolicyRules['receiptWindow'] | undefined {
  const obj = v.object(input, path, ['daysBeforeSale', 'daysAfterSale']);
  if (!obj) return undefined;
  const daysBeforeSale = v.int(obj.daysBeforeSale, `${path}.daysBeforeSale`, 0);
  const daysAfterSale = v.int(obj.daysAfterSale, `${path}.daysAfterSale`, 0);
  if (daysBeforeSale === undefined || daysAfterSale === undefined) return undefined;
  return { daysBeforeSale, daysAfterSale };
}

function parseReceiptRegistration(v: Validator, input: unknown, path: string): PolicyRules['receiptRegistration'] | undefined {
  const obj = v.object(input, path, ['required', 'graceHours']);
  if (!obj) return undefined;
  let required: boolean | undefined;
  if (typeof obj.required === 'boolean') required = obj.required;
  else v.fail(`${path}.required`, obj.required === undefined ? 'is required' : 'must be true or false');
  const graceHours = v.int(obj.graceHours, `${path}.graceHours`, 0, MAX_GRACE_HOURS);
  if (required === undefined || graceHours === undefined) return undefined;
  return { required, graceHours };
}

class Validator {
  constructor(private readonly errors: RulesFieldError[]) {}

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  missing(field: string): undefined {
    this.fail(field, 'is required');
    return undefined;
  }

  /** Reports unknown keys only; each field's own check reports it missing, so nothing is said twice. */
  object(input: unknown, path: string, keys: readonly string[]): Record<string, unknown> | undefined {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      this.fail(path, input === undefined ? 'is required' : 'must be an object');
      return undefined;
    }
    const obj = input as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key)) this.fail(`${path}.${key}`, 'is not a known field');
    }
    return obj;
  }

  int(input: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (input === undefined) return this.missing(path);
    if (typeof input !== 'number' || !Number.isSafeInteger(input)) {
      this.fail(path, 'must be an integer');
      return undefined;
    }
    if (input < min || input > max) {
      this.fail(path, max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`);
      return undefined;
    }
    return input === 0 ? 0 : input; // normalise -0
  }

  nonEmptyString(input: unknown, path: string): string | undefined {
    if (input === undefined) return this.missing(path);
    if (typeof input !== 'string' || input.trim() === '') {
      this.fail(path, 'must be a non-empty string');
      return undefined;
    }
    return input;
  }

  oneOf<T extends string>(input: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (input === undefined) return this.missing(path);
    if (typeof input !== 'string' || !(allowed as readonly string[]).includes(input)) {
      this.fail(path, `must be one of ${allowed.join(', ')}`);
      return undefined;
    }
    return input as T;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
