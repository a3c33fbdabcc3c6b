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
