import { Inject, Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { APP_CONFIG, AppConfig, SettlementConfig } from '@huanxin/config';
import type { GatewayRecord, PayoutGateway, PayoutInstruction, RunRef, SendOutcome } from '../payout-gateway';

/** The official SDK, pointed wherever the config says (tests: a local mock). Undefined without a key. */
export function createStripeClient(cfg: SettlementConfig): Stripe | undefined {
  if (!cfg.stripeSecretKey) return undefined;
  return new Stripe(cfg.stripeSecretKey, {
    ...(cfg.stripeApiHost ? { host: cfg.stripeApiHost } : {}),
    ...(cfg.stripeApiPort ? { port: cfg.stripeApiPort } : {}),
    ...(cfg.stripeApiProtocol ? { protocol: cfg.stripeApiProtocol } : {}),
    maxNetworkRetries: cfg.stripeMaxNetworkRetries,
    timeout: cfg.stripeTimeoutMs,
    telemetry: false,
    appInfo: { name: 'huanxin-settlement' },
  });
}

/**
 * A refusal is final (the payout fails and its claims go back to the next run); anything else — a 5xx, a
 * timeout or dropped connection after the SDK's own retries, rate limits, a key in use by a concurrent call,
 * our own credentials refused — leaves the payout pending, to be retried with the same idempotency key.
 */
export function classifyStripeError(err: unknown): SendOutcome {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode;
    const transient =
      err.type === 'StripeConnectionError' || err.type === 'StripeAPIError' || err.type === 'StripeRateLimitError' ||
      err.type === 'StripeAuthenticationError' || status === undefined || status >= 500 || status === 409 || status === 429 || status === 401;
    if (transient) return { kind: 'retry', error: `${err.type}${status ? ` ${status}` : ''}: ${err.message}` };
    return { kind: 'refused', code: err.code ?? err.rawType ?? err.type, reason: err.message };
  }
  return { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
}

export type ReversalOutcome = { kind: 'succeeded'; reference: string } | Exclude<SendOutcome, { kind: 'paid' | 'sent' }>;

/**
 * Stripe Connect: one transfer per payout from the platform balance to the retailer's connected account,
 * `transfer_group` = the run, our stored idempotency key on every call, so a retry after a crash or a lost
 * answer gets Stripe's replay of the first result instead of a second transfer.
 */
@Injectable()
export class StripeGateway implements PayoutGateway {
  readonly name = 'stripe' as const;
  readonly scope = 'payout' as const;
  private readonly logger = new Logger(StripeGateway.name);
  private readonly client: Stripe | undefined;
  private readonly currency: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createStripeClient(config.settlement);
    this.currency = config.settlement.currency.toLowerCase();
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  private stripe(): Stripe {
    if (!this.client) throw new Error('settlement: the stripe gateway needs STRIPE_SECRET_KEY');
    return this.client;
  }

  async send(run: RunRef, payouts: PayoutInstruction[]): Promise<Map<string, SendOutcome>> {
    const out = new Map<string, SendOutcome>();
    for (const p of payouts) out.set(p.payoutId, await this.transfer(run, p));
    return out;
  }

  private async transfer(run: RunRef, p: PayoutInstruction): Promise<SendOutcome> {
    if (!p.stripeAccountId) return { kind: 'refused', code: 'no_payout_account', reason: 'The retailer has no Stripe connected account' };
    try {
      const t = await this.stripe().transfers.create(
        {
          amount: p.amountFen,
          currency: this.currency,
          destination: p.stripeAccountId,
          transfer_group: run.id,
          description: `Huanxin subsidy payout ${p.payoutId} (${p.claimCount} claims, programme ${run.programCode})`,
          metadata: { payout_id: p.payoutId, run_id: run.id, retailer_id: p.retailerId, claim_count: String(p.claimCount) },
        },
        { idempotencyKey: p.idempotencyKey },
      );
      if (t.amount !== p.amountFen || t.destination !== p.stripeAccountId) {
        // never expected: the key is ours and unique; keep the payout pending and make noise
        return { kind: 'retry', error: `transfer ${t.id} does not match payout ${p.payoutId}` };
      }
      return { kind: 'paid', reference: t.id };
    } catch (err) {
      const outcome = classifyStripeError(err);
      if (outcome.kind === 'retry') this.logger.warn({ payoutId: p.payoutId, error: outcome.error }, 'stripe transfer not confirmed; will retry with the same key');
      return outcome;
    }
  }

  /** Takes `amountFen` back from an earlier transfer (a clawback the payouts could not net, or money that did not arrive). */
  async reverse(transferId: string, amountFen: number, idempotencyKey: string, metadata: Record<string, string>): Promise<ReversalOutcome> {
    try {
      const r = await this.stripe().transfers.createReversal(transferId, { amount: amountFen, metadata }, { idempotencyKey });
      return { kind: 'succeeded', reference: r.id };
    } catch (err) {
      const outcome = classifyStripeError(err);
      if (outcome.kind === 'paid' || outcome.kind === 'sent') throw new Error('unreachable');
      return outcome;
    }
  }

  async report(run: RunRef): Promise<GatewayRecord[]> {
    const out: GatewayRecord[] = [];
    for await (const t of this.stripe().transfers.list({ transfer_group: run.id, limit: 100 })) {
      out.push({
        payoutId: typeof t.metadata?.payout_id === 'string' ? t.metadata.payout_id : null,
        reference: t.id,
        netFen: t.amount - t.amount_reversed,
        status: t.reversed ? 'failed' : 'paid',
      });
    }
    return out;
  }
}
