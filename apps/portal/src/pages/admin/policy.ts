import type { components } from '../../api/schema';

/**
 * The policy rules in the programme office's pages: POLICY.md's version 1 as the default, a check of rules typed
 * as JSON (the same fields and bounds the server's parsePolicyRules checks, so most mistakes show before sending;
 * the server checks again and has the last word), and the subsidy PREVIEW — libs/policy's computeSubsidy formula
 * in integer arithmetic, repeated here because the page does not ship the server's code (policy.spec.ts holds the
 * two to the same answers).
 */
export type PolicyRules = components['schemas']['PolicyRulesDto'];
export type Resolution = '4K' | '8K' | 'FHD';
export const RESOLUTIONS: readonly Resolution[] = ['4K', '8K', 'FHD'];
export const GRADES = [1, 2, 3, 4, 5] as const;
const BP_FULL = 10000;

/** POLICY.md, "A policy version" (version 1). */
export const DEFAULT_RULES: PolicyRules = {
  eligibility: { category: 'tv', resolutions: ['4K', '8K'], maxEnergyGrade: 2 },
  rates: [{ energyGrade: 1, rateBp: 2000 }, { energyGrade: 2, rateBp: 1500 }],
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
};

export interface RulesError {
  field: string;
  message: string;
}

const TOP_KEYS = ['eligibility', 'rates', 'resolutionBonusBp', 'capFen', 'roundingFen', 'rounding', 'receiptWindow', 'priceFlagRatioBp',
  'maxSalePriceFen', 'reviewSampleBp', 'firstClaimsReviewed', 'storeBurstPerHour', 'appealWithinDays', 'receiptRegistration', 'dismantleWithinDays'];
/** Days to appeal a rejection when a version does not say (libs/policy DEFAULT_APPEAL_WITHIN_DAYS). */
export const DEFAULT_APPEAL_WITHIN_DAYS = 15;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks rules as parsePolicyRules does (every field, unknown keys refused, all errors at once, named `rules.<path>`).
 * Answers the rules when they are good.
 */
