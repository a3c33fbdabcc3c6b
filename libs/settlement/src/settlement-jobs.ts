import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { PayoutProcessor } from './payout-processor.service';
import { PayoutRunsService } from './payout-runs.service';
import { ReconciliationService } from './reconciliation.service';

/** A worker job as apps/worker's JobRunner runs it (structural: libraries do not import apps). */
export interface SettlementJob {
  name: string;
  intervalMs: number;
  run(): Promise<number>;
}

/**
 * The settlement's worker jobs: the payout schedule (PAYOUT_SCHEDULE_INTERVAL_MS, 0 = on demand only),
 * sending what runs wrote (PAYOUT_PROCESS_INTERVAL_MS), and reconciliation (RECONCILE_INTERVAL_MS, 0 = off).
 * Each is safe with any number of workers.
 */
@Injectable()
export class SettlementJobs {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: PayoutRunsService,
    private readonly processor: PayoutProcessor,
    private readonly reconciliation: ReconciliationService,
  ) {}

  jobs(): SettlementJob[] {
    const s = this.config.settlement;
    const jobs: SettlementJob[] = [{ name: 'payout-process', intervalMs: s.processIntervalMs, run: () => this.processor.processBatch() }];
    if (s.scheduleIntervalMs > 0) {
      // one round of runs per tick: answering 0 keeps the runner from draining it again at once
      jobs.unshift({ name: 'payout-schedule', intervalMs: s.scheduleIntervalMs, run: async () => (await this.runs.runSchedule(), 0) });
    }
    if (s.reconcileIntervalMs > 0) {
      jobs.push({ name: 'payout-reconcile', intervalMs: s.reconcileIntervalMs, run: () => this.reconciliation.reconcileDue() });
    }
    return jobs;
  }
}
