import fc from 'fast-check';
import { assertFen, fenFromDb, formatYuan, yuanToFen } from './money';

describe('assertFen', () => {
  it.each([0, 1, -1, 599900, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])('accepts %p', (n) => {
    expect(() => assertFen(n)).not.toThrow();
  });

  it.each([0.5, 1199.8, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '100', null, undefined])(
    'rejects %p',
    (n) => {
      expect(() => assertFen(n, 'salePriceFen')).toThrow(/salePriceFen must be a safe integer/);
    },
  );
});

describe('formatYuan', () => {
  it.each([
    [119980, '1,199.80'],
    [599900, '5,999.00'],
    [200000, '2,000.00'],
    [0, '0.00'],
    [5, '0.05'],
    [100, '1.00'],
    [99999, '999.99'],
    [100000, '1,000.00'],
    [123456789012, '1,234,567,890.12'],
    [-119980, '-1,199.80'],
    [-5, '-0.05'],
    [Number.MAX_SAFE_INTEGER, '90,071,992,547,409.91'],
  ])('formats %p fen as %p', (fen, text) => {
    expect(formatYuan(fen)).toBe(text);
  });

  it('refuses non-integer amounts rather than rounding them', () => {
    expect(() => formatYuan(1199.8)).toThrow(RangeError);
  });
});

describe('yuanToFen', () => {
  it.each([
    ['5999.00', 599900],
    ['5999', 599900],
    ['5999.9', 599990],
    ['0.01', 1],
    ['0.1', 10],
    // parseFloat("1.15") * 100 is 114.99999999999999; string arithmetic cannot drift.
    ['1.15', 115],
    ['4799.20', 479920],
    ['1,199.80', 119980],
    ['  12.34 ', 1234],
    ['-1,199.80', -119980],
    ['-0.05', -5],
    ['007.00', 700],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('parses %p as %p fen', (text, fen) => {
    expect(yuanToFen(text)).toBe(fen);
  });

  it('gives positive zero for "-0.00"', () => {
    expect(Object.is(yuanToFen('-0.00'), 0)).toBe(true);
  });

  it.each([
    '',
    '.',
    '1.',
    '.50',
    '1.234',
    '1e3',
    '+1.00',
    '1,19.80',
    '1199,80',
    '¥5999',
    '5999元',
    'NaN',
    '--1',
    '90071992547409.92',
  ])('refuses %p', (text) => {
    expect(() => yuanToFen(text)).toThrow(RangeError);
  });

  it('round-trips every safe integer through formatYuan', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (fen) => {
        expect(yuanToFen(formatYuan(fen))).toBe(fen);
      }),
    );
  });
});

describe('fenFromDb', () => {
  it('parses int8 text and numbers, refusing what is not an exact integer', () => {
    expect(fenFromDb('119980')).toBe(119980);
    expect(fenFromDb('-5')).toBe(-5);
    expect(fenFromDb(42)).toBe(42);
    expect(() => fenFromDb('9007199254740993')).toThrow(RangeError);
    expect(() => fenFromDb('1.5')).toThrow(RangeError);
    expect(() => fenFromDb(null)).toThrow(RangeError);
  });
});
