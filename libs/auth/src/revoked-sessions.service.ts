import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { safeError } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';

/**
 * Which sign-ins have ended, so their access tokens stop within seconds on every API process, not when
 * they expire. A sign-in is a refresh-token family (the `fam` claim of its access tokens); logout and
 * refresh-token reuse revoke the family in `refresh_tokens`. Each process polls the families revoked
 * since its last look (TOKEN_REVOCATION_POLL_MS, one indexed query) and keeps them for one access-token
 * lifetime, after which the tokens are dead anyway. The process that revoked knows at once, and with REDIS_URL
 * every other process too (the API's RevocationRelay publishes it); the poll stays, for what a Redis outage loses.
 */
@Injectable()
export class RevokedSessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevokedSessionsService.name);
  /** family id → when its access tokens are expired anyway (ms since epoch) */
  private readonly revoked = new Map<string, number>();
  private since: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly listeners: ((familyId: string) => void)[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
  ) {}

  onModuleInit(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.config.tokenRevocationPollMs);
    this.timer.unref();
  }

  /** One poll at a time: a slow database never piles them up. */
  private tick(): void {
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }

  isRevoked(familyId: string): boolean {
    const until = this.revoked.get(familyId);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.revoked.delete(familyId);
      return false;
    }
    return true;
  }

  /** Called by this process right after it committed a revocation; told to the listeners (the other processes). */
  markRevoked(familyId: string): void {
    this.remember(familyId);
    for (const listener of this.listeners) listener(familyId);
  }

  /** A revocation another process committed and announced (REDIS_URL): known at once, not at the next poll. */
  remember(familyId: string): void {
    this.revoked.set(familyId, Date.now() + this.lifetimeMs());
  }

  /** Told of every revocation this process commits (the API's relay publishes them to the other processes). */
  onRevoked(listener: (familyId: string) => void): void {
    this.listeners.push(listener);
  }

  private lifetimeMs(): number {
    return (this.config.jwtAccessTtlSeconds + 60) * 1000;
  }

  /** One look at families revoked since the last one (with a second's overlap for clock and commit order). */
  async poll(): Promise<void> {
    try {
      const since = this.since ?? new Date(Date.now() - this.lifetimeMs());
      const rows: { family_id: string; at: Date }[] = await this.db.manager.query(
        `SELECT family_id, max(revoked_at) AS at FROM refresh_tokens
          WHERE revoked_at > $1::timestamptz - interval '1 second' GROUP BY family_id`,
        [since],
      );
      let newest = since;
      for (const r of rows) {
        this.revoked.set(r.family_id, new Date(r.at).getTime() + this.lifetimeMs());
        if (r.at > newest) newest = new Date(r.at);
      }
      this.since = newest;
      const now = Date.now();
      for (const [fam, until] of this.revoked) if (until < now) this.revoked.delete(fam);
    } catch (err) {
      // the database is down: nobody can log out either; keep what we know and look again next tick
      this.logger.warn({ err: safeError(err) }, 'could not read revoked sign-ins');
    }
  }
}
