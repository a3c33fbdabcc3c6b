import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RateDecision, RateLimitStore } from '../http/rate-limit';

export interface SharedLimiterEvents {
  /** Redis was up (or not yet known) and a count failed: once per outage */
  down(err: unknown): void;
  /** a count succeeded after an outage */
  up(): void;
  /** this request was counted in this process's memory instead */
  fallback(): void;
}

/**
 * Rate-limit counts shared by every API process through a ThrottlerStorage (the Redis store of
 * @nest-lab/throttler-storage-redis: one Lua script a request — a fixed window of `windowMs` from a key's first
 * hit, then refused for `windowMs` once past the limit), **failing open**: while Redis cannot answer, each process
 * counts in its own memory (the sliding window of RateLimitStore), so the API keeps answering with per-process
 * limits (N processes then allow up to N times the limit) rather than refusing everyone or counting nothing. After
 * a failure Redis is not asked again for `retryMs` (nor while the connection is not ready), so an outage costs
 * requests nothing; the first count that succeeds ends the outage.
 */
export class SharedRateLimiter {
  private up: boolean | undefined;
  private retryAt = 0;

  constructor(
    private readonly storage: ThrottlerStorage,
    private readonly local: RateLimitStore,
    private readonly ready: () => boolean,
    private readonly events: SharedLimiterEvents,
    private readonly retryMs = 1000,
  ) {}

  async hit(key: string, name: string, limit: number, windowMs: number, now: number): Promise<RateDecision> {
    if (now >= this.retryAt && this.ready()) {
      try {
        const r = await this.storage.increment(key, windowMs, limit, windowMs, name);
        if (this.up !== true) {
          if (this.up === false) this.events.up();
          this.up = true;
        }
        return r.isBlocked
          ? { allowed: false, retryAfterSeconds: Math.max(1, r.timeToBlockExpire) }
          : { allowed: true, remaining: Math.max(0, limit - r.totalHits), resetSeconds: r.timeToExpire };
      } catch (err) {
        this.retryAt = now + this.retryMs;
        if (this.up !== false) this.events.down(err);
        this.up = false;
      }
    } else if (this.up === true && !this.ready()) {
      // the connection dropped between two counts: the outage starts here (before the first count, a connection
      // still being made is not an outage: RedisConnections warns if it cannot be made)
      this.up = false;
      this.events.down(new Error('the connection to Redis is not ready'));
    }
    this.events.fallback();
    return this.local.hit(key, limit, windowMs, now);
  }

  /** true while counts are shared (Redis answered the last one), false in an outage, undefined before the first. */
  get shared(): boolean | undefined {
    return this.up;
  }
}
