import { ModelFacts, PolicyRules, PolicyVersion, PolicyViolation, RoundingMode, SubsidyResult } from './types';

const BP_FULL = 10000;
const DAY_MS = 24 * 60 * 60 * 1000;

export const FLAG_PRICE_ABOVE_REFERENCE = 'price_above_reference';
export const FLAG_RECEIPT_AFTER_SALE = 'receipt_after_sale';
export const FLAG_STORE_BURST = 'store_burst';
export const FLAG_PRIOR_REJECTIONS = 'prior_rejections';

export const RISK_FLAGS = [
  FLAG_PRICE_ABOVE_REFERENCE,
  FLAG_RECEIPT_AFTER_SALE,
  FLAG_STORE_BURST,
  FLAG_PRIOR_REJECTIONS,
] as const;
export type RiskFlag = (typeof RISK_FLAGS)[number];

/**
 * The version in force for a sale: the latest effectiveFrom at or before soldAt. Versions may come in
 * any order; if two share an effectiveFrom the higher version number wins, as it was published later.
 */
export function selectVersion<V extends PolicyVersion>(versions: readonly V[], soldAt: Date): V | undefined {
  const t = soldAt.getTime();
  if (Number.isNaN(t)) return undefined;
  let best: V | undefined;
  for (const v of versions) {
    const from = v.effectiveFrom.getTime();
    if (Number.isNaN(from) || from > t) continue;
    if (
      best === undefined ||
      from > best.effectiveFrom.getTime() ||
      (from === best.effectiveFrom.getTime() && v.version > best.version)
    ) {
      best = v;
    }
  }
  return best;
}

/** Why a model does not qualify, for the error detail; null when it does. */
export function explainIneligibility(rules: PolicyRules, model: ModelFacts): string | null {
  if (!model.approved) return 'model is not approved in the catalogue';
  if (model.category !== rules.eligibility.category) {
    return `category ${model.category} is not ${rules.eligibility.category}`;
  }
  if (!rules.eligibility.resolutions.includes(model.resolution)) {
    return `resolution ${model.resolution} is not one of ${rules.eligibility.resolutions.join(', ')}`;
  }
  if (!(model.energyGrade <= rules.eligibility.maxEnergyGrade)) {
    return `energy grade ${model.energyGrade} is worse than ${rules.eligibility.maxEnergyGrade}`;
  }
  // A grade inside maxEnergyGrade but without a published rate cannot be paid: refuse rather than pay 0.
  if (!rules.rates.some((r) => r.energyGrade === model.energyGrade)) {
    return `no rate is published for energy grade ${model.energyGrade}`;
  }
  return null;
}

export function checkEligibility(rules: PolicyRules, model: ModelFacts): 'model_not_eligible' | null {
  return explainIneligibility(rules, model) === null ? null : 'model_not_eligible';
}

/** Rate in basis points for an eligible model; throws model_not_eligible when its grade has no rate. */
export function rateFor(rules: PolicyRules, model: Pick<ModelFacts, 'energyGrade' | 'resolution'>): number {
  const rate = rules.rates.find((r) => r.energyGrade === model.energyGrade);
  if (!rate) throw new PolicyViolation('model_not_eligible', `no rate for energy grade ${model.energyGrade}`);
  return rate.rateBp + (rules.resolutionBonusBp[model.resolution] ?? 0);
}

/**
 * salePriceFen × rateBp / 10000 rounded to a multiple of roundingFen, exactly as POLICY.md writes it
 * (q = 10000 × roundingFen). Integer-only so that no fen is ever lost to binary floating point; the
 * safe-integer guard turns a rules/price combination the schema should have refused into a loud failure
 * instead of a silently wrong amount.
 */
export function roundFen(salePriceFen: number, rateBp: number, roundingFen: number, rounding: RoundingMode): number {
  assertNonNegativeSafeInteger(salePriceFen, 'salePriceFen');
  assertNonNegativeSafeInteger(rateBp, 'rateBp');
  assertNonNegativeSafeInteger(roundingFen, 'roundingFen');
  if (roundingFen < 1) throw new RangeError('roundingFen must be at least 1');
  const q = BP_FULL * roundingFen;
  const numerator = salePriceFen * rateBp + (rounding === 'half_up' ? q / 2 : 0);
  if (!Number.isSafeInteger(salePriceFen * rateBp) || !Number.isSafeInteger(numerator) || !Number.isSafeInteger(q)) {
    throw new RangeError('subsidy arithmetic would exceed 2^53; maxSalePriceFen is too large for these rules');
  }
  return Math.floor(numerator / q) * roundingFen;
}