export function checkRules(input: unknown): { ok: true; rules: PolicyRules } | { ok: false; errors: RulesError[] } {
  const errors: RulesError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  const object = (v: unknown, path: string, keys: readonly string[]): Obj | undefined => {
    if (!isObj(v)) {
      fail(path, v === undefined ? 'is required' : 'must be an object');
      return undefined;
    }
    for (const k of Object.keys(v)) if (!keys.includes(k)) fail(`${path}.${k}`, 'is not a known field');
    return v;
  };
  const int = (v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v === undefined) fail(path, 'is required');
    else if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, 'must be an integer');
    else if (v < min || v > max) fail(path, max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`);
    else return v;
    return undefined;
  };
  const r = object(input, 'rules', TOP_KEYS);
  if (!r) return { ok: false, errors };
  const el = object(r.eligibility, 'rules.eligibility', ['category', 'resolutions', 'maxEnergyGrade']);
  if (el) {
    if (typeof el.category !== 'string' || !el.category.trim()) fail('rules.eligibility.category', 'must be a non-empty string');
    int(el.maxEnergyGrade, 'rules.eligibility.maxEnergyGrade', 1, 5);
    if (!Array.isArray(el.resolutions) || el.resolutions.length === 0) fail('rules.eligibility.resolutions', 'must list at least one resolution');
    else {
      const seen = new Set<unknown>();
      el.resolutions.forEach((x: unknown, i: number) => {
        if (!RESOLUTIONS.includes(x as Resolution)) fail(`rules.eligibility.resolutions[${i}]`, `must be one of ${RESOLUTIONS.join(', ')}`);
        else if (seen.has(x)) fail(`rules.eligibility.resolutions[${i}]`, `duplicate resolution ${String(x)}`);
        seen.add(x);
      });
    }
  }
  let maxRate = 0;
  if (!Array.isArray(r.rates) || r.rates.length === 0) fail('rules.rates', 'must list at least one rate');
  else {
    const grades = new Set<number>();
    r.rates.forEach((x: unknown, i: number) => {
      const o = object(x, `rules.rates[${i}]`, ['energyGrade', 'rateBp']);
      if (!o) return;
      const g = int(o.energyGrade, `rules.rates[${i}].energyGrade`, 1, 5);
      const bp = int(o.rateBp, `rules.rates[${i}].rateBp`, 0, BP_FULL);
      if (g !== undefined && grades.has(g)) fail(`rules.rates[${i}].energyGrade`, `duplicate rate for energy grade ${g}`);
      if (g !== undefined) grades.add(g);
      if (bp !== undefined) maxRate = Math.max(maxRate, bp);
    });
  }
  const bonus = object(r.resolutionBonusBp, 'rules.resolutionBonusBp', RESOLUTIONS);
  let maxBonus = 0;
  if (bonus) for (const res of RESOLUTIONS) if (res in bonus) maxBonus = Math.max(maxBonus, int(bonus[res], `rules.resolutionBonusBp.${res}`, 0, BP_FULL) ?? 0);
  int(r.capFen, 'rules.capFen', 0);
  const roundingFen = int(r.roundingFen, 'rules.roundingFen', 1);
  if (r.rounding !== 'half_up' && r.rounding !== 'down') fail('rules.rounding', 'must be one of half_up, down');
  const win = object(r.receiptWindow, 'rules.receiptWindow', ['daysBeforeSale', 'daysAfterSale']);
  if (win) {
    int(win.daysBeforeSale, 'rules.receiptWindow.daysBeforeSale', 0);
    int(win.daysAfterSale, 'rules.receiptWindow.daysAfterSale', 0);
  }
  int(r.priceFlagRatioBp, 'rules.priceFlagRatioBp', 0);
  const maxSale = int(r.maxSalePriceFen, 'rules.maxSalePriceFen', 1);
  int(r.reviewSampleBp, 'rules.reviewSampleBp', 0, BP_FULL);
  int(r.firstClaimsReviewed, 'rules.firstClaimsReviewed', 0);
  int(r.storeBurstPerHour, 'rules.storeBurstPerHour', 0);
  if (r.appealWithinDays !== undefined) int(r.appealWithinDays, 'rules.appealWithinDays', 0, 365);
  if (r.receiptRegistration !== undefined) {
    const reg = object(r.receiptRegistration, 'rules.receiptRegistration', ['required', 'graceHours']);
    if (reg) {
      if (typeof reg.required !== 'boolean') fail('rules.receiptRegistration.required', reg.required === undefined ? 'is required' : 'must be true or false');
      int(reg.graceHours, 'rules.receiptRegistration.graceHours', 0, 720);
    }
  }
  if (r.dismantleWithinDays !== undefined && r.dismantleWithinDays !== null) int(r.dismantleWithinDays, 'rules.dismantleWithinDays', 1, 365);
  if (maxRate + maxBonus > BP_FULL) fail('rules.resolutionBonusBp', `rateBp plus resolution bonus reaches ${maxRate + maxBonus} bp; it must not exceed ${BP_FULL} bp`);
  if (maxSale !== undefined && roundingFen !== undefined && maxSale * (maxRate + maxBonus) + BP_FULL * roundingFen >= 2 ** 53) {
    fail('rules.maxSalePriceFen', 'maxSalePriceFen × highest rate + 10000 × roundingFen must stay below 2^53');
  }
  return errors.length ? { ok: false, errors } : { ok: true, rules: r as unknown as PolicyRules };
}

export type Preview =
  | { eligible: true; salePriceFen: number; rateBp: number; capFen: number; baseFen: number; amountFen: number; capped: boolean; payableByCustomerFen: number }
  | { eligible: false; salePriceFen: number; reason: 'price_invalid' | 'model_not_eligible' };

/**
 * The subsidy a sale would get under `rules` (POLICY.md "Amount"): rate = the grade's rateBp + the resolution's
 * bonus; raw = price × rate / 10000 rounded to roundingFen (half up: floor((price × rate + q/2) / q) × roundingFen,
 * q = 10000 × roundingFen; down: floor); amount = min(rounded, capFen, price); customer pays price − amount.
 */
export function previewSubsidy(rules: PolicyRules, model: { resolution: Resolution; energyGrade: number; category?: string }, salePriceFen: number): Preview {
  if (!Number.isSafeInteger(salePriceFen) || salePriceFen <= 0 || salePriceFen > rules.maxSalePriceFen) return { eligible: false, salePriceFen, reason: 'price_invalid' };
  const rate = rules.rates.find((x) => x.energyGrade === model.energyGrade);
  if ((model.category ?? rules.eligibility.category) !== rules.eligibility.category || !rules.eligibility.resolutions.includes(model.resolution)
    || !(model.energyGrade <= rules.eligibility.maxEnergyGrade) || !rate) {
    return { eligible: false, salePriceFen, reason: 'model_not_eligible' };
  }
  const rateBp = rate.rateBp + (rules.resolutionBonusBp[model.resolution] ?? 0);
  const q = BP_FULL * rules.roundingFen;
  const baseFen = Math.floor((salePriceFen * rateBp + (rules.rounding === 'half_up' ? q / 2 : 0)) / q) * rules.roundingFen;
  const capped = baseFen > rules.capFen;
  const amountFen = Math.min(capped ? rules.capFen : baseFen, salePriceFen);
  return { eligible: true, salePriceFen, rateBp, capFen: rules.capFen, baseFen, amountFen, capped, payableByCustomerFen: salePriceFen - amountFen };
}

/** The models a preview shows: every eligible resolution with every grade that has a rate, best grade first. */
export function previewModels(rules: PolicyRules): { resolution: Resolution; energyGrade: number }[] {
  const grades = rules.rates.map((r) => r.energyGrade).filter((g) => g <= rules.eligibility.maxEnergyGrade).sort((a, b) => a - b);
  return rules.eligibility.resolutions.flatMap((resolution) => grades.map((energyGrade) => ({ resolution, energyGrade })));
}

/** Basis points as a percentage: 2000 → "20", 1550 → "15.5". */
export function bpToPercent(bp: number): string {
  return String(bp / 100);
}

/** A percentage typed by a person ("20", "15.5", "0.25") as whole basis points; undefined if it is not one. */
export function percentToBp(text: string): number | undefined {
  const s = text.trim().replace(/%$/, '');
  if (!/^\d{1,5}(\.\d{1,2})?$/.test(s)) return undefined;
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}
