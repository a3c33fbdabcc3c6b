import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { DataSource, DataSourceOptions, EntityManager } from 'typeorm';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;
import { copyOut } from './copy-out';
import { dataSourceOptions } from './data-source';
import { isDatabaseUnavailable, pgCode } from './pg-errors';
import { TransactionService } from './transaction.service';

/** DATABASE_READ_*: a streaming read replica (a hot standby) of the primary. */
export interface ReadReplicaOptions {
  url: string;
  poolSize: number;
  /** how long a connection to the replica may take before it counts as down */
  connectTimeoutMs: number;
  /** how far behind the primary it may be before its reads go to the primary */
  maxLagMs: number;
  /** how often its reachability and lag are checked (never per request) */
  checkIntervalMs: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

export const READ_REPLICA_OPTIONS = Symbol('READ_REPLICA_OPTIONS');

/**
 * `off`: no replica configured; `unknown`: not checked yet; `up`: reads go to it; `lagging`: behind by more than
 * the limit; `down`: unreachable, not a standby, or a read on it just failed to connect. Every state but `up`
 * sends its reads to the primary.
 */
export type ReplicaState = 'off' | 'unknown' | 'up' | 'lagging' | 'down';

/** What /metrics shows (apps/api/src/http/metrics.ts reads it at each scrape); one per process, like the pools. */
export const readReplicaStats = {
  state: 'off' as ReplicaState,
  /** the last lag measured, in ms (see ReadDatabase.check) */
  lagMs: 0,
  /** reads answered by the replica / by the primary in its stead, by why */
  reads: { replica: 0, primary_lagging: 0, primary_down: 0, primary_unknown: 0, primary_failed_over: 0 },
};

/** `X/Y` (pg_lsn as text) → a number that orders like the LSN. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (!m) throw new RangeError(`not an LSN: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

/** At most this many WAL positions are remembered while the replica is behind (the oldest always kept). */
const MAX_SAMPLES = 1000;

/**
 * An error of a read on the replica after which the same read is worth asking the primary: the replica cannot be
 * reached (refused, dropped, connect timeout, starting or shutting down), or it cancelled the read for a conflict
 * with the WAL it replays (40001 / 40P01 on a hot standby). Not the statement timeout (57014): a read that heavy
 * would load the primary for as long again — that one is answered 503 like any other.
 */
function worthThePrimary(err: unknown): boolean {
  const code = pgCode(err);
  if (code === '57014') return false;
  return code === '40001' || code === '40P01' || isDatabaseUnavailable(err);
}

/**
 * The read replica (DATABASE_READ_URL), for the reads that may be a few seconds old: reports and summaries, the CSV
 * export, public availability and the public serial check. Everything that must see its own writes keeps reading
 * the primary (TransactionService). Without DATABASE_READ_URL, `run` and `copyOut` are the primary's.
 *
 * A second TypeORM DataSource of its own rather than TypeORM's `replication` option: that one fails the boot when a
 * replica is down, sends raw `query()` to the primary anyway, and knows nothing of lag.
 *
 * **When the replica lags or is down, its reads go to the primary** (not 503): they are few and bounded (reports
 * and exports by auditors and offices; two public reads the primary answered before there was a replica), so the
 * primary can carry them for a while, and a report a little slower beats a report refused. A state change is
 * logged (one line) and shown on /metrics (`huanxin_read_replica_state`, `_lag_ms`, `_reads_total`).
 *
 * - **Checked every DATABASE_READ_CHECK_INTERVAL_MS**, not per request, by each API process: unreachable (connect
 *   bounded by DATABASE_READ_CONNECT_TIMEOUT_MS), not a standby (a promoted replica no longer follows the
 *   primary), or behind by more than DATABASE_READ_MAX_LAG_MS → the primary answers until a check says otherwise.
 * - **Between checks**, a read on the replica that cannot connect (or is cancelled by a recovery conflict) is asked
 *   of the primary at once, and the replica counts as down until the next check: no request fails because the
 *   replica went away. A CSV export falls over the same way before its first byte; once bytes have left, a broken
 *   replica cuts the download like a broken primary does (claims-export.service.ts).
 * - **Lag**, measured without writing anything and without trusting `now() - pg_last_xact_replay_timestamp()`
 *   (which grows on an idle primary that has nothing to send): each check notes the primary's WAL position
 *   (`pg_current_wal_lsn()`) with the time it saw it, and asks the replica how far it has replayed
 *   (`pg_last_wal_replay_lsn()`). The lag is the age of the oldest noted position not yet replayed — what the
 *   primary had that long ago, the replica still lacks — and 0 when everything noted is replayed (an idle primary
 *   writes nothing, so an idle pair reads 0). Node's clock only, to the check interval's resolution.
 */
@Injectable()
export class ReadDatabase implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('ReadReplica');
  private replica?: DataSource;
  private state: ReplicaState;
  private samples: { at: number; lsn: bigint }[] = [];
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private closed = false;

  constructor(
    private readonly primary: TransactionService,
    @Optional() @Inject(READ_REPLICA_OPTIONS) private readonly opts?: ReadReplicaOptions | null,
  ) {
    this.state = opts ? 'unknown' : 'off';
    readReplicaStats.state = this.state;
  }

