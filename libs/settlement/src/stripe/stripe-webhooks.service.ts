import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, DomainError } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { ClawbacksRepository } from '../clawbacks.repository';
import { PayoutLedger } from '../payout-ledger.service';
import { PayoutsRepository } from '../payouts.repository';
import { StripeEventsRepository } from './stripe-events.repository';
import { StripeGateway } from './stripe.gateway';

/** Stripe, speaking through a verified webhook, is the actor of what its events change. */
export const STRIPE_WEBHOOK_ACTOR: Actor = { kind: 'system', id: 'stripe-webhook' };

export interface WebhookAnswer {
  received: true;
  duplicate: boolean;
  outcome: string;
}

/** Stripe accounts whose state holds their retailer's payouts back (PayoutRunsService's hold reasons). */
export const ACCOUNT_PAYOUTS_FAILED = 'payouts_failed';

/**
 * POST /v1/webhooks/stripe. The signature is checked on the raw body with the endpoint secret
 * (stripe.webhooks.constructEvent, with the tolerance for old timestamps); a bad or stale one is a 400 and
 * changes nothing. Each event id is stored once, in the same transaction as what it changes, so a replay
 * (Stripe retries, or anyone resending a captured request) does nothing. A failure rolls everything back
 * and answers 500, and Stripe delivers again.
 *
 * Events that change a payout:
 * - transfer.reversed — someone reversed a transfer outside this platform (ours carry `hx_*` metadata and
 *   are already recorded): in full, the payout failed after all: claims back to approved, ledger un-paid;
 *   in part, the reversed amount is recorded and reconciliation lists the difference.
 * - payout.failed on a connected account — the retailer's bank did not take the money: the transfers not yet
 *   confirmed as arrived are reversed back to the platform, their payouts fail and the claims go back to
 *   approved; the account is held until Stripe reports it healthy again (payout.paid or account.updated).
 * - account.updated / capability.updated losing the `transfers` capability — pending payouts to the account
 *   fail (claims back to approved) and its retailer is held back from runs until the capability returns.
 * - payout.paid on a connected account confirms arrival.
 * Everything else is stored and acknowledged.
 */
