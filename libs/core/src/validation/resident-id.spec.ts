import fc from 'fast-check';
import { isValidResidentId, normaliseResidentId, residentIdCheckChar, residentIdLast4 } from './resident-id';

// Pinned so the "not in the future" rule does not make these tests depend on the day they run.
const NOW = new Date('2026-11-11T02:00:00Z');

// Computed with the MOD 11-2 rule and cross-checked by hand; also listed in the hand-over for seed data.
const VALID = [
  '11010519491231002X',
  '33010619900101123X',
  '330203198512310049',
  '330302200002290024',
  '330402197806155515',
  '330782196207038871',
  '331002201010100314',
  '331102193309186421',
  '330106199003070014',
];

describe('residentIdCheckChar', () => {
  it('gives X for the GB 11643 example 11010519491231002X', () => {
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
  });

  it('refuses anything but 17 digits', () => {
    expect(() => residentIdCheckChar('1101051949123100')).toThrow(RangeError);
    expect(() => residentIdCheckChar('1101051949123100A')).toThrow(RangeError);
  });
});

describe('isValidResidentId', () => {
  it.each(VALID)('accepts %s', (id) => {
    expect(isValidResidentId(id, NOW)).toBe(true);
  });

  it('rejects 330106199001011234: its check character is X, not 4', () => {
    expect(isValidResidentId('330106199001011234', NOW)).toBe(false);
  });

  it.each([
    ['17 characters', '11010519491231002'],
    ['19 characters', '11010519491231002X0'],
    ['empty', ''],
    ['letter in the body', '1101051949123100AX'],
    ['check char other than X', '11010519491231002Y'],
    ['surrounding spaces (not normalised)', ' 11010519491231002X '],
    ['lower-case x (not normalised)', '11010519491231002x'],
    ['full-width digits', '１１０１０５１９４９１２３１００２X'],
  ])('rejects %s', (_label, id) => {
    expect(isValidResidentId(id, NOW)).toBe(false);
  });

  it.each([null, undefined, 11010519491231002, {}, ['11010519491231002X']])('rejects non-string %p', (value) => {
    expect(isValidResidentId(value, NOW)).toBe(false);
  });

  // Each first-17 below gets its correct check char, so only the date rule can reject it.
  it.each([
    ['February 30th', '33010619900230001'],
    ['February 29th in a non-leap year', '33010619000229001'],
    ['month 13', '33010619901301001'],
    ['month 00', '33010619900001001'],
    ['day 00', '33010619900100001'],
    ['April 31st', '33010619900431001'],
    ['year 1899', '33010618991231001'],
    ['tomorrow in Shanghai', '33010620261112001'],
  ])('rejects a correctly check-summed number whose birth date is %s', (_label, first17) => {
    expect(isValidResidentId(first17 + residentIdCheckChar(first17), NOW)).toBe(false);
  });

  it('accepts February 29th of a leap year and 1 January 1900', () => {
    for (const first17 of ['33010620000229001', '33010619000101001']) {
      expect(isValidResidentId(first17 + residentIdCheckChar(first17), NOW)).toBe(true);
    }
  });

  it('judges "today" in Asia/Shanghai, not UTC', () => {
    const first17 = '33010620261112001';
    const id = first17 + residentIdCheckChar(first17);
    // 16:00 UTC on the 11th is already midnight of the 12th in Shanghai.
    expect(isValidResidentId(id, new Date('2026-11-11T15:59:59Z'))).toBe(false);
    expect(isValidResidentId(id, new Date('2026-11-11T16:00:00Z'))).toBe(true);
  });

  it('rejects every single-character substitution of a valid number', () => {
    const alphabet = '0123456789X';
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.nat({ max: 17 }),
        fc.constantFrom(...alphabet),
        (id, position, replacement) => {
          fc.pre(id[position] !== replacement);
          const mutated = id.slice(0, position) + replacement + id.slice(position + 1);
          expect(isValidResidentId(mutated, NOW)).toBe(false);
        },
      ),
    );
  });

  it('accepts any plausible body once given its computed check char', () => {
    const birthDate = fc
      .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2026-11-10T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10).replace(/-/g, ''));
    const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
    fc.assert(
      fc.property(digits(6), birthDate, digits(3), (region, birth, sequence) => {
        const first17 = region + birth + sequence;
        expect(isValidResidentId(first17 + residentIdCheckChar(first17), NOW)).toBe(true);
      }),
    );
  });

  it('defaults to the real clock', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
  });
});

describe('normaliseResidentId', () => {
  it('trims and upper-cases, making a hand-typed number valid', () => {
    const typed = '  11010519491231002x\n';
    expect(normaliseResidentId(typed)).toBe('11010519491231002X');
    expect(isValidResidentId(normaliseResidentId(typed), NOW)).toBe(true);
  });
});

describe('residentIdLast4', () => {
  it('returns the last four characters of the normalised number', () => {
    expect(residentIdLast4('11010519491231002X')).toBe('002X');
    expect(residentIdLast4(' 11010519491231002x ')).toBe('002X');
    expect(residentIdLast4('330203198512310049')).toBe('0049');
  });
});