  /** The first check is awaited (bounded by the connect timeout), so a process starts with its reads routed. */
  async onModuleInit(): Promise<void> {
    if (!this.opts) return;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.checking;
    if (this.replica?.isInitialized) await this.replica.destroy().catch(() => undefined);
  }

  /** Where the reads go now, and why. */
  get status(): { state: ReplicaState; lagMs: number } {
    return { state: this.state, lagMs: readReplicaStats.lagMs };
  }

  /**
   * Runs a read on the replica when it is up, else on the primary; a read the replica fails to answer for want of
   * a connection runs again on the primary (so `work` must only read). `m` is an EntityManager outside any
   * transaction, as TransactionService.manager is.
   */
  async run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    const replica = this.usable();
    if (!replica) return work(this.primary.manager);
    try {
      const result = await work(replica.manager);
      readReplicaStats.reads.replica++;
      return result;
    } catch (err) {
      if (!worthThePrimary(err)) throw err;
      this.failedOver(err);
      return work(this.primary.manager);
    }
  }

  /** TransactionService.copyOut on the replica's pool when it is up (same deadline), else on the primary's. */
  async copyOut(sql: string, timeoutMs?: number): Promise<Readable> {
    const replica = this.usable();
    if (!replica) return this.primary.copyOut(sql, timeoutMs);
    try {
      const pool = (replica.driver as unknown as { master: Pool }).master;
      const timeout = timeoutMs ?? this.opts?.statementTimeoutMs;
      const stream = await copyOut(pool, sql, timeout ? timeout + 1000 : undefined, timeoutMs);
      readReplicaStats.reads.replica++;
      return stream;
    } catch (err) {
      if (!worthThePrimary(err)) throw err;
      this.failedOver(err);
      return this.primary.copyOut(sql, timeoutMs);
    }
  }

  private usable(): DataSource | undefined {
    if (this.state === 'up' && this.replica?.isInitialized) return this.replica;
    if (this.state !== 'off') readReplicaStats.reads[`primary_${this.state === 'lagging' ? 'lagging' : this.state === 'unknown' ? 'unknown' : 'down'}`]++;
    return undefined;
  }

  private failedOver(err: unknown): void {
    readReplicaStats.reads.primary_failed_over++;
    this.setState('down', `a read failed on it (${pgCode(err) ?? (err as Error)?.name ?? 'error'})`);
  }

  /** One check at a time: a slow one (a replica that does not answer) is not stacked under the next. */
  check(): Promise<void> {
    if (!this.checking) {
      this.checking = this.checkOnce().finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const opts = this.opts;
    if (!opts || this.closed) return;
    // the primary's WAL position first, then the replica's: what the replica lacks is then at most this old
    try {
      const [row] = await this.primary.manager.query(`SELECT pg_current_wal_lsn()::text AS lsn`);
      this.note(performance.now(), parseLsn(row.lsn));
    } catch {
      // the primary cannot be asked: no new position; the replica is judged on what was noted before
    }
    let replayed: bigint;
    try {
      const replica = await this.connected(opts);
      const [row] = await replica.query(`SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed`);
      if (!row.standby || !row.replayed) {
        this.setState('down', 'it is not a standby (promoted, or not a replica): it no longer follows the primary');
        return;
      }
      replayed = parseLsn(row.replayed);
    } catch (err) {
      this.setState('down', `it cannot be reached (${pgCode(err) ?? (err as Error)?.message ?? 'error'})`);
      return;
    }
    while (this.samples.length && this.samples[0].lsn <= replayed) this.samples.shift();
    const lagMs = this.samples.length ? Math.round(performance.now() - this.samples[0].at) : 0;
    readReplicaStats.lagMs = lagMs;
    if (lagMs > opts.maxLagMs) this.setState('lagging', `it is ${lagMs} ms behind (DATABASE_READ_MAX_LAG_MS ${opts.maxLagMs})`);
    else this.setState('up', `${lagMs} ms behind`);
  }

  private note(at: number, lsn: bigint): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.lsn >= lsn) return; // nothing new written since
    this.samples.push({ at, lsn });
    // keep the oldest (it is what the lag is measured from) and thin out the rest
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(1, 1);
  }

  /** The replica's DataSource, made on first use and made again after a failed start (the replica was down at boot). */
  private async connected(opts: ReadReplicaOptions): Promise<DataSource> {
    if (this.replica?.isInitialized) return this.replica;
    const ds = new DataSource({
      ...(dataSourceOptions({
        url: opts.url, poolSize: opts.poolSize, statementTimeoutMs: opts.statementTimeoutMs, connectTimeoutMs: opts.connectTimeoutMs,
        applicationName: opts.applicationName ?? 'huanxin-read',
      }) as PostgresConnectionOptions),
      migrations: [],
      entities: [],
      // a hot standby is read-only: nothing to install
      installExtensions: false,
    });
    await ds.initialize();
    this.replica = ds;
    return ds;
  }

  private setState(next: ReplicaState, why: string): void {
    readReplicaStats.state = next;
    if (next === this.state) return;
    const line = `read replica ${this.state} → ${next}: ${why}; ${next === 'up' ? 'reports and public reads go to the replica' : 'they go to the primary'}`;
    if (next === 'up') this.log.log(line);
    else this.log.warn(line);
    this.state = next;
  }
}
