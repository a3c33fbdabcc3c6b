import { RateLimitStore } from './rate-limit';

describe('RateLimitStore (sliding-window counters)', () => {
  const MINUTE = 60_000;

  it('lets exactly `limit` through on a fresh key, then refuses for one window from that moment', () => {
    const store = new RateLimitStore();
    const answers = [0, 1, 2, 3, 4].map((i) => store.hit('k', 3, MINUTE, 1000 + i));
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, false, false]);
    expect(answers[0]).toEqual({ allowed: true, remaining: 2, resetSeconds: 60 });
    expect(answers[3]).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(store.hit('k', 3, MINUTE, 1003 + MINUTE - 1).allowed).toBe(false); // still blocked
    expect(store.hit('k', 3, MINUTE, 1003 + MINUTE)).toMatchObject({ allowed: true, remaining: 2 }); // afresh
  });

  it('keys are independent', () => {
    const store = new RateLimitStore();
    expect(store.hit('a', 1, MINUTE, 0).allowed).toBe(true);
    expect(store.hit('a', 1, MINUTE, 1).allowed).toBe(false);
    expect(store.hit('b', 1, MINUTE, 2).allowed).toBe(true);
  });

  it('weights the previous window by how much of it is still inside the sliding window', () => {
    const store = new RateLimitStore();
    for (let i = 0; i < 10; i++) expect(store.hit('k', 10, MINUTE, i).allowed).toBe(true);
    // a quarter into the next window, three quarters of the previous 10 still count: 7 + this one ≤ 10
    const t = MINUTE + MINUTE / 4;
    expect(store.hit('k', 10, MINUTE, t)).toMatchObject({ allowed: true, remaining: 2 });
    expect(store.hit('k', 10, MINUTE, t).allowed).toBe(true);
    expect(store.hit('k', 10, MINUTE, t).allowed).toBe(true);
    expect(store.hit('k', 10, MINUTE, t).allowed).toBe(false);
  });

  it('a window left idle for longer than two windows starts from nothing', () => {
    const store = new RateLimitStore();
    for (let i = 0; i < 5; i++) store.hit('k', 5, MINUTE, i);
    expect(store.hit('k', 5, MINUTE, 2 * MINUTE + 1)).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('sweeps keys with nothing left to remember, never a blocked one', () => {
    const store = new RateLimitStore();
    store.hit('idle', 5, MINUTE, 0);
    store.hit('blocked', 1, MINUTE, 2 * MINUTE - 2);
    store.hit('blocked', 1, MINUTE, 2 * MINUTE - 1); // refused: blocked until 3 minutes - 1 ms
    expect(store.hit('blocked', 1, MINUTE, 2 * MINUTE).allowed).toBe(false);
    store.sweep(MINUTE, 2 * MINUTE + 10);
    expect(store.size).toBe(1);
  });
});
