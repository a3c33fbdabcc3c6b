import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { ClaimSettlementRepository, RetailerClaimTotal } from '@huanxin/claims';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, decodeTimeCursor, DomainError, encodeTimeCursor, isUuid, newId, Page, pageSize, requireAccess, SYSTEM_ACTOR, toShanghaiIso } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { ProgramsRepository } from '@huanxin/programs';
import { Retailer, RetailersRepository } from '@huanxin/retailers';
import { ClawbacksRepository, NewRecovery, NewReversal, OpenClawback, Reversal } from './clawbacks.repository';
import { PayoutRunsRepository, Run } from './payout-runs.repository';
import { NewPayout, Payout, PayoutsRepository } from './payouts.repository';
import type { GatewayName, HeldRetailer, HoldReason, PayoutRunView, PayoutStatus, PayoutSummary, ReversalSummary, RunTrigger } from './settlement.types';
import { StripeEventsRepository } from './stripe/stripe-events.repository';

export function toPayoutSummary(p: Payout): PayoutSummary {
  return {
    id: p.id, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount, status: p.status,
    grossFen: p.grossFen, nettedFen: p.nettedFen, reference: p.gatewayRef, failureCode: p.failureCode, failureReason: p.failureReason,
    destination: p.destination, payoutDetailsVersion: p.payoutDetailsVersion,
  };
}

function toReversalSummary(v: Reversal): ReversalSummary {
  return { id: v.id, payoutId: v.payoutId, retailerId: v.retailerId, amountFen: v.amountFen, status: v.status, reference: v.gatewayRef, failureReason: v.failureReason };
}

/** Why this gateway cannot pay a retailer now (undefined: it can); `capability` is its Stripe account's transfers state. */
function holdReason(r: Retailer, gateway: GatewayName, capability: string | undefined): HoldReason | undefined {
  if (r.status !== 'active') return 'retailer_suspended';
  if (gateway === 'stripe' && r.stripeAccountId === null) return 'no_payout_account';
  if (gateway === 'bank-file' && r.bank === null) return 'no_payout_account';
  if (gateway === 'stripe' && capability === 'payouts_failed') return 'account_payouts_failing';
  if (gateway === 'stripe' && (capability ?? 'active') !== 'active') return 'account_capability_lost';
  return undefined;
}

/** Where each gateway pays a retailer: its connected account, or (shown) the last four digits of its bank account. */
function destination(r: Retailer, gateway: GatewayName): string | null {
  if (gateway === 'stripe') return r.stripeAccountId;
  return r.bank ? `****${r.bank.accountNumberLast4}` : null;
}

/** A run in the list (GET /v1/admin/payout-runs): its control totals and payouts counted by state, no payouts. */
export type PayoutRunSummary = Omit<PayoutRunView, 'payouts' | 'held' | 'reversals'> & {
  /** Retailers with approved claims the run held back (GET /v1/admin/payout-runs/{id} says who and why). */
  heldCount: number;
};

/** Rolls a scheduled run with nothing to do back, so the schedule leaves no empty runs behind. */
class NothingToPay extends Error {}

/**
 * Payout runs (DESIGN.md "The flow", step 5): on demand (POST /v1/admin/payout-runs) or on the worker's
 * schedule. A run is written in one transaction — claims to in_payout, one payout per retailer with its
 * control total and idempotency key, clawbacks netted, the reversals Stripe must make for clawbacks that
 * could not be netted — before any gateway is called; the worker's PayoutProcessor then sends them.
 * The claims move through their owner (ClaimSettlementRepository), set-based: the run's cost grows with the
 * number of retailers in statements, never with a statement per claim.
 */
@Injectable()
export class PayoutRunsService {
  private readonly logger = new Logger(PayoutRunsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly runs: PayoutRunsRepository,
    private readonly payouts: PayoutsRepository,
    private readonly clawbacks: ClawbacksRepository,
    private readonly stripeAccounts: StripeEventsRepository,
    private readonly claims: ClaimSettlementRepository,
    private readonly programs: ProgramsRepository,
    private readonly retailers: RetailersRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, programCode: string, trigger: RunTrigger = 'manual'): Promise<PayoutRunView> {
    requireAccess(actor, 'programme.manage');
    const program = await this.programs.findByCode(this.db.manager, programCode);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const run = await this.createFor(actor, program, trigger);
    return this.view(run!, program.code);
  }

  async get(actor: Actor, id: string): Promise<PayoutRunView> {
    requireAccess(actor, 'programme.manage');
    const run = isUuid(id) ? await this.runs.findRun(id.toLowerCase()) : undefined;
    if (!run) throw new DomainError('not_found', 'No such payout run');
    return this.view(run);
  }

