import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RevokedSessionsService } from '@huanxin/auth';
import { safeError } from '@huanxin/core';
import { RedisConnections } from './redis-connections';

/** The Redis channel of ended sign-ins: each message is one refresh-token family id (not a secret: a random id). */
export const REVOKED_SESSIONS_CHANNEL = 'huanxin:revoked-sessions';
const FAMILY_ID = /^[0-9a-f-]{1,64}$/i;

/**
 * With REDIS_URL, a sign-in ended on one API process (logout, refresh-token reuse) stops its access tokens on every
 * other process at once, instead of at their next database poll (TOKEN_REVOCATION_POLL_MS). Best effort by design:
 * a notice lost to a Redis outage is still found by the poll, so Redis failing never lets a revoked token live
 * longer than it would without Redis.
 */
@Injectable()
export class RevocationRelay implements OnModuleInit {
  private readonly logger = new Logger(RevocationRelay.name);

  constructor(private readonly redis: RedisConnections, private readonly revoked: RevokedSessionsService) {}

  onModuleInit(): void {
    const { client, subscriber } = this.redis;
    if (!client || !subscriber) return;
    subscriber.subscribe(REVOKED_SESSIONS_CHANNEL).catch((err: unknown) => this.logger.warn({ err: safeError(err) }, 'could not subscribe to revocation notices (the poll still finds them)'));
    subscriber.on('message', (channel: string, familyId: string) => {
      if (channel === REVOKED_SESSIONS_CHANNEL && FAMILY_ID.test(familyId)) this.revoked.remember(familyId);
    });
    this.revoked.onRevoked((familyId) => {
      client.publish(REVOKED_SESSIONS_CHANNEL, familyId).catch((err: unknown) => this.logger.debug({ err: safeError(err) }, 'revocation notice not sent (the poll finds it)'));
    });
  }
}