/**
 * The subsidy for one sale. Price is checked before eligibility so that a garbage price is reported
 * as such even for an ineligible model (API clients fix the field they typed first).
 */
export function computeSubsidy(rules: PolicyRules, model: ModelFacts, salePriceFen: number): SubsidyResult {
  if (!Number.isSafeInteger(salePriceFen) || salePriceFen <= 0) {
    throw new PolicyViolation('price_invalid', 'sale price must be a positive whole number of fen');
  }
  if (salePriceFen > rules.maxSalePriceFen) {
    throw new PolicyViolation('price_invalid', `sale price exceeds ${rules.maxSalePriceFen} fen`);
  }
  const reason = explainIneligibility(rules, model);
  if (reason !== null) throw new PolicyViolation('model_not_eligible', reason);

  const rateBp = rateFor(rules, model);
  const baseFen = roundFen(salePriceFen, rateBp, rules.roundingFen, rules.rounding);
  const capped = baseFen > rules.capFen;
  // Rounding up to a coarse step (roundingFen) can overshoot a tiny price; the subsidy never exceeds what
  // the customer pays, so the till never hands out money (found by the fast-check property below).
  const amountFen = Math.min(capped ? rules.capFen : baseFen, salePriceFen);
  return {
    salePriceFen,
    baseFen,
    rateBp,
    capFen: rules.capFen,
    amountFen,
    capped,
    payableByCustomerFen: salePriceFen - amountFen,
  };
}

export type ReceiptWindowResult = 'ok' | 'after_sale' | 'outside';

/**
 * 'after_sale' is valid but must raise FLAG_RECEIPT_AFTER_SALE (the old set often leaves with the
 * delivery of the new one); 'outside' maps to the API code receipt_outside_window. Both bounds are
 * inclusive, and a receipt issued at the very moment of sale counts as before it.
 */
export function checkReceiptWindow(rules: PolicyRules, soldAt: Date, issuedAt: Date): ReceiptWindowResult {
  const sold = soldAt.getTime();
  const iat = issuedAt.getTime();
  if (Number.isNaN(sold) || Number.isNaN(iat)) return 'outside';
  const earliest = sold - rules.receiptWindow.daysBeforeSale * DAY_MS;
  const latest = sold + rules.receiptWindow.daysAfterSale * DAY_MS;
  if (iat < earliest || iat > latest) return 'outside';
  return iat > sold ? 'after_sale' : 'ok';
}

/** Strictly above the ratio; BigInt because referencePriceFen is catalogue data with no upper bound here. */
export function priceAboveReference(rules: PolicyRules, salePriceFen: number, referencePriceFen: number): boolean {
  return BigInt(salePriceFen) * BigInt(BP_FULL) > BigInt(referencePriceFen) * BigInt(rules.priceFlagRatioBp);
}

/** `submissionsInHour` counts the store's trade-ins in the hour including the one being submitted. */
export function exceedsStoreBurst(rules: PolicyRules, submissionsInHour: number): boolean {
  return submissionsInHour > rules.storeBurstPerHour;
}

export interface ReviewInput {
  flags: readonly string[];
  /** Claims this retailer submitted before this one. */
  retailerPriorClaims: number;
  /** Uniform integer in 0..9999 drawn by the caller, so this function stays pure and testable. */
  sampleDraw: number;
}

export interface ReviewDecision {
  status: 'approved' | 'pending_review';
  sampled: boolean;
  firstClaims: boolean;
}

/**
 * `sampled` and `firstClaims` are reported even when a flag already forces review, so reporting can
 * tell how a claim would have been routed without its flags.
 */
export function decideReview(rules: PolicyRules, input: ReviewInput): ReviewDecision {
  if (!Number.isInteger(input.sampleDraw) || input.sampleDraw < 0 || input.sampleDraw >= BP_FULL) {
    throw new RangeError('sampleDraw must be an integer in 0..9999');
  }
  if (!Number.isInteger(input.retailerPriorClaims) || input.retailerPriorClaims < 0) {
    throw new RangeError('retailerPriorClaims must be a non-negative integer');
  }
  const sampled = input.sampleDraw < rules.reviewSampleBp;
  const firstClaims = input.retailerPriorClaims < rules.firstClaimsReviewed;
  const pending = input.flags.length > 0 || sampled || firstClaims;
  return { status: pending ? 'pending_review' : 'approved', sampled, firstClaims };
}

function assertNonNegativeSafeInteger(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer`);
}
