import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gtin13CheckDigit, isValidGtin13 } from './gtin';

interface SampleCatalogue {
  models: { modelCode: string; gtin: string }[];
}

const catalogue = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../../shared/data/sample_catalogue.json'), 'utf8'),
) as SampleCatalogue;
const SAMPLE_GTINS = catalogue.models.map((m) => m.gtin);

describe('isValidGtin13', () => {
  it('has sample GTINs to check', () => {
    expect(SAMPLE_GTINS.length).toBeGreaterThan(0);
  });

  it.each(catalogue.models.map((m) => [m.modelCode, m.gtin]))('accepts the sample GTIN of %s (%s)', (_model, gtin) => {
    expect(isValidGtin13(gtin)).toBe(true);
  });

  it('accepts a well-known real EAN-13', () => {
    // ISBN-13 of "The C Programming Language", 2nd ed.: an independent check of the weighting direction.
    expect(isValidGtin13('9780131103627')).toBe(true);
  });

  it('rejects a sample GTIN with its check digit changed', () => {
    const gtin = SAMPLE_GTINS[0];
    const wrong = gtin.slice(0, 12) + String((Number(gtin[12]) + 1) % 10);
    expect(isValidGtin13(wrong)).toBe(false);
  });

  it.each([
    ['12 digits', '697847071989'],
    ['14 digits', '69784707198970'],
    ['a letter', '697847071989X'],
    ['a space', '6978470 719897'],
    ['surrounding spaces', ' 6978470719897 '],
    ['empty', ''],
  ])('rejects %s', (_label, gtin) => {
    expect(isValidGtin13(gtin)).toBe(false);
  });

  it.each([null, undefined, 6978470719897, {}])('rejects non-string %p', (value) => {
    expect(isValidGtin13(value)).toBe(false);
  });

  it('rejects any single-digit change of a valid GTIN', () => {
    const validGtin = fc.oneof(
      fc.constantFrom(...SAMPLE_GTINS),
      fc
        .string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 12 })
        .map((first12) => first12 + gtin13CheckDigit(first12)),
    );
    fc.assert(
      fc.property(validGtin, fc.nat({ max: 12 }), fc.integer({ min: 1, max: 9 }), (gtin, position, delta) => {
        expect(isValidGtin13(gtin)).toBe(true);
        const changed = String((Number(gtin[position]) + delta) % 10);
        const mutated = gtin.slice(0, position) + changed + gtin.slice(position + 1);
        expect(isValidGtin13(mutated)).toBe(false);
      }),
    );
  });
});

describe('gtin13CheckDigit', () => {
  it('refuses anything but 12 digits', () => {
    expect(() => gtin13CheckDigit('69784707198')).toThrow(RangeError);
    expect(() => gtin13CheckDigit('69784707198A')).toThrow(RangeError);
  });
});
