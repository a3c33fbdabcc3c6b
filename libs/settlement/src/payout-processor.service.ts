import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { ProgramsRepository } from '@huanxin/programs';
import { RetailersRepository } from '@huanxin/retailers';
import { BankFilesRepository } from './bank/bank-files.repository';
import { BankFileGateway } from './bank/bank-file.gateway';
import { validatePain001 } from './bank/pain001';
import { ClawbacksRepository } from './clawbacks.repository';
import { Gate } from './gate';
import type { PayoutInstruction, SendOutcome } from './payout-gateway';
import { PayoutLedger } from './payout-ledger.service';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutsRepository } from './payouts.repository';
import { StripeGateway } from './stripe/stripe.gateway';

/** The worker acts as the system, named, so the audit log says which job moved the money. */
export const SETTLEMENT_ACTOR: Actor = { kind: 'system', id: 'settlement' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends what the runs wrote. Safe with any number of workers and against a crash at any point:
 *
 * - Stripe: a batch of payouts per transaction, locked FOR UPDATE SKIP LOCKED for the whole of the gateway
 *   calls and the recording of their results, so a second worker — or a second lane of this one — never calls
 *   for the same payout. Each call carries the payout's stored idempotency key: if we die after Stripe made a
 *   transfer and before we recorded it, the payout is still pending and the next attempt gets Stripe's replay of
 *   that transfer. A worker keeps PAYOUT_STRIPE_LANES batches open side by side (one records its answers while the
 *   next is at the gateway) and PAYOUT_STRIPE_CONCURRENCY transfers in flight across them.
 * - Bank file: a run's pending payouts under the run's row lock; the file is deterministic and replaced
 *   atomically, so a crash before the commit rewrites the same file.
 *
 * A failure in transit (5xx, timeout, dropped connection — after the SDK's own retries) leaves the payout
 * pending with a back-off; a refusal fails it and sends its claims back to approved.
 */
@Injectable()
export class PayoutProcessor {
  private readonly logger = new Logger(PayoutProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly runs: PayoutRunsRepository,
    private readonly payouts: PayoutsRepository,
    private readonly clawbacks: ClawbacksRepository,
    private readonly bankFiles: BankFilesRepository,
    private readonly programs: ProgramsRepository,
    private readonly retailers: RetailersRepository,
    private readonly settle: PayoutLedger,
    private readonly stripe: StripeGateway,
    private readonly bank: BankFileGateway,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** One batch: answers how many payouts, reversals and runs it handled (0 = nothing to do). */
  async processBatch(limit = this.config.settlement.batch): Promise<number> {
    let handled = 0;
    if (this.stripe.configured) {
      handled += await this.sendStripe(limit);
      while (handled < limit && (await this.sendNextReversal())) handled++;
    }
    while (handled < limit && (await this.sendNextBankRun())) handled++;
    handled += await this.completeRuns();
    return handled;
  }

  private retryAt(attempts: number): Date {
    const delay = Math.min(this.config.settlement.retryDelayMs * 2 ** Math.min(attempts, 10), 3_600_000);
    return new Date(this.clock.now().getTime() + delay);
  }

  private async debugPause(): Promise<void> {
    if (this.config.settlement.debugDelayMs > 0) await sleep(this.config.settlement.debugDelayMs);
  }

  private async start(tx: Tx, runId: string): Promise<void> {
    if (await this.runs.markStarted(tx, runId, this.clock.now())) {
      await this.audit.append(tx, SETTLEMENT_ACTOR, { action: 'payout_run.processing', subjectType: 'payout_run', subjectId: runId, details: {} });
    }
  }

  /**
   * Up to `limit` Stripe payouts, in batches of PAYOUT_STRIPE_BATCH taken by PAYOUT_STRIPE_LANES lanes side by side,
   * every transfer through one gate of PAYOUT_STRIPE_CONCURRENCY. A lane stops when it finds nothing due (what is
   * left is locked by another lane or worker, or waits for its retry time). Answers how many payouts were handled.
   * A lane that fails (its transaction rolled back: the next round sends its payouts again, with their keys) does not
   * stop the others; the first failure is thrown once every lane has stopped.
   */
  private async sendStripe(limit: number): Promise<number> {
    const s = this.config.settlement;
    await this.db.run(async (tx) => {
      const started = await this.runs.markDueStripeRunsStarted(tx, this.clock.now());
      await this.audit.appendMany(tx, SETTLEMENT_ACTOR, started.map((id) => ({ action: 'payout_run.processing', subjectType: 'payout_run', subjectId: id, details: {} })));
    });
    const gate = new Gate(s.stripeConcurrency);
    let claimed = 0;
    let handled = 0;
    const lane = async () => {
      while (claimed < limit) {
        const want = Math.min(s.stripeBatch, limit - claimed);
        claimed += want;
        const n = await this.sendStripeBatch(want, gate);
        handled += n;
        claimed -= want - n;
        if (n === 0) return;
      }
    };
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(s.stripeLanes, Math.ceil(limit / s.stripeBatch)) }, lane));
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failed) throw failed.reason;
    return handled;
  }

  /** Up to `limit` Stripe payouts in one transaction: locked, sent through `gate`, recorded together. Answers how many. */
  private async sendStripeBatch(limit: number, gate: Gate): Promise<number> {
    return this.db.run(async (tx) => {
      const batch = await this.payouts.lockNextStripe(tx, this.clock.now(), limit);
      if (!batch.length) return 0;
      const retailers = new Map((await this.retailers.findManyById(tx, batch.map((p) => p.retailerId))).map((r) => [r.id, r]));
      const codes = await this.programs.codesByIds(tx, batch.map((p) => p.programId));
      const active = (p: { retailerId: string }) => retailers.get(p.retailerId)?.status === 'active';
      // runs are marked before the lanes start (sendStripe); a run written since is marked here, in id order: two
      // workers whose batches share runs never lock them in opposite orders
      for (const runId of [...new Set(batch.map((p) => p.runId))].sort()) await this.start(tx, runId);
      const suspended = batch.filter((p) => !active(p));
      // fully netted against clawbacks: nothing to transfer, the claims are settled
      const zero = batch.filter((p) => active(p) && p.amountFen === 0);
      const toSend = batch.filter((p) => active(p) && p.amountFen > 0);
      const outcomes = new Map<string, SendOutcome>();
      await Promise.all(toSend.map((p) => gate.run(async () => {
        const instruction: PayoutInstruction = {
          payoutId: p.id, runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount,
          idempotencyKey: p.idempotencyKey, stripeAccountId: p.destination ?? retailers.get(p.retailerId)?.stripeAccountId ?? null, bank: null,
        };
        // the gateway answers every instruction with an outcome (a failure in transit is `retry`), never throws
        const sent = await this.stripe.send({ id: p.runId, programCode: codes.get(p.programId)!, createdAt: p.runCreatedAt }, [instruction]);
        outcomes.set(p.id, sent.get(p.id)!);
      })));
      await this.debugPause();
      const now = this.clock.now();
      await this.settle.markFailed(tx, SETTLEMENT_ACTOR, suspended.map((p) => ({ id: p.id, code: 'retailer_suspended', reason: 'The retailer was suspended before the payout was sent' })), now);
      const paid: { id: string; reference?: string }[] = zero.map((p) => ({ id: p.id }));
      const refused: { id: string; code: string; reason: string }[] = [];
      for (const p of toSend) {
        const o = outcomes.get(p.id)!;
        if (o.kind === 'paid') paid.push({ id: p.id, reference: o.reference });
        else if (o.kind === 'refused') refused.push({ id: p.id, code: o.code, reason: o.reason });
        else if (o.kind === 'retry') await this.payouts.retryLater(tx, p.id, o.error, this.retryAt(p.attempts));
        else await this.settle.markSent(tx, SETTLEMENT_ACTOR, [{ id: p.id, reference: o.reference }], now);
      }
      await this.settle.markPaid(tx, SETTLEMENT_ACTOR, paid, now);
      await this.settle.markFailed(tx, SETTLEMENT_ACTOR, refused, now);
      return batch.length;
    });
  }

  private async sendNextReversal(): Promise<boolean> {
    return this.db.run(async (tx) => {
      const v = await this.clawbacks.lockNextReversal(tx, this.clock.now());
      if (!v) return false;
      await this.start(tx, v.runId);
      const now = () => this.clock.now();
      if (!v.transferId) {
        await this.settle.reversalFailed(tx, SETTLEMENT_ACTOR, v.id, 'no_transfer', 'The payout to reverse has no transfer', now());
        return true;
      }
      const outcome = await this.stripe.reverse(v.transferId, v.amountFen, v.idempotencyKey, { hx_reversal_id: v.id, run_id: v.runId, payout_id: v.payoutId });
      await this.debugPause();
      if (outcome.kind === 'succeeded') await this.settle.reversalSucceeded(tx, SETTLEMENT_ACTOR, v.id, outcome.reference, now());
      else if (outcome.kind === 'refused') await this.settle.reversalFailed(tx, SETTLEMENT_ACTOR, v.id, outcome.code, outcome.reason, now());
      else await this.clawbacks.retryLater(tx, v.id, outcome.error, this.retryAt(v.attempts));
      return true;
    });
  }

  private async sendNextBankRun(): Promise<boolean> {
    return this.db.run(async (tx) => {
      const run = await this.runs.lockNextBankRun(tx);
      if (!run) return false;
      const now = this.clock.now();
      await this.start(tx, run.id);
      const payouts = await this.payouts.lockPendingOfRun(tx, run.id);
      const retailers = new Map((await this.retailers.findManyById(tx, payouts.map((p) => p.retailerId))).map((r) => [r.id, r]));
      const active = (p: { retailerId: string }) => retailers.get(p.retailerId)?.status === 'active';
      const suspended = payouts.filter((p) => !active(p));
      const zero = payouts.filter((p) => active(p) && p.amountFen === 0);
      const toSend = payouts.filter((p) => active(p) && p.amountFen > 0);
      await this.settle.markFailed(tx, SETTLEMENT_ACTOR, suspended.map((p) => ({ id: p.id, code: 'retailer_suspended', reason: 'The retailer was suspended before the payout was sent' })), now);
      await this.settle.markPaid(tx, SETTLEMENT_ACTOR, zero.map((p) => ({ id: p.id })), now);
      const ref = { id: run.id, programCode: (await this.programs.codesByIds(tx, [run.programId])).get(run.programId)!, createdAt: run.createdAt };
      // the full account numbers, opened for the file only: each payout's as it was created (its payout-details
      // version), so a change approved since does not redirect a payout written before it (one payout a retailer a run)
      const accounts = new Map((await this.retailers.payoutAccountsAt(tx, toSend.map((p) => ({ retailerId: p.retailerId, version: p.payoutDetailsVersion }))))
        .map((a) => [a.retailerId, a]));
      const outcomes = await this.bank.send(ref, toSend.map((p) => ({
        payoutId: p.id, runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount,
        idempotencyKey: p.idempotencyKey, stripeAccountId: null, bank: accounts.get(p.retailerId)?.bank ?? null,
      })));
      const sent = [...outcomes].filter(([, o]) => o.kind === 'sent').map(([id, o]) => ({ id, reference: (o as { reference: string }).reference }));
      const refused = [...outcomes].filter(([, o]) => o.kind === 'refused').map(([id, o]) => ({ id, code: (o as { code: string }).code, reason: (o as { reason: string }).reason }));
      if (sent.length) {
        // read back what we wrote and check it as the bank will, before anything says "sent"
        const file = this.bank.fileOf(ref);
        const xml = readFileSync(file.path, 'utf8');
        const check = validatePain001(xml);
        const expected = toSend.filter((p) => sent.some((s) => s.id === p.id)).reduce((s, p) => s + p.amountFen, 0);
        if (!check.ok || check.nbOfTxs !== sent.length || check.ctrlSumFen !== expected) {
          throw new Error(`settlement: the payment file ${file.fileName} does not check out: ${check.problems.join('; ') || 'control totals differ'}`);
        }
        await this.bankFiles.insertBankFile(tx, {
          runId: run.id, fileName: file.fileName, messageId: file.messageId, sha256: createHash('sha256').update(xml).digest('hex'),
          nbOfTxs: check.nbOfTxs, ctrlSumFen: check.ctrlSumFen, now,
        });
        await this.audit.append(tx, SETTLEMENT_ACTOR, {
          action: 'payout_run.file_written', subjectType: 'payout_run', subjectId: run.id,
          details: { fileName: file.fileName, nbOfTxs: check.nbOfTxs, ctrlSumFen: check.ctrlSumFen },
        });
      }
      await this.debugPause();
      await this.settle.markSent(tx, SETTLEMENT_ACTOR, sent, now);
      await this.settle.markFailed(tx, SETTLEMENT_ACTOR, refused, now);
      return true;
    });
  }

  private async completeRuns(): Promise<number> {
    return this.db.run(async (tx) => {
      const done = await this.runs.completeRuns(tx, this.clock.now());
      await this.audit.appendMany(tx, SETTLEMENT_ACTOR, done.map((r) => ({
        action: 'payout_run.completed', subjectType: 'payout_run', subjectId: r.id, details: { counts: r.counts },
      })));
      if (done.length) this.logger.log({ runs: done.map((r) => r.id) }, 'payout runs completed');
      return done.length;
    });
  }
}
