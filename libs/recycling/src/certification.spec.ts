import { keyTrustedForSignatureAt, wasCertifiedAt } from './certification';

const at = (s: string) => new Date(s);

describe('wasCertifiedAt', () => {
  const periods = [
    { certifiedAt: at('2026-01-01T00:00:00Z'), decertifiedAt: at('2026-02-01T00:00:00Z') },
    { certifiedAt: at('2026-03-01T00:00:00Z'), decertifiedAt: null },
  ];

  it.each([
    ['2025-12-31T23:59:59Z', false],
    ['2026-01-01T00:00:00Z', true],
    ['2026-01-31T23:59:59Z', true],
    ['2026-02-01T00:00:00Z', false],
    ['2026-02-15T00:00:00Z', false],
    ['2026-03-01T00:00:00Z', true],
    ['2030-01-01T00:00:00Z', true],
  ])('at %s → %s', (instant, expected) => {
    expect(wasCertifiedAt(periods, at(instant))).toBe(expected);
  });

  it('is false with no periods', () => {
    expect(wasCertifiedAt([], at('2026-01-15T00:00:00Z'))).toBe(false);
  });
});

describe('keyTrustedForSignatureAt', () => {
  const revokedAt = at('2026-06-01T00:00:00Z');

  it('trusts an unrevoked key', () => {
    expect(keyTrustedForSignatureAt({ revokedAt: null, revokeReason: null }, at('2030-01-01T00:00:00Z'))).toBe(true);
  });

  it('trusts a retired key for signatures before its revocation only', () => {
    const key = { revokedAt, revokeReason: 'retired' as const };
    expect(keyTrustedForSignatureAt(key, at('2026-05-31T23:59:59Z'))).toBe(true);
    expect(keyTrustedForSignatureAt(key, revokedAt)).toBe(false);
  });

  it('never trusts a compromised key', () => {
    expect(keyTrustedForSignatureAt({ revokedAt, revokeReason: 'compromised' }, at('2020-01-01T00:00:00Z'))).toBe(false);
  });
});