  /** The programme office's list of runs, newest first, optionally of one programme (an unknown code: an empty page). */
  async list(actor: Actor, q: { programCode?: string; limit?: number; cursor?: string }): Promise<Page<PayoutRunSummary>> {
    requireAccess(actor, 'programme.manage');
    const limit = pageSize(q.limit);
    const after = q.cursor === undefined ? undefined : (({ at, key }) => ({ createdAt: at, id: key.toLowerCase() }))(decodeTimeCursor(q.cursor, isUuid));
    const program = q.programCode === undefined ? undefined : await this.programs.findByCode(this.db.manager, q.programCode);
    if (q.programCode !== undefined && !program) return { items: [], nextCursor: null };
    const rows = await this.runs.listRuns({ programId: program?.id, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const codes = new Map((await this.programs.findByIds(this.db.manager, [...new Set(page.map((r) => r.programId))])).map((p) => [p.id, p.code]));
    const last = page[page.length - 1];
    return {
      items: page.map((run) => ({
        id: run.id,
        programCode: codes.get(run.programId)!,
        gateway: run.gateway,
        status: run.status,
        trigger: run.trigger,
        payoutCount: run.payoutCount,
        claimCount: run.claimCount,
        grossFen: run.grossFen,
        nettedFen: run.nettedFen,
        totalFen: run.totalFen,
        counts: run.counts,
        heldCount: run.held.length,
        createdAt: toShanghaiIso(run.createdAt),
        startedAt: run.startedAt ? toShanghaiIso(run.startedAt) : null,
        completedAt: run.completedAt ? toShanghaiIso(run.completedAt) : null,
      })),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.createdAt, last.id) : null,
    };
  }

  /** The schedule's tick: a run for every running programme that has something to pay. Answers runs made. */
  async runSchedule(): Promise<number> {
    let made = 0;
    for (const program of await this.programs.startedBy(this.clock.now())) {
      try {
        if (await this.createFor(SYSTEM_ACTOR, program, 'schedule')) made++;
      } catch (err) {
        this.logger.error({ programCode: program.code, err }, 'scheduled payout run failed');
      }
    }
    return made;
  }

  private async createFor(actor: Actor, program: { id: string; code: string }, trigger: RunTrigger): Promise<Run | undefined> {
    const gateway: GatewayName = this.config.settlement.gateway;
    const now = this.clock.now();
    const runId = newId();
    try {
      return await this.db.run(async (tx) => {
        await this.runs.lockProgramRuns(tx, program.id);
        await this.runs.insertRun(tx, { id: runId, programId: program.id, gateway, trigger, createdBy: actor.id, now });
        const { held, payable } = await this.sortRetailers(tx, await this.claims.approvedTotals(tx, program.id), gateway);
        // in one statement: every approved claim of a payable retailer moves to in_payout (through the claims
        // library's SQL; a claim cancelled a moment ago is simply not taken), one payout per retailer that had a
        // claim moved, each claim tied to its payout
        const paid = await this.payouts.writeRun(tx, actor, { runId, programId: program.id, gateway, now }, payable, (params) => this.claims.payoutMoveCte(params));
        if (paid.length) await this.clawbacks.netClawbacks(tx, runId, program.id, await this.claims.clawedBack(tx, program.id, paid), now);
        const reversals = gateway === 'stripe' ? await this.planReversals(tx, runId, program.id, now) : 0;
        if (trigger === 'schedule' && paid.length === 0 && reversals === 0) throw new NothingToPay();
        const run = await this.runs.finishRun(tx, runId, held, now);
        const written = await this.payouts.payoutsOfRun(tx, runId);
        await this.audit.appendMany(tx, actor, [
          {
            action: 'payout_run.created', subjectType: 'payout_run', subjectId: runId,
            details: {
              programCode: program.code, gateway, trigger, payoutCount: run.payoutCount, claimCount: run.claimCount,
              grossFen: run.grossFen, nettedFen: run.nettedFen, totalFen: run.totalFen, reversals,
              held: held.map((h) => ({ retailerId: h.retailerId, reason: h.reason, claimCount: h.claimCount })),
            },
          },
          ...written.map((p) => ({
            action: 'payout.created', subjectType: 'payout', subjectId: p.id,
            details: {
              runId, retailerId: p.retailerId, claimCount: p.claimCount, grossFen: p.grossFen, nettedFen: p.nettedFen,
              amountFen: p.amountFen, gateway, destination: p.destination, payoutDetailsVersion: p.payoutDetailsVersion,
            },
          })),
        ]);
        return run;
      });
    } catch (err) {
      if (err instanceof NothingToPay) return undefined;
      throw err;
    }
  }

  /**
   * The retailers with approved claims, sorted: those this gateway cannot pay now, and why (suspended, no payout
   * account, a Stripe account failing or restricted), and the payable ones, each a new payout id and destination.
   */
  private async sortRetailers(tx: Tx, totals: RetailerClaimTotal[], gateway: GatewayName): Promise<{ held: HeldRetailer[]; payable: NewPayout[] }> {
    const retailers = new Map((await this.retailers.findManyById(tx, totals.map((t) => t.retailerId))).map((r) => [r.id, r]));
    const accounts = gateway === 'stripe'
      ? await this.stripeAccounts.capabilities(tx, [...retailers.values()].flatMap((r) => (r.stripeAccountId ? [r.stripeAccountId] : [])))
      : new Map<string, string>();
    const held: HeldRetailer[] = [];
    const payable: NewPayout[] = [];
    for (const t of totals) {
      const r = retailers.get(t.retailerId);
      if (!r) continue;
      const reason = holdReason(r, gateway, r.stripeAccountId ? accounts.get(r.stripeAccountId) : undefined);
      if (reason) held.push({ retailerId: r.id, reason, claimCount: t.claimCount, amountFen: t.amountFen });
      // the destination and its version from the one row read: a payout is paid where it was created to be paid
      else payable.push({ id: newId(), retailerId: r.id, destination: destination(r, gateway), payoutDetailsVersion: r.payoutDetailsVersion });
    }
    return { held, payable };
  }

  /**
   * Stripe only: clawbacks still open after netting are taken back from the retailer's earlier transfers of
   * this programme (newest first), as transfer reversals written now and made by the processor. A retailer
   * with no reversible transfer keeps the clawback open for its next payout.
   */
  private async planReversals(tx: Tx, runId: string, programId: string, now: Date): Promise<number> {
    const open = await this.clawbacks.openClawbacks(tx, programId, await this.claims.clawedBack(tx, programId, null));
    if (!open.length) return 0;
    const byRetailer = new Map<string, OpenClawback[]>();
    for (const c of open) byRetailer.set(c.retailerId, [...(byRetailer.get(c.retailerId) ?? []), c]);
    const onStripe = (await this.retailers.findManyById(tx, [...byRetailer.keys()])).filter((r) => r.stripeAccountId !== null).map((r) => r.id);
    const transfers = await this.clawbacks.reversibleTransfers(tx, programId, onStripe);
    const reversals: NewReversal[] = [];
    const recoveries: NewRecovery[] = [];
    for (const [retailerId, claims] of byRetailer) {
      const queue = claims.map((c) => ({ ...c, left: c.openFen }));
      for (const t of transfers.filter((x) => x.retailerId === retailerId)) {
        let room = t.reversibleFen;
        if (room <= 0) continue;
        const id = newId();
        let amount = 0;
        for (const c of queue) {
          if (room === 0) break;
          const take = Math.min(room, c.left);
          if (take <= 0) continue;
          recoveries.push({ claimId: c.claimId, retailerId, city: c.city, amountFen: take, reversalId: id });
          c.left -= take;
          room -= take;
          amount += take;
        }
        if (amount > 0) reversals.push({ id, payoutId: t.payoutId, retailerId, amountFen: amount });
        if (queue.every((c) => c.left === 0)) break;
      }
    }
    await this.clawbacks.insertReversals(tx, runId, programId, reversals, recoveries, now);
    return reversals.length;
  }

  /** The run as the API shows it, with its payouts and reversals (read from the pool). */
  private async view(run: Run, programCode?: string): Promise<PayoutRunView> {
    const [payouts, reversals, code] = await Promise.all([
      this.payouts.findPayoutsOfRun(run.id), this.clawbacks.findReversalsOfRun(run.id), programCode ?? this.programCode(run.programId),
    ]);
    const counts: Record<PayoutStatus, number> = { pending: 0, sent: 0, paid: 0, failed: 0 };
    for (const p of payouts) counts[p.status]++;
    return {
      id: run.id,
      programCode: code,
      gateway: run.gateway,
      status: run.status,
      trigger: run.trigger,
      payoutCount: run.payoutCount,
      claimCount: run.claimCount,
      grossFen: run.grossFen,
      nettedFen: run.nettedFen,
      totalFen: run.totalFen,
      counts,
      payouts: payouts.map(toPayoutSummary),
      held: run.held,
      reversals: reversals.map(toReversalSummary),
      createdAt: toShanghaiIso(run.createdAt),
      startedAt: run.startedAt ? toShanghaiIso(run.startedAt) : null,
      completedAt: run.completedAt ? toShanghaiIso(run.completedAt) : null,
    };
  }

  private async programCode(programId: string): Promise<string> {
    const [program] = await this.programs.findByIds(this.db.manager, [programId]);
    if (!program) throw new Error(`settlement: the run's programme ${programId} is gone`);
    return program.code;
  }
}
