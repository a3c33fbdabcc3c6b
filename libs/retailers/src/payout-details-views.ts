import { Actor, toShanghaiIso } from '@huanxin/core';
import type { MaskedBankAccount, PayoutDetailsChange, PayoutDetailsChangeView } from './retailer.types';

/** A change as the API shows it to `actor` (who may see whether it proposed it). */
export function payoutDetailsChangeView(
  actor: Actor, c: PayoutDetailsChange, retailerName: string | null, staffNames: ReadonlyMap<string, string> = new Map(),
  current?: { stripeAccountId: string | null; bank: MaskedBankAccount | null },
): PayoutDetailsChangeView {
  return {
    changeId: c.id,
    retailerId: c.retailerId,
    retailerName,
    status: c.status,
    proposed: { stripeAccountId: c.stripeAccountId, bank: c.bank },
    previous: c.status === 'approved' ? { stripeAccountId: c.previousStripeAccountId, bank: c.previousBank }
      : c.status === 'pending_approval' && current ? { stripeAccountId: current.stripeAccountId, bank: current.bank } : null,
    version: c.toVersion,
    proposedBy: c.proposedBy,
    proposedByName: staffNames.get(c.proposedBy) ?? null,
    proposedByYou: c.proposedBy === actor.id,
    proposedAt: toShanghaiIso(c.proposedAt),
    decidedBy: c.decidedBy,
    decidedByName: c.decidedBy ? staffNames.get(c.decidedBy) ?? null : null,
    decidedAt: c.decidedAt ? toShanghaiIso(c.decidedAt) : null,
    reason: c.reason,
  };
}
