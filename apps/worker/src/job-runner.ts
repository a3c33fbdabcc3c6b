import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

export interface Job {
  name: string;
  intervalMs: number;
  /** One batch of work; returns how many items it handled. Must be safe with several workers running. */
  run(): Promise<number>;
}

/**
 * Runs each job on its interval, one batch at a time, draining while batches come back non-empty.
 * Jobs take their rows with FOR UPDATE SKIP LOCKED, so any number of worker processes can run.
 */
@Injectable()
export class JobRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private running = new Set<Promise<void>>();

  start(jobs: Job[]): void {
    for (const job of jobs) {
      const tick = async () => {
        if (this.stopping) return;
        const work = this.drain(job);
        this.running.add(work);
        await work;
        this.running.delete(work);
        if (!this.stopping) this.timers.push(setTimeout(tick, job.intervalMs));
      };
      this.timers.push(setTimeout(tick, 0));
    }
  }

  private async drain(job: Job): Promise<void> {
    try {
      let handled: number;
      do {
        handled = await job.run();
        if (handled > 0) this.logger.log({ job: job.name, handled }, 'job batch done');
      } while (handled > 0 && !this.stopping);
    } catch (err) {
      this.logger.error({ job: job.name, err }, 'job failed; will retry on the next tick');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.running);
  }
}
