import { toShanghaiIso } from '@huanxin/core';
import type { Retailer, RetailerView, Store, StoreView } from './retailer.types';

export function storeView(s: Store): StoreView {
  return { id: s.id, code: s.code, name: s.name, city: s.city };
}

export function retailerView(r: Retailer, stores: Store[]): RetailerView {
  return {
    id: r.id,
    name: r.name,
    creditCode: r.creditCode,
    city: r.city,
    status: r.status,
    statusReason: r.statusReason,
    payout: {
      stripeAccountId: r.stripeAccountId, bank: r.bank, version: r.payoutDetailsVersion,
      changedAt: r.payoutDetailsChangedAt ? toShanghaiIso(r.payoutDetailsChangedAt) : null,
    },
    // code order by code point, as the repository reads them (COLLATE "C"), so every answer lists them alike
    stores: [...stores].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)).map(storeView),
    certifiedFrom: toShanghaiIso(r.certifiedFrom),
    createdAt: toShanghaiIso(r.createdAt),
  };
}
