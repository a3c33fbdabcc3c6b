import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff (replacing crashed API processes)', () => {
  const opts = { baseMs: 500, maxMs: 30_000, stableMs: 10_000 };

  it('replaces a process that had been running a while at once', () => {
    const b = new RestartBackoff(opts);
    expect([b.next(10_000), b.next(3_600_000)]).toEqual([0, 0]);
    expect(b.streak).toBe(0);
  });

  it('doubles the wait for each quick exit in a row, up to the ceiling', () => {
    const b = new RestartBackoff(opts);
    const waits = Array.from({ length: 9 }, () => b.next(50));
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.streak).toBe(9);
  });

  it('a process that lived past the stable time ends the streak', () => {
    const b = new RestartBackoff(opts);
    b.next(1);
    b.next(1);
    expect(b.next(1)).toBe(2000);
    expect(b.next(opts.stableMs)).toBe(0);
    expect(b.next(1)).toBe(500);
  });

  it('never overflows on a very long crash loop', () => {
    const b = new RestartBackoff(opts);
    for (let i = 0; i < 2000; i++) b.next(0);
    expect(b.next(0)).toBe(30_000);
  });
});
