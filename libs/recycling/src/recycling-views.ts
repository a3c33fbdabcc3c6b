import { toShanghaiIso } from '@huanxin/core';
import type { CertificationPeriod, Recycler, RecyclerKey, RecyclerKeyView, RecyclerView } from './recycling.types';

export function recyclerKeyView(k: RecyclerKey): RecyclerKeyView {
  return {
    recyclerId: k.recyclerId,
    kid: k.kid,
    publicKeyJwk: { kty: k.publicKeyJwk.kty, crv: k.publicKeyJwk.crv, x: k.publicKeyJwk.x },
    createdAt: toShanghaiIso(k.createdAt),
    revokedAt: k.revokedAt ? toShanghaiIso(k.revokedAt) : null,
    reason: k.revokeReason,
  };
}

export function recyclerView(r: Recycler, periods: CertificationPeriod[], keys: RecyclerKey[]): RecyclerView {
  return {
    id: r.id,
    name: r.name,
    creditCode: r.creditCode,
    status: r.status,
    certifiedAt: toShanghaiIso(r.certifiedAt),
    decertifiedAt: r.decertifiedAt ? toShanghaiIso(r.decertifiedAt) : null,
    certifications: periods.map((p) => ({
      certifiedAt: toShanghaiIso(p.certifiedAt),
      decertifiedAt: p.decertifiedAt ? toShanghaiIso(p.decertifiedAt) : null,
    })),
    keys: keys.map(recyclerKeyView),
    createdAt: toShanghaiIso(r.createdAt),
  };
}
