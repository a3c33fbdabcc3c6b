import type { Ed25519PublicJwk } from './jwk';

export type RecyclerStatus = 'certified' | 'decertified';
export type KeyRevokeReason = 'retired' | 'compromised';

export interface Recycler {
  id: string;
  name: string;
  creditCode: string;
  status: RecyclerStatus;
  /** start of the current (or, when decertified, the latest) certification period */
  certifiedAt: Date;
  /** end of the latest period; null while certified */
  decertifiedAt: Date | null;
  createdAt: Date;
}

/** One period in which the recycler was certified: [certifiedAt, decertifiedAt), open while decertifiedAt is null. */
export interface CertificationPeriod {
  certifiedAt: Date;
  decertifiedAt: Date | null;
}

/** A registered signing key with its revocation state. */
export interface RecyclerKey {
  recyclerId: string;
  kid: string;
  publicKeyJwk: Ed25519PublicJwk;
  createdAt: Date;
  revokedAt: Date | null;
  revokeReason: KeyRevokeReason | null;
}

export interface RecyclerKeyView {
  recyclerId: string;
  kid: string;
  publicKeyJwk: Ed25519PublicJwk;
  createdAt: string;
  revokedAt: string | null;
  reason: KeyRevokeReason | null;
}

export interface RecyclerView {
  id: string;
  name: string;
  creditCode: string;
  status: RecyclerStatus;
  certifiedAt: string;
  decertifiedAt: string | null;
  certifications: { certifiedAt: string; decertifiedAt: string | null }[];
  keys: RecyclerKeyView[];
  createdAt: string;
}

export type RecyclerSummaryView = Omit<RecyclerView, 'certifications' | 'keys'>;

export interface RevokedRecyclerKey {
  kid: string;
  revokedAt: string;
  reason: KeyRevokeReason;
}
