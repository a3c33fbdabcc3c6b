import { parseLsn } from './read-database';

describe('parseLsn', () => {
  it('orders LSNs as PostgreSQL does (the high word first, both hexadecimal)', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('16/B374D848') > parseLsn('16/B374D847')).toBe(true);
  });

  it('refuses what is not an LSN', () => {
    for (const bad of ['', '0', '0/', '/1', 'x/1', '0/1 ', null as unknown as string]) expect(() => parseLsn(bad)).toThrow(RangeError);
  });
});
