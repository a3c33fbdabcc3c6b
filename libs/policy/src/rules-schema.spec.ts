import fc from 'fast-check';
import { computeSubsidy } from './engine';
import { DEFAULT_POLICY_RULES, parsePolicyRules } from './rules-schema';

/** The JSON block of POLICY.md, verbatim, as an admin would post it. */
const POLICY_MD_JSON = `{
  "eligibility": { "category": "tv", "resolutions": ["4K", "8K"], "maxEnergyGrade": 2 },
  "rates": [ { "energyGrade": 1, "rateBp": 2000 }, { "energyGrade": 2, "rateBp": 1500 } ],
  "resolutionBonusBp": { "4K": 0, "8K": 0 },
  "capFen": 200000,
  "roundingFen": 1,
  "rounding": "half_up",
  "receiptWindow": { "daysBeforeSale": 180, "daysAfterSale": 15 },
  "priceFlagRatioBp": 13000,
  "maxSalePriceFen": 50000000,
  "reviewSampleBp": 500,
  "firstClaimsReviewed": 5,
  "storeBurstPerHour": 30
}`;

function base(): Record<string, any> {
  return JSON.parse(POLICY_MD_JSON);
}

function errorsOf(input: unknown): { field: string; message: string }[] {
  const r = parsePolicyRules(input);
  if (r.ok) throw new Error('expected rules to be refused');
  return r.errors;
}

function fieldsOf(input: unknown): string[] {
  return errorsOf(input).map((e) => e.field);
}

describe('DEFAULT_POLICY_RULES', () => {
  it('is the POLICY.md example', () => {
    expect(DEFAULT_POLICY_RULES).toEqual(base());
  });

  it('is frozen so no caller can change version 1 for everyone', () => {
    expect(Object.isFrozen(DEFAULT_POLICY_RULES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY_RULES.rates[0])).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY_RULES.eligibility.resolutions)).toBe(true);
  });
});

describe('parsePolicyRules — accepts', () => {
  it('the POLICY.md JSON', () => {
    const r = parsePolicyRules(base());
    expect(r).toEqual({ ok: true, rules: DEFAULT_POLICY_RULES });
  });

  it('the 2026 national-rules version', () => {
    const input = base();
    input.rates = [{ energyGrade: 1, rateBp: 1500 }];
    input.capFen = 150000;
    input.eligibility.maxEnergyGrade = 1;
    const r = parsePolicyRules(input);
    expect(r.ok).toBe(true);
  });

  it('missing resolution bonus entries, which then earn nothing', () => {
    const r = parsePolicyRules({ ...base(), resolutionBonusBp: { '8K': 300 } });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.rules.resolutionBonusBp).toEqual({ '8K': 300 });
    const model = { category: 'tv', resolution: '4K' as const, energyGrade: 2, referencePriceFen: 1, approved: true };
    expect(computeSubsidy(r.rules, model, 100000).rateBp).toBe(1500);
    expect(computeSubsidy(r.rules, { ...model, resolution: '8K' }, 100000).rateBp).toBe(1800);
    expect(parsePolicyRules({ ...base(), resolutionBonusBp: {} }).ok).toBe(true);
  });

  it('a copy, so later changes to the input do not reach the rules', () => {
    const input = base();
    const r = parsePolicyRules(input);
    input.rates[0].rateBp = 9999;
    input.eligibility.resolutions.push('FHD');
    if (!r.ok) throw new Error('expected ok');
    expect(r.rules.rates[0].rateBp).toBe(2000);
    expect(r.rules.eligibility.resolutions).toEqual(['4K', '8K']);
  });

  it('boundary values', () => {
    expect(parsePolicyRules({ ...base(), capFen: 0, reviewSampleBp: 10000, firstClaimsReviewed: 0 }).ok).toBe(true);
    expect(parsePolicyRules({ ...base(), rates: [{ energyGrade: 5, rateBp: 10000 }], resolutionBonusBp: {} }).ok).toBe(true);
    expect(parsePolicyRules({ ...base(), rates: [{ energyGrade: 1, rateBp: 0 }] }).ok).toBe(true);
  });
});

