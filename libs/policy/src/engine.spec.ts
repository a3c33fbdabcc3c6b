import fc from 'fast-check';
import {
  FLAG_PRICE_ABOVE_REFERENCE,
  FLAG_PRIOR_REJECTIONS,
  FLAG_RECEIPT_AFTER_SALE,
  FLAG_STORE_BURST,
  RISK_FLAGS,
  checkEligibility,
  checkReceiptWindow,
  computeSubsidy,
  decideReview,
  exceedsStoreBurst,
  explainIneligibility,
  priceAboveReference,
  rateFor,
  roundFen,
  selectVersion,
} from './engine';
import { DEFAULT_POLICY_RULES } from './rules-schema';
import { ModelFacts, PolicyRules, PolicyVersion, PolicyViolation, Resolution } from './types';

const V1 = DEFAULT_POLICY_RULES;
const NATIONAL_2026: PolicyRules = {
  ...V1,
  eligibility: { ...V1.eligibility, maxEnergyGrade: 1 },
  rates: [{ energyGrade: 1, rateBp: 1500 }],
  capFen: 150000,
};

function tv(resolution: Resolution, energyGrade: number, overrides: Partial<ModelFacts> = {}): ModelFacts {
  return { category: 'tv', resolution, energyGrade, referencePriceFen: 500000, approved: true, ...overrides };
}

function violationOf(fn: () => unknown): PolicyViolation {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyViolation) return e;
    throw e;
  }
  throw new Error('expected a PolicyViolation');
}

describe('computeSubsidy — POLICY.md worked examples (version 1)', () => {
  // [resolution, grade, price fen, rate bp, subsidy fen, capped, customer pays fen]
  const rows: [Resolution, number, number, number, number, boolean, number][] = [
    ['4K', 1, 599900, 2000, 119980, false, 479920],
    ['4K', 1, 500000, 2000, 100000, false, 400000],
    ['4K', 2, 500000, 1500, 75000, false, 425000],
    ['4K', 2, 329900, 1500, 49485, false, 280415],
    ['4K', 2, 329999, 1500, 49500, false, 280499], // 494.9985 rounds half up to 495.00
    ['8K', 1, 1299900, 2000, 200000, true, 1099900],
    ['8K', 2, 1340000, 1500, 200000, true, 1140000],
  ];

  it.each(rows)('%s grade %i at %i fen → rate %i bp, %i fen, capped %s, pays %i', (res, grade, price, rate, amount, capped, pays) => {
    const r = computeSubsidy(V1, tv(res, grade), price);
    expect(r).toMatchObject({ salePriceFen: price, rateBp: rate, amountFen: amount, capped, payableByCustomerFen: pays, capFen: 200000 });
  });

  it('keeps the uncapped rounded amount as baseFen', () => {
    expect(computeSubsidy(V1, tv('8K', 1), 1299900).baseFen).toBe(259980);
    expect(computeSubsidy(V1, tv('4K', 2), 329900).baseFen).toBe(49485);
  });

  it.each([
    ['4K grade 3', tv('4K', 3), 400000],
    ['FHD grade 1', tv('FHD', 1), 299900],
  ])('%s is model_not_eligible', (_name, model, price) => {
    expect(violationOf(() => computeSubsidy(V1, model, price)).code).toBe('model_not_eligible');
  });
});

describe('computeSubsidy — other versions from POLICY.md', () => {
  it('roundingFen 100: 3,299.00 grade 2 gets 495.00 half up and 494.00 down', () => {
    const halfUp = computeSubsidy({ ...V1, roundingFen: 100, rounding: 'half_up' }, tv('4K', 2), 329900);
    const down = computeSubsidy({ ...V1, roundingFen: 100, rounding: 'down' }, tv('4K', 2), 329900);
    expect(halfUp).toMatchObject({ amountFen: 49500, capped: false, payableByCustomerFen: 280400 });
    expect(down).toMatchObject({ amountFen: 49400, capped: false, payableByCustomerFen: 280500 });
  });

  it('2026 national rules: 12,000.00 grade 1 gets 1,500.00 capped', () => {
    expect(computeSubsidy(NATIONAL_2026, tv('4K', 1), 1200000)).toMatchObject({
      rateBp: 1500,
      baseFen: 180000,
      amountFen: 150000,
      capped: true,
      capFen: 150000,
      payableByCustomerFen: 1050000,
    });
  });

  it('2026 national rules: grade 2 is model_not_eligible', () => {
    expect(checkEligibility(NATIONAL_2026, tv('4K', 2))).toBe('model_not_eligible');
    expect(violationOf(() => computeSubsidy(NATIONAL_2026, tv('4K', 2), 1200000)).code).toBe('model_not_eligible');
  });

  it('adds the resolution bonus to the grade rate', () => {
    const rules: PolicyRules = { ...V1, resolutionBonusBp: { '8K': 500 } };
    expect(rateFor(rules, tv('8K', 2))).toBe(2000);
    expect(rateFor(rules, tv('4K', 2))).toBe(1500);
    expect(computeSubsidy(rules, tv('8K', 2), 500000).amountFen).toBe(100000);
  });

  it('rounding down drops the half fen that half up keeps', () => {
    expect(computeSubsidy({ ...V1, rounding: 'down' }, tv('4K', 2), 329999).amountFen).toBe(49499);
  });
});

