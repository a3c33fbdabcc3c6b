/// <reference types="jest" />
import fc from 'fast-check';
import { computeSubsidy, DEFAULT_POLICY_RULES, parsePolicyRules, PolicyViolation, type PolicyRules as ServerRules } from '../../../../../libs/policy/src';
import { bpToPercent, checkRules, DEFAULT_RULES, percentToBp, previewModels, previewSubsidy, type PolicyRules, type Resolution } from './policy';

/**
 * The admin page's subsidy preview and rules check against the server's own (libs/policy): the same answer for
 * POLICY.md's worked examples and for any rules and price.
 */
describe('admin policy preview (portal)', () => {
  const server = (rules: PolicyRules, model: { resolution: Resolution; energyGrade: number }, price: number) => {
    try {
      return computeSubsidy(rules as ServerRules, { ...model, category: rules.eligibility.category, referencePriceFen: 1, approved: true }, price);
    } catch (err) {
      if (err instanceof PolicyViolation) return err.code;
      throw err;
    }
  };
  const page = (rules: PolicyRules, model: { resolution: Resolution; energyGrade: number }, price: number) => {
    const p = previewSubsidy(rules, model, price);
    return p.eligible ? { salePriceFen: p.salePriceFen, baseFen: p.baseFen, rateBp: p.rateBp, capFen: p.capFen, amountFen: p.amountFen, capped: p.capped, payableByCustomerFen: p.payableByCustomerFen } : p.reason;
  };

  it('uses POLICY.md version 1 as its default', () => {
    expect(DEFAULT_RULES).toEqual(DEFAULT_POLICY_RULES);
  });

  it.each([
    ['4K', 1, 599900, 119980, false],
    ['4K', 1, 500000, 100000, false],
    ['4K', 2, 500000, 75000, false],
    ['4K', 2, 329900, 49485, false],
    ['4K', 2, 329999, 49500, false],
    ['8K', 1, 1299900, 200000, true],
    ['8K', 2, 1340000, 200000, true],
  ] as const)('POLICY.md: %s grade %i at %i fen → %i fen', (resolution, energyGrade, price, amount, capped) => {
    const p = previewSubsidy(DEFAULT_RULES, { resolution, energyGrade }, price);
    expect(p).toMatchObject({ eligible: true, amountFen: amount, capped, payableByCustomerFen: price - amount });
  });

  it('refuses what the server refuses: grade 3, FHD, a bad price', () => {
    expect(previewSubsidy(DEFAULT_RULES, { resolution: '4K', energyGrade: 3 }, 400000)).toMatchObject({ eligible: false, reason: 'model_not_eligible' });
    expect(previewSubsidy(DEFAULT_RULES, { resolution: 'FHD', energyGrade: 1 }, 299900)).toMatchObject({ eligible: false, reason: 'model_not_eligible' });
    expect(previewSubsidy(DEFAULT_RULES, { resolution: '4K', energyGrade: 1 }, 0)).toMatchObject({ eligible: false, reason: 'price_invalid' });
    expect(previewModels(DEFAULT_RULES)).toEqual([
      { resolution: '4K', energyGrade: 1 }, { resolution: '4K', energyGrade: 2 }, { resolution: '8K', energyGrade: 1 }, { resolution: '8K', energyGrade: 2 },
    ]);
  });

  it('whole-yuan rounding, half up or down (POLICY.md)', () => {
    const whole = { ...DEFAULT_RULES, roundingFen: 100 };
    expect(previewSubsidy(whole, { resolution: '4K', energyGrade: 2 }, 329900)).toMatchObject({ amountFen: 49500 });
    expect(previewSubsidy({ ...whole, rounding: 'down' }, { resolution: '4K', energyGrade: 2 }, 329900)).toMatchObject({ amountFen: 49400 });
  });

  it('answers as libs/policy computeSubsidy for any rules, model and price', () => {
    const rulesArb = fc.record({
      rate1: fc.integer({ min: 0, max: 5000 }), rate2: fc.integer({ min: 0, max: 5000 }), bonus: fc.integer({ min: 0, max: 5000 }),
      capFen: fc.integer({ min: 0, max: 10_000_000 }), roundingFen: fc.constantFrom(1, 5, 10, 100, 1000), rounding: fc.constantFrom('half_up' as const, 'down' as const),
      maxEnergyGrade: fc.integer({ min: 1, max: 5 }),
    }).map((x): PolicyRules => ({
      ...DEFAULT_RULES, eligibility: { ...DEFAULT_RULES.eligibility, maxEnergyGrade: x.maxEnergyGrade }, capFen: x.capFen,
      rates: [{ energyGrade: 1, rateBp: x.rate1 }, { energyGrade: 2, rateBp: x.rate2 }], resolutionBonusBp: { '4K': 0, '8K': x.bonus },
      roundingFen: x.roundingFen, rounding: x.rounding,
    }));
    fc.assert(fc.property(
      rulesArb, fc.constantFrom<Resolution>('4K', '8K', 'FHD'), fc.integer({ min: 1, max: 5 }), fc.integer({ min: -10, max: 60_000_000 }),
      (rules, resolution, energyGrade, price) => {
        expect(page(rules, { resolution, energyGrade }, price)).toEqual(server(rules, { resolution, energyGrade }, price));
      },
    ), { numRuns: 2000 });
  });

  it('checks rules typed as JSON as the server does: good or not, and the same fields named', () => {
    const bad: unknown[] = [
      null, [], 'rules', {},
      { ...DEFAULT_RULES, capfen: 1 },
      { ...DEFAULT_RULES, capFen: -1, roundingFen: 0, rounding: 'up' },
      { ...DEFAULT_RULES, rates: [{ energyGrade: 1, rateBp: 2000 }, { energyGrade: 1, rateBp: 1000 }] },
      { ...DEFAULT_RULES, rates: [] },
      { ...DEFAULT_RULES, rates: [{ energyGrade: 6, rateBp: 10001 }] },
      { ...DEFAULT_RULES, eligibility: { category: '', resolutions: ['4K', '4K', '2K'], maxEnergyGrade: 0 } },
      { ...DEFAULT_RULES, resolutionBonusBp: { '8K': 9000 } },
      { ...DEFAULT_RULES, maxSalePriceFen: 2 ** 50 },
      { ...DEFAULT_RULES, receiptWindow: { daysBeforeSale: 1.5 } },
      { ...DEFAULT_RULES, reviewSampleBp: 10001, firstClaimsReviewed: -1, storeBurstPerHour: '30' },
    ];
    const fields = (r: { ok: true } | { ok: false; errors: { field: string }[] }) => (r.ok ? 'ok' : new Set(r.errors.map((e) => e.field)));
    for (const input of bad) {
      const theirs = fields(parsePolicyRules(input));
      expect(theirs).not.toBe('ok');
      expect(fields(checkRules(input))).toEqual(theirs);
    }
    expect(checkRules(JSON.parse(JSON.stringify(DEFAULT_RULES)))).toEqual({ ok: true, rules: DEFAULT_RULES });
  });

  it('percentages and basis points', () => {
    expect(percentToBp('20')).toBe(2000);
    expect(percentToBp('15.5')).toBe(1550);
    expect(percentToBp('0.25%')).toBe(25);
    expect(percentToBp('')).toBeUndefined();
    expect(percentToBp('1.234')).toBeUndefined();
    expect(percentToBp('-1')).toBeUndefined();
    expect(bpToPercent(1550)).toBe('15.5');
  });
});
