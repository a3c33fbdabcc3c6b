import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, DomainError } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import { PayoutLedger } from '../payout-ledger.service';
import { StripeGateway } from './stripe.gateway';

/** Stripe, speaking through a verified webhook, is the actor of what its events change. */
export const STRIPE_WEBHOOK_ACTOR: Actor = { kind: 'system', id: 'stripe-webhook' };

export interface WebhookAnswer {
  received: true;
  duplicate: boolean;
  outcome: string;
}

const n = (s: string | number | null | undefined) => Number(s ?? 0);

/** Stripe accounts whose state holds their retailer's payouts back (payout-runs.repository HOLD_REASON). */
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
    private readonly settle: PayoutLedger,
    private readonly stripe: StripeGateway,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookAnswer> {
    const event = this.verify(rawBody, signature);
    return this.db.run(async (tx) => {
      const fresh = await tx.query(
        `INSERT INTO stripe_events (id, type, account, object_id, outcome, event_created_at, received_at)
         VALUES ($1, $2, $3, $4, 'received', to_timestamp($5), $6)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [event.id, event.type, event.account ?? null, objectId(event), event.created, this.clock.now()],
      );
      if (!fresh.length) return { received: true, duplicate: true, outcome: 'duplicate' };
      const outcome = await this.dispatch(tx, event);
      await tx.query(`UPDATE stripe_events SET outcome = $2 WHERE id = $1`, [event.id, outcome]);
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
    const [p]: { id: string; status: string; amount_fen: string; reversed_fen: string; retailer_id: string }[] = await tx.query(
      `SELECT id, status, amount_fen::text, reversed_fen::text, retailer_id FROM payouts WHERE gateway = 'stripe' AND gateway_ref = $1 FOR UPDATE`,
      [t.id],
    );
    if (!p) return 'unknown_transfer';
    const ours: { gateway_ref: string | null; amount_fen: string; status: string }[] = await tx.query(
      `SELECT gateway_ref, amount_fen::text, status FROM payout_reversals WHERE payout_id = $1 AND status IN ('pending', 'succeeded')`,
      [p.id],
    );
    const ourRefs = new Set(ours.map((o) => o.gateway_ref).filter(Boolean));
    const ourSucceeded = ours.filter((o) => o.status === 'succeeded').reduce((s, o) => s + n(o.amount_fen), 0);
    const entries = t.reversals?.data ?? [];
    const external = t.reversals?.has_more
      ? t.amount_reversed - ours.reduce((s, o) => s + n(o.amount_fen), 0)
      : entries.filter((r) => !r.metadata?.hx_reversal_id && !r.metadata?.hx_return && !ourRefs.has(r.id)).reduce((s, r) => s + r.amount, 0);
    const recordedExternal = n(p.reversed_fen) - ourSucceeded;
    const fresh = external - recordedExternal;
    if (fresh <= 0) return 'no_change';
    const now = this.clock.now();
    const newReversed = Math.min(n(p.reversed_fen) + fresh, n(p.amount_fen));
    await tx.query(`UPDATE payouts SET reversed_fen = $2, updated_at = $3 WHERE id = $1`, [p.id, newReversed, now]);
    if (p.status === 'paid' && t.amount_reversed >= t.amount) {
      await this.settle.unpay(tx, STRIPE_WEBHOOK_ACTOR, p.id, 'transfer_reversed', `Transfer ${t.id} was reversed at Stripe`, now);
      return 'payout_returned';
    }
    await this.audit.append(tx, STRIPE_WEBHOOK_ACTOR, {
      action: 'payout.partially_reversed', subjectType: 'payout', subjectId: p.id,
      details: { reference: t.id, reversedFen: fresh, retailerId: p.retailer_id },
    });
    return 'partially_reversed';
  }

  private async connectedPayoutFailed(tx: Tx, event: Stripe.Event & { type: 'payout.failed' }): Promise<string> {
    const account = event.account;
    if (!account) return 'ignored';
    const bankPayout = event.data.object;
    const now = this.clock.now();
    await this.setAccount(tx, account, ACCOUNT_PAYOUTS_FAILED, event.created);
    const payouts: { id: string; gateway_ref: string; amount_fen: string; reversed_fen: string; idempotency_key: string }[] = await tx.query(
      `SELECT id, gateway_ref, amount_fen::text, reversed_fen::text, idempotency_key FROM payouts
        WHERE gateway = 'stripe' AND destination = $1 AND status = 'paid' AND arrived_at IS NULL AND gateway_ref IS NOT NULL
          AND paid_at < to_timestamp($2 + 1)
        ORDER BY paid_at, id
          FOR UPDATE`,
      [account, event.created],
    );
    let returned = 0;
    for (const p of payouts) {
      const remaining = n(p.amount_fen) - n(p.reversed_fen);
      if (remaining > 0) {
        const r = await this.stripe.reverse(p.gateway_ref, remaining, `${p.idempotency_key}:return`, { hx_return: p.id });
        if (r.kind === 'retry') throw new Error(`could not take back transfer ${p.gateway_ref}: ${r.error}`);
        if (r.kind === 'refused') {
          await this.audit.append(tx, STRIPE_WEBHOOK_ACTOR, {
            action: 'payout.return_failed', subjectType: 'payout', subjectId: p.id,
            details: { reference: p.gateway_ref, code: r.code, reason: r.reason, bankPayout: bankPayout.id },
          });
          continue;
        }
        await tx.query(`UPDATE payouts SET reversed_fen = amount_fen, updated_at = $2 WHERE id = $1`, [p.id, now]);
      }
      const reason = `The connected account's bank payout ${bankPayout.id} failed${bankPayout.failure_code ? ` (${bankPayout.failure_code})` : ''}; the transfer was taken back`;
      if (await this.settle.unpay(tx, STRIPE_WEBHOOK_ACTOR, p.id, 'connected_payout_failed', reason, now)) returned++;
    }
    return `payouts_returned:${returned}`;
  }

  private async connectedPayoutPaid(tx: Tx, event: Stripe.Event & { type: 'payout.paid' }): Promise<string> {
    const account = event.account;
    if (!account) return 'ignored';
    const rows = returnedRows(await tx.query(
      `UPDATE payouts SET arrived_at = to_timestamp($2), updated_at = $3
        WHERE gateway = 'stripe' AND destination = $1 AND status = 'paid' AND arrived_at IS NULL AND paid_at < to_timestamp($2 + 1)
       RETURNING id`,
      [account, event.created, this.clock.now()],
    ));
    await tx.query(`UPDATE stripe_accounts SET transfers_capability = 'active', updated_at = to_timestamp($2) WHERE account_id = $1 AND transfers_capability = $3`, [account, event.created, ACCOUNT_PAYOUTS_FAILED]);
    return `payouts_arrived:${rows.length}`;
  }

  private async accountState(tx: Tx, account: string, transfers: string, created: number): Promise<string> {
    const applied = await this.setAccount(tx, account, transfers, created);
    if (!applied) return 'stale';
    if (transfers === 'active') return 'account_active';
    const pending: { id: string }[] = await tx.query(
      `SELECT id FROM payouts WHERE gateway = 'stripe' AND destination = $1 AND status = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED`,
      [account],
    );
    const failed = await this.settle.markFailed(tx, STRIPE_WEBHOOK_ACTOR, pending.map((p) => ({
      id: p.id, code: 'account_capability_lost', reason: `The connected account ${account} lost its transfers capability (${transfers})`,
    })), this.clock.now());
    return `account_restricted:${failed.length}`;
  }

  /** Records an account's state unless a newer event already did. */
  private async setAccount(tx: Tx, account: string, state: string, created: number): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO stripe_accounts (account_id, transfers_capability, updated_at) VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT (account_id) DO UPDATE SET transfers_capability = EXCLUDED.transfers_capability, updated_at = EXCLUDED.updated_at
        WHERE stripe_accounts.updated_at <= EXCLUDED.updated_at
       RETURNING account_id`,
      [account, state, created],
    );
    return rows.length > 0;
  }
}

function objectId(event: Stripe.Event): string | null {
  const o = event.data?.object as { id?: unknown } | undefined;
  return typeof o?.id === 'string' ? o.id : null;
}
