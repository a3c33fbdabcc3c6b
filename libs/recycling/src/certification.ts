import type { CertificationPeriod, RecyclerKey } from './recycling.types';

/** True when `at` falls inside one of the periods, each [certifiedAt, decertifiedAt). */
export function wasCertifiedAt(periods: readonly CertificationPeriod[], at: Date): boolean {
  const t = at.getTime();
  return periods.some((p) => p.certifiedAt.getTime() <= t && (p.decertifiedAt === null || t < p.decertifiedAt.getTime()));
}

/**
 * Whether a signature made at `signedAt` may be trusted as far as the key's revocation goes (API.md): a
 * retired key vouches for what it signed before its revocation; a compromised key vouches for nothing, since
 * whoever holds it can back-date a receipt. Certification and the receipt window are separate checks.
 */
export function keyTrustedForSignatureAt(key: Pick<RecyclerKey, 'revokedAt' | 'revokeReason'>, signedAt: Date): boolean {
  if (!key.revokedAt) return true;
  if (key.revokeReason === 'compromised') return false;
  return signedAt.getTime() < key.revokedAt.getTime();
}
