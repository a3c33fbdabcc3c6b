import fc from 'fast-check';
import { creditCodeCheckChar, isValidCreditCode, normaliseCreditCode } from './credit-code';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

// The first two are published examples; the rest were minted with creditCodeCheckChar for seed data.
const VALID = [
  '91350100M000100Y43',
  '91110000600037341L',
  '91330100MA27XK3Q2L',
  '91330106MA2B0C1D55',
  '92330782MA29RT7H84',
  '52330000MJ9012345B',
];

describe('creditCodeCheckChar', () => {
  it('computes the published check characters', () => {
    expect(creditCodeCheckChar('91350100M000100Y4')).toBe('3');
    expect(creditCodeCheckChar('91110000600037341')).toBe('L');
  });

  it('maps a remainder of 0 (31 - 0 = 31) to "0"', () => {
    // Any 17-character body whose weighted sum is a multiple of 31, e.g. all zeros.
    expect(creditCodeCheckChar('00000000000000000')).toBe('0');
    expect(isValidCreditCode('000000000000000000')).toBe(true);
  });

  it('refuses wrong lengths and characters outside the alphabet', () => {
    expect(() => creditCodeCheckChar('9135010')).toThrow(RangeError);
    expect(() => creditCodeCheckChar('91350100I000100Y4')).toThrow(RangeError);
  });
});

describe('isValidCreditCode', () => {
  it.each(VALID)('accepts %s', (code) => {
    expect(isValidCreditCode(code)).toBe(true);
  });

  it.each([
    ['17 characters', '91350100M000100Y4'],
    ['19 characters', '91350100M000100Y430'],
    ['empty', ''],
    ['wrong check char', '91350100M000100Y44'],
    ['lower-case (not normalised)', '91350100m000100y43'],
    ['surrounding spaces (not normalised)', ' 91350100M000100Y43 '],
    ['letter in the division code', '9135A100M000100Y43'],
  ])('rejects %s', (_label, code) => {
    expect(isValidCreditCode(code)).toBe(false);
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('rejects the excluded letter %s wherever it appears', (letter) => {
    for (const position of [0, 1, 8, 12, 17]) {
      const code = VALID[0].slice(0, position) + letter + VALID[0].slice(position + 1);
      expect(isValidCreditCode(code)).toBe(false);
    }
  });

  it.each([null, undefined, 91350100, {}])('rejects non-string %p', (value) => {
    expect(isValidCreditCode(value)).toBe(false);
  });

  it('rejects every single-character substitution of a valid code', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.nat({ max: 17 }),
        fc.constantFrom(...ALPHABET),
        (code, position, replacement) => {
          fc.pre(code[position] !== replacement);
          const mutated = code.slice(0, position) + replacement + code.slice(position + 1);
          expect(isValidCreditCode(mutated)).toBe(false);
        },
      ),
    );
  });

  it('accepts any well-shaped body once given its computed check char', () => {
    const chars = (alphabet: string, n: number) =>
      fc.string({ unit: fc.constantFrom(...alphabet), minLength: n, maxLength: n });
    fc.assert(
      fc.property(chars(ALPHABET, 2), chars('0123456789', 6), chars(ALPHABET, 9), (head, region, org) => {
        const first17 = head + region + org;
        expect(isValidCreditCode(first17 + creditCodeCheckChar(first17))).toBe(true);
      }),
    );
  });
});

describe('normaliseCreditCode', () => {
  it('trims and upper-cases, making a hand-typed code valid', () => {
    expect(normaliseCreditCode(' 91350100m000100y43 ')).toBe('91350100M000100Y43');
    expect(isValidCreditCode(normaliseCreditCode(' 91350100m000100y43 '))).toBe(true);
  });
});