describe('computeSubsidy — price_invalid', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, V1.maxSalePriceFen + 1])('refuses %p', (price) => {
    expect(violationOf(() => computeSubsidy(V1, tv('4K', 1), price)).code).toBe('price_invalid');
  });

  it('accepts exactly maxSalePriceFen and 1 fen', () => {
    expect(computeSubsidy(V1, tv('4K', 1), V1.maxSalePriceFen).amountFen).toBe(200000);
    expect(computeSubsidy(V1, tv('4K', 1), 1)).toMatchObject({ amountFen: 0, payableByCustomerFen: 1 });
    expect(computeSubsidy(V1, tv('4K', 1), 3)).toMatchObject({ amountFen: 1, payableByCustomerFen: 2 }); // 0.6 fen → 1
  });

  it('reports a bad price before an ineligible model', () => {
    expect(violationOf(() => computeSubsidy(V1, tv('FHD', 3), 0)).code).toBe('price_invalid');
  });

  it('is a PolicyViolation that is also an Error', () => {
    const e = violationOf(() => computeSubsidy(V1, tv('4K', 1), 0));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PolicyViolation');
  });
});

describe('checkEligibility', () => {
  it.each([
    ['approved 4K grade 1', tv('4K', 1), null],
    ['approved 8K grade 2', tv('8K', 2), null],
    ['not approved', tv('4K', 1, { approved: false }), 'model_not_eligible'],
    ['not a TV', tv('4K', 1, { category: 'fridge' }), 'model_not_eligible'],
    ['FHD', tv('FHD', 1), 'model_not_eligible'],
    ['grade 3', tv('4K', 3), 'model_not_eligible'],
  ])('%s → %p', (_name, model, expected) => {
    expect(checkEligibility(V1, model)).toBe(expected);
  });

  it('refuses a grade inside maxEnergyGrade that has no published rate', () => {
    const rules: PolicyRules = { ...V1, eligibility: { ...V1.eligibility, maxEnergyGrade: 3 } };
    expect(checkEligibility(rules, tv('4K', 3))).toBe('model_not_eligible');
    expect(explainIneligibility(rules, tv('4K', 3))).toMatch(/no rate/);
    expect(() => rateFor(rules, tv('4K', 3))).toThrow(PolicyViolation);
  });

  it('explains why', () => {
    expect(explainIneligibility(V1, tv('4K', 1, { approved: false }))).toMatch(/approved/);
    expect(explainIneligibility(V1, tv('FHD', 1))).toMatch(/resolution FHD/);
    expect(explainIneligibility(V1, tv('4K', 1))).toBeNull();
  });
});

describe('roundFen', () => {
  it('follows the POLICY.md formula', () => {
    expect(roundFen(329900, 1500, 100, 'half_up')).toBe(49500);
    expect(roundFen(329900, 1500, 100, 'down')).toBe(49400);
    expect(roundFen(329999, 1500, 1, 'half_up')).toBe(49500);
    expect(roundFen(329999, 1500, 1, 'down')).toBe(49499);
    expect(roundFen(1, 5000, 1, 'half_up')).toBe(1); // exactly half a fen rounds up
    expect(roundFen(1, 4999, 1, 'half_up')).toBe(0);
    expect(roundFen(150, 10000, 100, 'half_up')).toBe(200); // 1.50 yuan → 2 yuan
    expect(roundFen(149, 10000, 100, 'half_up')).toBe(100);
  });

  it('refuses arithmetic beyond 2^53 instead of losing fen', () => {
    expect(() => roundFen(Number.MAX_SAFE_INTEGER, 10000, 1, 'half_up')).toThrow(RangeError);
  });

  it('refuses non-integer inputs', () => {
    expect(() => roundFen(1.5, 1500, 1, 'down')).toThrow(RangeError);
    expect(() => roundFen(100, 1500, 0, 'down')).toThrow(RangeError);
  });
});

