/**
 * How long the supervisor waits before replacing an API process that exited on its own. A process that ran for
 * `stableMs` or longer crashed for a reason of its moment (a bug on one request, an OOM): it is replaced at once.
 * One that died sooner probably dies at start (a bad deploy, a port taken, the database refusing): each such quick
 * exit in a row doubles the wait, from `baseMs` up to `maxMs`, so a crash loop costs a fork every `maxMs` instead
 * of spinning a core. A process that lives past `stableMs` ends the streak.
 */
export class RestartBackoff {
  private quickExits = 0;

  constructor(
    private readonly opts: { baseMs: number; maxMs: number; stableMs: number } = { baseMs: 500, maxMs: 30_000, stableMs: 10_000 },
  ) {}

  /** The wait before replacing a process that exited after `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.opts.stableMs) {
      this.quickExits = 0;
      return 0;
    }
    this.quickExits++;
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(this.quickExits - 1, 30));
  }

  /** Quick exits in a row so far (logged with each replacement). */
  get streak(): number {
    return this.quickExits;
  }
}