describe('parsePolicyRules — refuses', () => {
  it.each([null, undefined, 42, 'rules', [], [base()]])('a non-object %p', (input) => {
    expect(fieldsOf(input)).toEqual(['rules']);
  });

  it.each([
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
  ])('a missing %s', (key) => {
    const input = base();
    delete input[key];
    expect(errorsOf(input)).toEqual([{ field: `rules.${key}`, message: 'is required' }]);
  });

  it.each([
    ['eligibility', 'category'],
    ['eligibility', 'resolutions'],
    ['eligibility', 'maxEnergyGrade'],
    ['receiptWindow', 'daysBeforeSale'],
    ['receiptWindow', 'daysAfterSale'],
  ])('a missing %s.%s', (parent, key) => {
    const input = base();
    delete input[parent][key];
    expect(fieldsOf(input)).toEqual([`rules.${parent}.${key}`]);
  });

  it('a missing field inside a rate', () => {
    const input = base();
    delete input.rates[1].rateBp;
    expect(errorsOf(input)).toEqual([{ field: 'rules.rates[1].rateBp', message: 'is required' }]);
  });

  it('unknown keys at every level, with their paths', () => {
    const input = base();
    input.capfen = 1;
    input.eligibility.brand = 'x';
    input.rates[0].note = 'x';
    input.resolutionBonusBp['4k'] = 0;
    input.receiptWindow.hours = 1;
    expect(fieldsOf(input).sort()).toEqual(
      [
        'rules.capfen',
        'rules.eligibility.brand',
        'rules.rates[0].note',
        'rules.resolutionBonusBp.4k',
        'rules.receiptWindow.hours',
      ].sort(),
    );
  });

  it.each([
    ['capFen', -1],
    ['capFen', 1.5],
    ['capFen', '200000'],
    ['capFen', Number.NaN],
    ['capFen', Number.POSITIVE_INFINITY],
    ['capFen', 2 ** 53],
    ['roundingFen', 0],
    ['roundingFen', 0.5],
    ['rounding', 'half_even'],
    ['rounding', 'HALF_UP'],
    ['priceFlagRatioBp', -1],
    ['maxSalePriceFen', 0],
    ['reviewSampleBp', 10001],
    ['reviewSampleBp', -1],
    ['firstClaimsReviewed', -1],
    ['firstClaimsReviewed', 2.5],
    ['storeBurstPerHour', -1],
    ['storeBurstPerHour', null],
  ])('%s = %p', (key, value) => {
    expect(fieldsOf({ ...base(), [key]: value })).toEqual([`rules.${key}`]);
  });

  it.each([
    [{ rateBp: 10001 }, 'rules.rates[0].rateBp'],
    [{ rateBp: -1 }, 'rules.rates[0].rateBp'],
    [{ rateBp: 15.5 }, 'rules.rates[0].rateBp'],
    [{ energyGrade: 0 }, 'rules.rates[0].energyGrade'],
    [{ energyGrade: 6 }, 'rules.rates[0].energyGrade'],
    [{ energyGrade: 1.5 }, 'rules.rates[0].energyGrade'],
  ])('rates[0] with %p', (patch, field) => {
    const input = base();
    Object.assign(input.rates[0], patch);
    expect(fieldsOf(input)).toEqual([field]);
  });

  it('a repeated energy grade in rates', () => {
    const input = { ...base(), rates: [{ energyGrade: 1, rateBp: 2000 }, { energyGrade: 1, rateBp: 1500 }] };
    expect(fieldsOf(input)).toEqual(['rules.rates[1].energyGrade']);
  });

  it('empty or non-array rates', () => {
    expect(fieldsOf({ ...base(), rates: [] })).toEqual(['rules.rates']);
    expect(fieldsOf({ ...base(), rates: { energyGrade: 1, rateBp: 1 } })).toEqual(['rules.rates']);
    expect(fieldsOf({ ...base(), rates: [null] })).toEqual(['rules.rates[0]']);
  });

  it('bad eligibility', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ category: '' }, 'rules.eligibility.category'],
      [{ category: 7 }, 'rules.eligibility.category'],
      [{ resolutions: [] }, 'rules.eligibility.resolutions'],
      [{ resolutions: '4K' }, 'rules.eligibility.resolutions'],
      [{ resolutions: ['4K', '2K'] }, 'rules.eligibility.resolutions[1]'],
      [{ resolutions: ['4K', '4K'] }, 'rules.eligibility.resolutions[1]'],
      [{ maxEnergyGrade: 0 }, 'rules.eligibility.maxEnergyGrade'],
      [{ maxEnergyGrade: 6 }, 'rules.eligibility.maxEnergyGrade'],
    ];
    for (const [patch, field] of cases) {
      const input = base();
      Object.assign(input.eligibility, patch);
      expect(fieldsOf(input)).toEqual([field]);
    }
  });

  it('bad resolution bonuses', () => {
    expect(fieldsOf({ ...base(), resolutionBonusBp: { '8K': -1 } })).toEqual(['rules.resolutionBonusBp.8K']);
    expect(fieldsOf({ ...base(), resolutionBonusBp: { '8K': 0.5 } })).toEqual(['rules.resolutionBonusBp.8K']);
    expect(fieldsOf({ ...base(), resolutionBonusBp: [] })).toEqual(['rules.resolutionBonusBp']);
  });

  it('a rate plus bonus above 100%, which would make the customer pay a negative amount', () => {
    const input = { ...base(), resolutionBonusBp: { '8K': 8001 } };
    expect(fieldsOf(input)).toEqual(['rules.resolutionBonusBp']);
    expect(parsePolicyRules({ ...base(), resolutionBonusBp: { '8K': 8000 } }).ok).toBe(true);
  });

  it('bad receipt windows', () => {
    expect(fieldsOf({ ...base(), receiptWindow: { daysBeforeSale: -1, daysAfterSale: 15 } })).toEqual([
      'rules.receiptWindow.daysBeforeSale',
    ]);
    expect(fieldsOf({ ...base(), receiptWindow: null })).toEqual(['rules.receiptWindow']);
  });

  it('a maxSalePriceFen whose product with the highest rate would reach 2^53', () => {
    const limit = 2 ** 53;
    // highest rate 2000 bp, q = 10000: the largest allowed price keeps price × 2000 + 10000 < 2^53
    const largest = Math.floor((limit - 1 - 10000) / 2000);
    expect(parsePolicyRules({ ...base(), maxSalePriceFen: largest }).ok).toBe(true);
    expect(fieldsOf({ ...base(), maxSalePriceFen: largest + 1 })).toEqual(['rules.maxSalePriceFen']);
    // a bonus raises the highest rate and so lowers the ceiling
    expect(fieldsOf({ ...base(), maxSalePriceFen: largest, resolutionBonusBp: { '8K': 1 } })).toEqual(['rules.maxSalePriceFen']);
    // so does a coarser rounding step, through q
    expect(fieldsOf({ ...base(), maxSalePriceFen: largest, roundingFen: 2 })).toEqual(['rules.maxSalePriceFen']);
  });

  it('reports every error at once', () => {
    const input = base();
    input.capFen = -5;
    input.rounding = 'up';
    input.rates[1].rateBp = 20000;
    delete input.storeBurstPerHour;
    expect(fieldsOf(input).sort()).toEqual(
      ['rules.capFen', 'rules.rates[1].rateBp', 'rules.rounding', 'rules.storeBurstPerHour'].sort(),
    );
  });

  it('never throws and never accepts rules the engine cannot compute exactly', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const r = parsePolicyRules(input);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (maxSalePriceFen, roundingFen) => {
          const r = parsePolicyRules({ ...base(), maxSalePriceFen, roundingFen });
          if (!r.ok) return;
          const model = { category: 'tv', resolution: '4K' as const, energyGrade: 1, referencePriceFen: 1, approved: true };
          expect(() => computeSubsidy(r.rules, model, maxSalePriceFen)).not.toThrow();
        },
      ),
    );
  });
});