describe('selectVersion', () => {
  const v1: PolicyVersion = { version: 1, effectiveFrom: new Date('2025-01-01T00:00:00+08:00'), rules: V1 };
  const v2: PolicyVersion = { version: 2, effectiveFrom: new Date('2026-01-01T00:00:00+08:00'), rules: NATIONAL_2026 };
  const versions = [v2, v1]; // order must not matter

  it('gives nothing before the first version', () => {
    expect(selectVersion(versions, new Date('2024-12-31T23:59:59.999+08:00'))).toBeUndefined();
    expect(selectVersion([], new Date())).toBeUndefined();
  });

  it('keeps version 1 for earlier sales and version 2 from its effectiveFrom on', () => {
    expect(selectVersion(versions, new Date('2025-06-01T12:00:00+08:00'))).toBe(v1);
    expect(selectVersion(versions, new Date(v2.effectiveFrom.getTime() - 1))).toBe(v1);
    expect(selectVersion(versions, new Date(v2.effectiveFrom.getTime()))).toBe(v2);
    expect(selectVersion(versions, new Date('2026-03-01T00:00:00+08:00'))).toBe(v2);
    expect(selectVersion(versions, v1.effectiveFrom)).toBe(v1);
  });

  it('pays the same set differently on either side of the switch', () => {
    const model = tv('4K', 1);
    const before = selectVersion(versions, new Date(v2.effectiveFrom.getTime() - 1))!;
    const after = selectVersion(versions, v2.effectiveFrom)!;
    expect(computeSubsidy(before.rules, model, 1200000)).toMatchObject({ amountFen: 200000, capped: true });
    expect(computeSubsidy(after.rules, model, 1200000)).toMatchObject({ amountFen: 150000, capped: true });
    expect(computeSubsidy(before.rules, tv('4K', 2), 500000).amountFen).toBe(75000);
    expect(() => computeSubsidy(after.rules, tv('4K', 2), 500000)).toThrow(PolicyViolation);
  });

  it('prefers the higher version number when two take effect at the same instant', () => {
    const v3: PolicyVersion = { ...v2, version: 3 };
    expect(selectVersion([v3, v2, v1], v2.effectiveFrom)).toBe(v3);
    expect(selectVersion([v2, v3, v1], v2.effectiveFrom)).toBe(v3);
  });

  it('gives nothing for an invalid sale time', () => {
    expect(selectVersion(versions, new Date(Number.NaN))).toBeUndefined();
  });
});

describe('checkReceiptWindow', () => {
  const soldAt = new Date('2025-06-15T10:00:00Z');
  const DAY = 24 * 60 * 60 * 1000;
  const at = (ms: number) => new Date(soldAt.getTime() + ms);

  it.each([
    ['exactly 180 days before', -180 * DAY, 'ok'],
    ['1 ms earlier than 180 days before', -180 * DAY - 1, 'outside'],
    ['a day before', -DAY, 'ok'],
    ['at the sale instant', 0, 'ok'],
    ['1 ms after the sale', 1, 'after_sale'],
    ['exactly 15 days after', 15 * DAY, 'after_sale'],
    ['1 ms later than 15 days after', 15 * DAY + 1, 'outside'],
  ])('%s → %s', (_name, offset, expected) => {
    expect(checkReceiptWindow(V1, soldAt, at(offset))).toBe(expected);
  });

  it('honours a zero-day window', () => {
    const rules: PolicyRules = { ...V1, receiptWindow: { daysBeforeSale: 0, daysAfterSale: 0 } };
    expect(checkReceiptWindow(rules, soldAt, soldAt)).toBe('ok');
    expect(checkReceiptWindow(rules, soldAt, at(1))).toBe('outside');
    expect(checkReceiptWindow(rules, soldAt, at(-1))).toBe('outside');
  });

  it('treats invalid dates as outside', () => {
    expect(checkReceiptWindow(V1, soldAt, new Date(Number.NaN))).toBe('outside');
  });
});

