import { Inject, Injectable, Type } from '@nestjs/common';
import { AuditSealer } from '@huanxin/audit-log';
import { ClaimDismantlingModule, DismantlingService, LiveClaimsModule } from '@huanxin/claims';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { IdempotencyRepository } from '@huanxin/idempotency';
import { SettlementJobs, SettlementModule } from '@huanxin/settlement';
import { LotteryService, VouchersModule, VouchersService, WaitlistService } from '@huanxin/vouchers';
import type { Job } from './job-runner';

/** Domain modules the worker's jobs need (vouchers count live claims: LiveClaimsModule). */
export const WORKER_MODULES: Type[] = [
  LiveClaimsModule,
  ClaimDismantlingModule,
  VouchersModule,
  SettlementModule,
];

/** The worker's jobs and their schedules (every interval an environment variable). */
@Injectable()
export class WorkerJobs {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly idempotency: IdempotencyRepository,
    private readonly vouchers: VouchersService,
    private readonly auditSealer: AuditSealer,
    private readonly settlement: SettlementJobs,
    private readonly lottery: LotteryService,
    private readonly waitlist: WaitlistService,
    private readonly dismantling: DismantlingService,
  ) {}

  /** One lottery batch: what it committed, closed and drew (0 when nothing moved, so the runner stops draining). */
  async lotteryTick(): Promise<number> {
    return (await this.lottery.commitOpenWindows()) + (await this.lottery.closeWindows()) + (await this.lottery.runDueDraws());
  }

  list(): Job[] {
    return [
      { name: 'voucher-expiry', intervalMs: this.config.voucherExpiryIntervalMs, run: () => this.vouchers.expireBatch(this.config.voucherExpiryBatch) },
      // money left in ledger slots whose quota slot has nothing left today goes back to the city's main accounts
      { name: 'voucher-slot-sweep', intervalMs: this.config.voucherSlotSweepIntervalMs, run: () => this.vouchers.sweepSlots() },
      // AuditLogModule is global in the worker; the sealer takes an advisory lock, so several workers are safe
      { name: 'audit-seal', intervalMs: this.config.auditSealIntervalMs, run: () => this.auditSealer.sealBatch(this.config.auditSealBatch) },
      { name: 'idempotency-purge', intervalMs: this.config.idempotencyPurgeIntervalMs, run: () => this.idempotency.purgeExpired(5000) },
      // lottery cities (issue 13): commitments as windows open, the close logged, due draws run (each once)
      { name: 'lottery', intervalMs: this.config.lotteryIntervalMs, run: () => this.lotteryTick() },
      // first-come cities: returned vouchers given to the waitlist in order
      { name: 'waitlist', intervalMs: this.config.waitlistIntervalMs, run: () => this.waitlist.serve() },
      // dismantling deadlines (issue 13): overdue claims flagged and held from payout, confirmed ones released
      ...(this.config.dismantlingCheckIntervalMs > 0
        ? [{ name: 'dismantling-check', intervalMs: this.config.dismantlingCheckIntervalMs, run: () => this.dismantling.check() }]
        : []),
      // payout schedule, sending, reconciliation (libs/settlement/src/settlement-jobs.ts)
      ...this.settlement.jobs(),
    ];
  }
}
