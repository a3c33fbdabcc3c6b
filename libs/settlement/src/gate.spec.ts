import { Gate } from './gate';

const tick = () => new Promise((r) => setImmediate(r));

describe('Gate', () => {
  it('runs at most `limit` at once, the rest in arrival order, and passes results and errors through', async () => {
    const gate = new Gate(2);
    const release: (() => void)[] = [];
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const calls = [0, 1, 2, 3, 4].map((i) => gate.run(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await new Promise<void>((r) => release.push(r));
      running--;
      if (i === 3) throw new Error('refused');
      return i * 10;
    }));
    await tick();
    expect(started).toEqual([0, 1]);
    release.shift()!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    while (started.length < 5 || release.length) {
      release.shift()?.();
      await tick();
    }
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([0, 10, 20, 'refused', 40]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    // every slot given back: two more start at once
    let both = 0;
    await Promise.all([gate.run(async () => { both++; await tick(); }), gate.run(async () => { both++; await tick(); })]);
    expect(both).toBe(2);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new Gate(0)).toThrow(RangeError);
    expect(() => new Gate(1.5)).toThrow(RangeError);
  });
});