describe('flags', () => {
  it('exports the four flag names', () => {
    expect([FLAG_PRICE_ABOVE_REFERENCE, FLAG_RECEIPT_AFTER_SALE, FLAG_STORE_BURST, FLAG_PRIOR_REJECTIONS]).toEqual([
      'price_above_reference',
      'receipt_after_sale',
      'store_burst',
      'prior_rejections',
    ]);
    expect(RISK_FLAGS).toHaveLength(4);
  });

  it('flags a price strictly above 130% of the reference', () => {
    expect(priceAboveReference(V1, 650000, 500000)).toBe(false); // exactly 130%
    expect(priceAboveReference(V1, 650001, 500000)).toBe(true);
    expect(priceAboveReference(V1, 500000, 500000)).toBe(false);
    expect(priceAboveReference(V1, 1, 0)).toBe(true);
  });

  it('flags a store burst only above the hourly limit', () => {
    expect(exceedsStoreBurst(V1, 30)).toBe(false);
    expect(exceedsStoreBurst(V1, 31)).toBe(true);
  });
});

describe('decideReview', () => {
  const veteran = 5; // firstClaimsReviewed is 5: the sixth claim (5 before it) is the first not forced
  const noSample = 500; // reviewSampleBp is 500: draws 0..499 are sampled

  it('approves an unflagged, unsampled claim from an established retailer', () => {
    expect(decideReview(V1, { flags: [], retailerPriorClaims: veteran, sampleDraw: noSample })).toEqual({
      status: 'approved',
      sampled: false,
      firstClaims: false,
    });
    expect(decideReview(V1, { flags: [], retailerPriorClaims: 1000, sampleDraw: 9999 }).status).toBe('approved');
  });

  it.each(RISK_FLAGS)('sends a claim flagged %s to review', (flag) => {
    expect(decideReview(V1, { flags: [flag], retailerPriorClaims: veteran, sampleDraw: noSample })).toEqual({
      status: 'pending_review',
      sampled: false,
      firstClaims: false,
    });
  });

  it("reviews a retailer's first five claims", () => {
    for (let prior = 0; prior < 5; prior++) {
      expect(decideReview(V1, { flags: [], retailerPriorClaims: prior, sampleDraw: noSample })).toEqual({
        status: 'pending_review',
        sampled: false,
        firstClaims: true,
      });
    }
  });

  it('samples draws below reviewSampleBp', () => {
    expect(decideReview(V1, { flags: [], retailerPriorClaims: veteran, sampleDraw: 0 })).toEqual({
      status: 'pending_review',
      sampled: true,
      firstClaims: false,
    });
    expect(decideReview(V1, { flags: [], retailerPriorClaims: veteran, sampleDraw: 499 }).sampled).toBe(true);
    expect(decideReview(V1, { flags: [], retailerPriorClaims: veteran, sampleDraw: 500 }).sampled).toBe(false);
  });

  it('samples exactly reviewSampleBp of the 10000 possible draws', () => {
    let sampled = 0;
    for (let d = 0; d < 10000; d++) if (decideReview(V1, { flags: [], retailerPriorClaims: veteran, sampleDraw: d }).sampled) sampled++;
    expect(sampled).toBe(V1.reviewSampleBp);
  });

  it('refuses a draw outside 0..9999 or a bad claim count', () => {
    expect(() => decideReview(V1, { flags: [], retailerPriorClaims: 0, sampleDraw: 10000 })).toThrow(RangeError);
    expect(() => decideReview(V1, { flags: [], retailerPriorClaims: 0, sampleDraw: -1 })).toThrow(RangeError);
    expect(() => decideReview(V1, { flags: [], retailerPriorClaims: 0, sampleDraw: 0.5 })).toThrow(RangeError);
    expect(() => decideReview(V1, { flags: [], retailerPriorClaims: -1, sampleDraw: 0 })).toThrow(RangeError);
  });
});

