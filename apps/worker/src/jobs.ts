import { Inject, Injectable, Type } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { IdempotencyRepository } from '@huanxin/idempotency';
import type { Job } from './job-runner';

/** Domain modules the worker's jobs need. */
export const WORKER_MODULES: Type[] = [];

/** The worker's jobs and their schedules (every interval an environment variable). */
@Injectable()
export class WorkerJobs {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  list(): Job[] {
    return [
      { name: 'idempotency-purge', intervalMs: this.config.idempotencyPurgeIntervalMs, run: () => this.idempotency.purgeExpired(5000) },
    ];
  }
}
