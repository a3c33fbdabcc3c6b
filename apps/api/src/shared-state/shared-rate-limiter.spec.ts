import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitStore } from '../http/rate-limit';
import { SharedRateLimiter } from './shared-rate-limiter';

/** A ThrottlerStorage that counts like the Redis store (fixed window from the first hit, block past the limit), or fails on demand. */
class FakeStorage implements ThrottlerStorage {
  failing = false;
  calls = 0;
  private readonly hits = new Map<string, number>();

  async increment(key: string, ttl: number, limit: number, blockDuration: number, name: string) {
    this.calls++;
    if (this.failing) throw new Error('Command timed out');
    const n = (this.hits.get(`${key}:${name}`) ?? 0) + 1;
    this.hits.set(`${key}:${name}`, n);
    const blocked = n > limit;
    return { totalHits: n, timeToExpire: ttl / 1000, isBlocked: blocked, timeToBlockExpire: blocked ? blockDuration / 1000 : 0 };
  }
}

describe('SharedRateLimiter (counts in Redis, failing open to memory)', () => {
  const MINUTE = 60_000;
  let storage: FakeStorage;
  let ready: boolean;
  let events: string[];
  const make = () =>
    new SharedRateLimiter(storage, new RateLimitStore(), () => ready, {
      down: () => events.push('down'),
      up: () => events.push('up'),
      fallback: () => events.push('fallback'),
    });

  beforeEach(() => {
    storage = new FakeStorage();
    ready = true;
    events = [];
  });

  it('answers from the shared store while it answers', async () => {
    const limiter = make();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await limiter.hit('k', 'login', 2, MINUTE, i));
    expect(answers).toEqual([
      { allowed: true, remaining: 1, resetSeconds: 60 },
      { allowed: true, remaining: 0, resetSeconds: 60 },
      { allowed: false, retryAfterSeconds: 60 },
    ]);
    expect(events).toEqual([]);
    expect(limiter.shared).toBe(true);
  });

  it('a failing store: counted in memory, reported once, not asked again for the retry time, then recovered', async () => {
    const limiter = make();
    await limiter.hit('k', 'login', 2, MINUTE, 0);
    storage.failing = true;
    const during = [];
    for (let t = 1; t <= 4; t++) during.push(await limiter.hit('k', 'login', 2, MINUTE, t));
    // memory counts alone from the outage on: two allowed, then refused
    expect(during.map((d) => d.allowed)).toEqual([true, true, false, false]);
    expect(events).toEqual(['down', 'fallback', 'fallback', 'fallback', 'fallback']);
    expect(storage.calls).toBe(2); // the first failure, then not asked within the retry time
    expect(limiter.shared).toBe(false);

    storage.failing = false;
    const after = await limiter.hit('fresh', 'login', 2, MINUTE, 1000 + 1);
    expect(after).toEqual({ allowed: true, remaining: 1, resetSeconds: 60 });
    expect(events.slice(-1)).toEqual(['up']);
    expect(limiter.shared).toBe(true);
  });

  it('a connection that is not ready is not asked, and is an outage only once it had been up', async () => {
    ready = false;
    const limiter = make();
    await limiter.hit('k', 'voucher', 5, MINUTE, 0); // still connecting at start: no outage yet
    expect(events).toEqual(['fallback']);
    ready = true;
    await limiter.hit('k', 'voucher', 5, MINUTE, 1);
    ready = false;
    await limiter.hit('k', 'voucher', 5, MINUTE, 2);
    await limiter.hit('k', 'voucher', 5, MINUTE, 3);
    expect(events).toEqual(['fallback', 'down', 'fallback', 'fallback']);
    expect(storage.calls).toBe(1);
  });
});
