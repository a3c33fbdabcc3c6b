import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, decodeTimeCursor, DomainError, encodeTimeCursor, isUuid, newId, Page, pageSize, requireAccess, SYSTEM_ACTOR, toShanghaiIso } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { NewRecovery, NewReversal, PayoutRow, PayoutRunsRepository, ReversalRow, RunRow } from './payout-runs.repository';
import type { GatewayName, PayoutRunView, PayoutStatus, PayoutSummary, ReversalSummary, RunTrigger } from './settlement.types';

const n = (s: string | number | null | undefined) => Number(s ?? 0);

export function toPayoutSummary(p: PayoutRow): PayoutSummary {
  return {
    id: p.id, retailerId: p.retailer_id, amountFen: n(p.amount_fen), claimCount: p.claim_count, status: p.status,
    grossFen: n(p.gross_fen), nettedFen: n(p.netted_fen), reference: p.gateway_ref, failureCode: p.failure_code, failureReason: p.failure_reason,
  };
}

function toReversalSummary(v: ReversalRow): ReversalSummary {
  return { id: v.id, payoutId: v.payout_id, retailerId: v.retailer_id, amountFen: n(v.amount_fen), status: v.status, reference: v.gateway_ref, failureReason: v.failure_reason };
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
 */
@Injectable()
export class PayoutRunsService {
  private readonly logger = new Logger(PayoutRunsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly repo: PayoutRunsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, programCode: string, trigger: RunTrigger = 'manual'): Promise<PayoutRunView> {
    requireAccess(actor, 'programme.manage');
    const program = await this.repo.programByCode(programCode);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const run = await this.createFor(actor, program, trigger);
    return this.view(run!);
  }

  async get(actor: Actor, id: string): Promise<PayoutRunView> {
    requireAccess(actor, 'programme.manage');
    const run = isUuid(id) ? await this.repo.findRun(id.toLowerCase()) : undefined;
    if (!run) throw new DomainError('not_found', 'No such payout run');
    return this.view(run);
  }

  /** The programme office's list of runs, newest first, optionally of one programme (an unknown code: an empty page). */
  async list(actor: Actor, q: { programCode?: string; limit?: number; cursor?: string }): Promise<Page<PayoutRunSummary>> {
    requireAccess(actor, 'programme.manage');
    const limit = pageSize(q.limit);
    const after = q.cursor === undefined ? undefined : (({ at, key }) => ({ createdAt: at, id: key.toLowerCase() }))(decodeTimeCursor(q.cursor, isUuid));
    const rows = await this.repo.listRuns({ programCode: q.programCode, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((run) => ({
        id: run.id,
        programCode: run.program_code,
        gateway: run.gateway,
        status: run.status,
        trigger: run.trigger,
        payoutCount: run.payout_count,
        claimCount: run.claim_count,
        grossFen: n(run.gross_fen),
        nettedFen: n(run.netted_fen),
        totalFen: n(run.total_fen),
        counts: run.counts,
        heldCount: run.held.length,
        createdAt: toShanghaiIso(run.created_at),
        startedAt: run.started_at ? toShanghaiIso(run.started_at) : null,
        completedAt: run.completed_at ? toShanghaiIso(run.completed_at) : null,
      })),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.created_at, last.id) : null,
    };
  }

  /** The schedule's tick: a run for every running programme that has something to pay. Answers runs made. */
  async runSchedule(): Promise<number> {
    let made = 0;
    for (const program of await this.repo.runningPrograms(this.clock.now())) {
      try {
        if (await this.createFor(SYSTEM_ACTOR, program, 'schedule')) made++;
      } catch (err) {
        this.logger.error({ programCode: program.code, err }, 'scheduled payout run failed');
      }
    }
    return made;
  }

  private async createFor(actor: Actor, program: { id: string; code: string }, trigger: RunTrigger): Promise<RunRow | undefined> {
    const gateway: GatewayName = this.config.settlement.gateway;
    const now = this.clock.now();
    const runId = newId();
    try {
      return await this.db.run(async (tx) => {
        await this.repo.lockProgramRuns(tx, program.id);
        await this.repo.insertRun(tx, { id: runId, programId: program.id, gateway, trigger, createdBy: actor.id, now });
        const held = await this.repo.heldRetailers(tx, program.id, gateway);
        const payouts = await this.repo.createPayouts(tx, actor, runId, program.id, gateway, now);
        if (payouts.length) await this.repo.netClawbacks(tx, runId, program.id, now);
        const reversals = gateway === 'stripe' ? await this.planReversals(tx, runId, program.id, now) : 0;
        if (trigger === 'schedule' && payouts.length === 0 && reversals === 0) throw new NothingToPay();
        const run = await this.repo.finishRun(tx, runId, held, now);
        const written = await this.repo.runPayouts(runId, tx);
        await this.audit.appendMany(tx, actor, [
          {
            action: 'payout_run.created', subjectType: 'payout_run', subjectId: runId,
            details: {
              programCode: program.code, gateway, trigger, payoutCount: run.payout_count, claimCount: run.claim_count,
              grossFen: n(run.gross_fen), nettedFen: n(run.netted_fen), totalFen: n(run.total_fen), reversals,
              held: held.map((h) => ({ retailerId: h.retailerId, reason: h.reason, claimCount: h.claimCount })),
            },
          },
          ...written.map((p) => ({
            action: 'payout.created', subjectType: 'payout', subjectId: p.id,
            details: {
              runId, retailerId: p.retailer_id, claimCount: p.claim_count, grossFen: n(p.gross_fen), nettedFen: n(p.netted_fen),
              amountFen: n(p.amount_fen), gateway,
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
   * Stripe only: clawbacks still open after netting are taken back from the retailer's earlier transfers of
   * this programme (newest first), as transfer reversals written now and made by the processor. A retailer
   * with no reversible transfer keeps the clawback open for its next payout.
   */
  private async planReversals(tx: Tx, runId: string, programId: string, now: Date): Promise<number> {
    const open = await this.repo.openClawbacks(tx, programId);
    if (!open.length) return 0;
    const byRetailer = new Map<string, typeof open>();
    for (const c of open) byRetailer.set(c.retailer_id, [...(byRetailer.get(c.retailer_id) ?? []), c]);
    const transfers = await this.repo.reversibleTransfers(tx, programId, [...byRetailer.keys()]);
    const reversals: NewReversal[] = [];
    const recoveries: NewRecovery[] = [];
    for (const [retailerId, claims] of byRetailer) {
      const queue = claims.map((c) => ({ ...c, left: n(c.open_fen) }));
      for (const t of transfers.filter((x) => x.retailer_id === retailerId)) {
        let room = n(t.reversible);
        if (room <= 0) continue;
        const id = newId();
        let amount = 0;
        for (const c of queue) {
          if (room === 0) break;
          const take = Math.min(room, c.left);
          if (take <= 0) continue;
          recoveries.push({ claimId: c.claim_id, retailerId, city: c.city, amountFen: take, reversalId: id });
          c.left -= take;
          room -= take;
          amount += take;
        }
        if (amount > 0) reversals.push({ id, payoutId: t.payout_id, retailerId, amountFen: amount });
        if (queue.every((c) => c.left === 0)) break;
      }
    }
    await this.repo.insertReversals(tx, runId, programId, reversals, recoveries, now);
    return reversals.length;
  }

  async view(run: RunRow): Promise<PayoutRunView> {
    const [payouts, reversals] = await Promise.all([this.repo.runPayouts(run.id), this.repo.runReversals(run.id)]);
    const counts: Record<PayoutStatus, number> = { pending: 0, sent: 0, paid: 0, failed: 0 };
    for (const p of payouts) counts[p.status]++;
    return {
      id: run.id,
      programCode: run.program_code,
      gateway: run.gateway,
      status: run.status,
      trigger: run.trigger,
      payoutCount: run.payout_count,
      claimCount: run.claim_count,
      grossFen: n(run.gross_fen),
      nettedFen: n(run.netted_fen),
      totalFen: n(run.total_fen),
      counts,
      payouts: payouts.map(toPayoutSummary),
      held: run.held,
      reversals: reversals.map(toReversalSummary),
      createdAt: toShanghaiIso(run.created_at),
      startedAt: run.started_at ? toShanghaiIso(run.started_at) : null,
      completedAt: run.completed_at ? toShanghaiIso(run.completed_at) : null,
    };
  }
}
