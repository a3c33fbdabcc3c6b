import cluster, { Worker } from 'node:cluster';
import { RestartBackoff } from './restart-backoff';

export interface ApiClusterOptions {
  /** how many API processes share the port (API_PROCESSES) */
  processes: number;
  /** SHUTDOWN_GRACE_MS: a worker's own grace period; the primary waits that and a margin, then kills */
  graceMs: number;
  /** the script each API process runs (it must start the API when `cluster.isWorker`) */
  exec: string;
  /** added to the primary's environment for every API process (MIGRATE_ON_START=false, …) */
  env: Record<string, string>;
  log: (msg: string) => void;
}

/** Beyond a worker's own grace period, what the primary allows for Nest's shutdown hooks before SIGKILL. */
const STOP_MARGIN_MS = 5_000;

/**
 * The primary of `API_PROCESSES` API processes on one port (Node's cluster module: the primary accepts and hands
 * connections to workers round-robin). It serves nothing itself and holds no database connection: it forks,
 * replaces a process that exits (RestartBackoff: at once after a crash, with doubling waits in a crash loop), and
 * on stop() asks each to stop gracefully (SIGTERM: in-flight requests finish; stopGracefully), killing any that
 * outlive the grace period. Migrations and the demo seed are the caller's, before start() and after it: once.
 */
export class ApiCluster {
  private readonly backoff = new RestartBackoff();
  private readonly started = new Map<number, number>();
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();
  private stopping = false;
  /** until every first process listens: an exit then fails the start instead of being replaced */
  private starting = true;

  constructor(private readonly opts: ApiClusterOptions) {
    cluster.setupPrimary({ exec: opts.exec, args: [] });
  }

  /** Forks every process; resolves once all listen. A process that exits before it listens fails the start. */
  async start(): Promise<void> {
    const first = Array.from({ length: this.opts.processes }, () => this.fork());
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    await Promise.all(
      first.map(
        (w) =>
          new Promise<void>((ok, fail) => {
            w.once('listening', () => ok());
            w.once('exit', (code, signal) => {
              if (this.starting && !this.stopping) fail(new Error(`API process ${w.id} (pid ${w.process.pid}) exited (${signal ?? code}) before it listened`));
            });
          }),
      ),
    );
    this.starting = false;
    this.opts.log(`${this.opts.processes} API processes listening (pids ${this.pids().join(', ')})`);
  }

  pids(): number[] {
    return Object.values(cluster.workers ?? {}).flatMap((w) => (w?.process.pid ? [w.process.pid] : []));
  }

  /** SIGTERM to every process; waits for them (grace period + margin), SIGKILLs what is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.pendingRestarts) clearTimeout(t);
    this.pendingRestarts.clear();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    this.opts.log(`stopping ${workers.length} API processes (in-flight requests finish, at most ${this.opts.graceMs} ms)`);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((done) => {
            if (w.isDead()) return done();
            const kill = setTimeout(() => {
              this.opts.log(`API process ${w.id} (pid ${w.process.pid}) did not stop in time: SIGKILL`);
              w.process.kill('SIGKILL');
            }, this.opts.graceMs + STOP_MARGIN_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  private fork(): Worker {
    const w = cluster.fork(this.opts.env);
    this.started.set(w.id, Date.now());
    w.once('listening', () => this.opts.log(`API process ${w.id} (pid ${w.process.pid}) listening`));
    return w;
  }

  private exited(w: Worker, code: number | null, signal: string | null): void {
    const uptimeMs = Date.now() - (this.started.get(w.id) ?? Date.now());
    this.started.delete(w.id);
    if (this.stopping || this.starting) return;
    const delay = this.backoff.next(uptimeMs);
    this.opts.log(
      `API process ${w.id} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}) after ${Math.round(uptimeMs / 1000)} s; ` +
        (delay ? `replacing it in ${delay} ms (${this.backoff.streak} quick exits in a row)` : 'replacing it'),
    );
    const t = setTimeout(() => {
      this.pendingRestarts.delete(t);
      if (!this.stopping) this.fork();
    }, delay);
    this.pendingRestarts.add(t);
  }
}
