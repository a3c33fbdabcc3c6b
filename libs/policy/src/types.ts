/**
 * A policy version's rules, exactly as POLICY.md publishes them. Every number the programme office may
 * change lives here rather than in code; versions are immutable once published, hence `readonly`.
 */
export type Resolution = '4K' | '8K' | 'FHD';

export const RESOLUTIONS: readonly Resolution[] = ['4K', '8K', 'FHD'];

export type RoundingMode = 'half_up' | 'down';

export interface RateRule {
  readonly energyGrade: number;
  readonly rateBp: number;
}

export interface PolicyRules {
  readonly eligibility: {
    readonly category: string;
    readonly resolutions: readonly Resolution[];
    readonly maxEnergyGrade: number;
  };
  readonly rates: readonly RateRule[];
  /** A resolution missing here earns no bonus. */
  readonly resolutionBonusBp: Readonly<Partial<Record<Resolution, number>>>;
  readonly capFen: number;
  readonly roundingFen: number;
  readonly rounding: RoundingMode;
  readonly receiptWindow: { readonly daysBeforeSale: number; readonly daysAfterSale: number };
  readonly priceFlagRatioBp: number;
  readonly maxSalePriceFen: number;
  readonly reviewSampleBp: number;
  readonly firstClaimsReviewed: number;
  readonly storeBurstPerHour: number;
  /**
   * Days after a rejection during which the household or the retailer may appeal it (0: no appeals). Optional: a
   * version without it allows DEFAULT_APPEAL_WITHIN_DAYS (`appealWindowDays`).
   */
  readonly appealWithinDays?: number;
  /**
   * Receipt transparency (issue 13): with `required`, a trade-in's receipt must have been registered with the platform
   * (POST /v1/recycler/receipts), and registered within `graceHours` of its own `iat` (recyclers offline). Optional: a
   * version without it requires nothing (`receiptRegistrationOf`).
   */
  readonly receiptRegistration?: { readonly required: boolean; readonly graceHours: number };
  /**
   * Days the recycler has to confirm the collected set dismantled, counted from the later of the sale and the
   * receipt's issue time; past them a claim is flagged `dismantling_unconfirmed` and held from payout. Null or
   * absent: no deadline.
   */
  readonly dismantleWithinDays?: number | null;
}

export interface PolicyVersion {
  version: number;
  effectiveFrom: Date;
  rules: PolicyRules;
}

/** What the policy needs to know about a catalogue model; the catalogue owns the rest. */
export interface ModelFacts {
  category: string;
  resolution: Resolution;
  energyGrade: number;
  referencePriceFen: number;
  approved: boolean;
}

export interface SubsidyResult {
  salePriceFen: number;
  /** Rounded subsidy before the cap, kept so callers can show how much the cap cut. */
  baseFen: number;
  rateBp: number;
  capFen: number;
  amountFen: number;
  capped: boolean;
  payableByCustomerFen: number;
}

export type PolicyViolationCode = 'price_invalid' | 'model_not_eligible';

/**
 * Local to the lib so policy stays free of core/Nest; the claims service maps `code` onto its
 * DomainError, and the codes are the API.md ones so that mapping is the identity.
 */
export class PolicyViolation extends Error {
  constructor(
    public readonly code: PolicyViolationCode,
    message?: string,
  ) {
    super(message ?? code.replace(/_/g, ' '));
    this.name = 'PolicyViolation';
  }
}