@Injectable()
export class StripeWebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly events: StripeEventsRepository,
    private readonly payouts: PayoutsRepository,
    private readonly clawbacks: ClawbacksRepository,
    private readonly settle: PayoutLedger,
    private readonly stripe: StripeGateway,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookAnswer> {
    const event = this.verify(rawBody, signature);
    return this.db.run(async (tx) => {
      const fresh = await this.events.recordEvent(tx, {
        id: event.id, type: event.type, account: event.account ?? null, objectId: objectId(event), created: event.created, now: this.clock.now(),
      });
      if (!fresh) return { received: true, duplicate: true, outcome: 'duplicate' };
      const outcome = await this.dispatch(tx, event);
      await this.events.setOutcome(tx, event.id, outcome);
      await this.audit.append(tx, STRIPE_WEBHOOK_ACTOR, {
        action: 'stripe.event_processed', subjectType: 'stripe_event', subjectId: event.id,
        details: { type: event.type, account: event.account ?? null, objectId: objectId(event), outcome },
      });
      return { received: true, duplicate: false, outcome };
    });
  }

  private verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    const s = this.config.settlement;
    if (!s.stripeWebhookSecret) throw new DomainError('webhook_signature_invalid', 'No Stripe webhook endpoint secret is configured');
    if (!rawBody?.length || !signature) throw new DomainError('webhook_signature_invalid', 'The Stripe-Signature header and the raw body are required');
    const now = this.clock.now().getTime();
    // the SDK refuses timestamps too old; one from the future is as suspicious
    const t = /(?:^|,)\s*t=(\d+)/.exec(signature)?.[1];
    if (t && Number(t) * 1000 - now > s.stripeWebhookToleranceSeconds * 1000) {
      throw new DomainError('webhook_signature_invalid', 'The signature timestamp is in the future');
    }
    try {
      return Stripe.webhooks.constructEvent(rawBody, signature, s.stripeWebhookSecret, s.stripeWebhookToleranceSeconds, undefined, now);
    } catch {
      throw new DomainError('webhook_signature_invalid', 'The Stripe signature does not verify, or its timestamp is too old');
    }
  }

  private async dispatch(tx: Tx, event: Stripe.Event): Promise<string> {
    switch (event.type) {
      case 'transfer.reversed':
        return this.transferReversed(tx, event.data.object);
      case 'payout.failed':
        return this.connectedPayoutFailed(tx, event);
      case 'payout.paid':
        return this.connectedPayoutPaid(tx, event);
      case 'account.updated': {
        const a = event.data.object;
        return this.accountState(tx, a.id, a.capabilities?.transfers ?? 'inactive', event.created);
      }
      case 'capability.updated': {
        const c = event.data.object;
        if (c.id !== 'transfers') return 'ignored';
        return this.accountState(tx, typeof c.account === 'string' ? c.account : c.account.id, c.status, event.created);
      }
      default:
        return 'ignored';
    }
  }

  private async transferReversed(tx: Tx, t: Stripe.Transfer): Promise<string> {
    const p = await this.payouts.lockStripeByTransfer(tx, t.id);
    if (!p) return 'unknown_transfer';
    const ours = await this.clawbacks.reversalsOfPayout(tx, p.id);
    const ourRefs = new Set(ours.map((o) => o.gatewayRef).filter(Boolean));
    const ourSucceeded = ours.filter((o) => o.status === 'succeeded').reduce((s, o) => s + o.amountFen, 0);
    const entries = t.reversals?.data ?? [];
    const external = t.reversals?.has_more
      ? t.amount_reversed - ours.reduce((s, o) => s + o.amountFen, 0)
      : entries.filter((r) => !r.metadata?.hx_reversal_id && !r.metadata?.hx_return && !ourRefs.has(r.id)).reduce((s, r) => s + r.amount, 0);
    const recordedExternal = p.reversedFen - ourSucceeded;
    const fresh = external - recordedExternal;
    if (fresh <= 0) return 'no_change';
    const now = this.clock.now();
    const newReversed = Math.min(p.reversedFen + fresh, p.amountFen);
    await this.payouts.setReversed(tx, p.id, newReversed, now);
    if (p.status === 'paid' && t.amount_reversed >= t.amount) {
      await this.settle.unpay(tx, STRIPE_WEBHOOK_ACTOR, p.id, 'transfer_reversed', `Transfer ${t.id} was reversed at Stripe`, now);
      return 'payout_returned';
    }
    await this.audit.append(tx, STRIPE_WEBHOOK_ACTOR, {
      action: 'payout.partially_reversed', subjectType: 'payout', subjectId: p.id,
      details: { reference: t.id, reversedFen: fresh, retailerId: p.retailerId },
    });
    return 'partially_reversed';
  }

  private async connectedPayoutFailed(tx: Tx, event: Stripe.Event & { type: 'payout.failed' }): Promise<string> {
    const account = event.account;
    if (!account) return 'ignored';
    const bankPayout = event.data.object;
    const now = this.clock.now();
    await this.events.setAccount(tx, account, ACCOUNT_PAYOUTS_FAILED, event.created);
    const payouts = await this.payouts.lockUnarrived(tx, account, event.created);
    let returned = 0;
    for (const p of payouts) {
      const transfer = p.gatewayRef!;
      const remaining = p.amountFen - p.reversedFen;
      if (remaining > 0) {
        const r = await this.stripe.reverse(transfer, remaining, `${p.idempotencyKey}:return`, { hx_return: p.id });
        if (r.kind === 'retry') throw new Error(`could not take back transfer ${transfer}: ${r.error}`);
        if (r.kind === 'refused') {
          await this.audit.append(tx, STRIPE_WEBHOOK_ACTOR, {
            action: 'payout.return_failed', subjectType: 'payout', subjectId: p.id,
            details: { reference: transfer, code: r.code, reason: r.reason, bankPayout: bankPayout.id },
          });
          continue;
        }
        await this.payouts.setFullyReversed(tx, p.id, now);
      }
      const reason = `The connected account's bank payout ${bankPayout.id} failed${bankPayout.failure_code ? ` (${bankPayout.failure_code})` : ''}; the transfer was taken back`;
      if (await this.settle.unpay(tx, STRIPE_WEBHOOK_ACTOR, p.id, 'connected_payout_failed', reason, now)) returned++;
    }
    return `payouts_returned:${returned}`;
  }

  private async connectedPayoutPaid(tx: Tx, event: Stripe.Event & { type: 'payout.paid' }): Promise<string> {
    const account = event.account;
    if (!account) return 'ignored';
    const arrived = await this.payouts.markArrived(tx, account, event.created, this.clock.now());
    await this.events.reactivate(tx, account, ACCOUNT_PAYOUTS_FAILED, event.created);
    return `payouts_arrived:${arrived}`;
  }

  private async accountState(tx: Tx, account: string, transfers: string, created: number): Promise<string> {
    const applied = await this.events.setAccount(tx, account, transfers, created);
    if (!applied) return 'stale';
    if (transfers === 'active') return 'account_active';
    const pending = await this.payouts.lockPendingTo(tx, account);
    const failed = await this.settle.markFailed(tx, STRIPE_WEBHOOK_ACTOR, pending.map((id) => ({
      id, code: 'account_capability_lost', reason: `The connected account ${account} lost its transfers capability (${transfers})`,
    })), this.clock.now());
    return `account_restricted:${failed.length}`;
  }
}

function objectId(event: Stripe.Event): string | null {
  const o = event.data?.object as { id?: unknown } | undefined;
  return typeof o?.id === 'string' ? o.id : null;
}