describe('computeSubsidy — properties', () => {
  const rulesArb: fc.Arbitrary<PolicyRules> = fc
    .record({
      rate1: fc.integer({ min: 0, max: 10000 }),
      rate2: fc.integer({ min: 0, max: 10000 }),
      bonus: fc.integer({ min: 0, max: 10000 }),
      capFen: fc.integer({ min: 0, max: 10_000_000 }),
      roundingFen: fc.constantFrom(1, 5, 10, 50, 100, 1000, 7),
      rounding: fc.constantFrom('half_up' as const, 'down' as const),
    })
    .map(({ rate1, rate2, bonus, capFen, roundingFen, rounding }) => ({
      ...V1,
      rates: [
        { energyGrade: 1, rateBp: rate1 },
        { energyGrade: 2, rateBp: rate2 },
      ],
      resolutionBonusBp: { '8K': Math.min(bonus, 10000 - Math.max(rate1, rate2)) },
      capFen,
      roundingFen,
      rounding,
    }));
  const modelArb = fc.record({
    resolution: fc.constantFrom<Resolution>('4K', '8K'),
    energyGrade: fc.constantFrom(1, 2),
  });
  const priceArb = fc.integer({ min: 1, max: V1.maxSalePriceFen });

  it('never pays a negative amount, never above the cap, never more than the exact amount plus one rounding step', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, (rules, m, price) => {
        const r = computeSubsidy(rules, tv(m.resolution, m.energyGrade), price);
        const exactFloor = Math.floor((price * r.rateBp) / 10000);
        expect(Number.isSafeInteger(r.amountFen)).toBe(true);
        expect(r.amountFen).toBeGreaterThanOrEqual(0);
        expect(r.amountFen).toBeLessThanOrEqual(rules.capFen);
        expect(r.amountFen).toBeLessThanOrEqual(exactFloor + rules.roundingFen);
        expect(r.capped).toBe(r.baseFen > rules.capFen);
      }),
    );
  });

  it('rounds the exact amount to within one step down, or half a step either way half up', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, (rules, m, price) => {
        const r = computeSubsidy(rules, tv(m.resolution, m.energyGrade), price);
        // Scaled by 10000 so the exact amount needs no division; the bounds are (lo, hi].
        const diff = r.baseFen * 10000 - price * r.rateBp;
        const step = rules.roundingFen * 10000;
        const [lo, hi] = rules.rounding === 'down' ? [-step, 0] : [-step / 2, step / 2];
        expect(diff).toBeGreaterThan(lo);
        expect(diff).toBeLessThanOrEqual(hi);
        expect(r.amountFen).toBe(Math.min(r.baseFen, rules.capFen, price));
      }),
    );
  });

  it('is a multiple of roundingFen when not capped', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, (rules, m, price) => {
        const r = computeSubsidy(rules, tv(m.resolution, m.energyGrade), price);
        expect(r.baseFen % rules.roundingFen).toBe(0);
        expect(r.capped || r.amountFen === price || r.amountFen % rules.roundingFen === 0).toBe(true);
      }),
    );
  });

  it('never decreases when the price rises', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, priceArb, (rules, m, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const model = tv(m.resolution, m.energyGrade);
        expect(computeSubsidy(rules, model, hi).amountFen).toBeGreaterThanOrEqual(computeSubsidy(rules, model, lo).amountFen);
      }),
    );
  });

  it('splits the price exactly between subsidy and customer, and the customer never pays a negative amount', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, (rules, m, price) => {
        const r = computeSubsidy(rules, tv(m.resolution, m.energyGrade), price);
        expect(r.payableByCustomerFen + r.amountFen).toBe(price);
        expect(r.payableByCustomerFen).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('agrees with an exact BigInt computation of the POLICY.md formula', () => {
    fc.assert(
      fc.property(rulesArb, modelArb, priceArb, (rules, m, price) => {
        const r = computeSubsidy(rules, tv(m.resolution, m.energyGrade), price);
        const q = 10000n * BigInt(rules.roundingFen);
        const num = BigInt(price) * BigInt(r.rateBp) + (rules.rounding === 'half_up' ? q / 2n : 0n);
        const rounded = (num / q) * BigInt(rules.roundingFen);
        const capped = rounded > BigInt(rules.capFen) ? BigInt(rules.capFen) : rounded;
        // and never more than the price itself (coarse rounding of a tiny price)
        const expected = capped > BigInt(price) ? BigInt(price) : capped;
        expect(BigInt(r.amountFen)).toBe(expected);
      }),
    );
  });
});

describe('computeSubsidy — a tiny price under coarse rounding', () => {
  it('never gives more than the price (fast-check counterexample, seed 1245068116)', () => {
    const rules = {
      ...DEFAULT_POLICY_RULES,
      rates: [{ energyGrade: 1, rateBp: 0 }, { energyGrade: 2, rateBp: 0 }],
      resolutionBonusBp: { '8K': 8334 },
      capFen: 7,
      roundingFen: 10,
    };
    const r = computeSubsidy(rules, { category: 'tv', resolution: '8K', energyGrade: 1, referencePriceFen: 100, approved: true }, 6);
    expect(r.amountFen).toBe(6);
    expect(r.payableByCustomerFen).toBe(0);
  });
});
