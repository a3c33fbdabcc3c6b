/**
 * At most `limit` calls of `run` at once; the others wait their turn, first come first served. The processor's lanes
 * share one, so a worker never has more transfers in flight than PAYOUT_STRIPE_CONCURRENCY, however its batches fall.
 */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`gate: limit must be a positive integer, got ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      // hand the slot straight to the next in line (active stays the same), or give it up
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
