import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { Gauge } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { registry } from '../http/metrics';

let redisUpGauge: Gauge | undefined;
/** Made with the first connection, so that /metrics has no `huanxin_redis_up` at all without REDIS_URL. */
function redisUp(): Gauge {
  redisUpGauge ??= new Gauge({
    name: 'huanxin_redis_up',
    help: "1 while this API process's connection to REDIS_URL is ready, else 0 (absent without REDIS_URL)",
    registers: [registry],
  });
  return redisUpGauge;
}

/**
 * The API process's connections to REDIS_URL, or none without it. Built so that a Redis that is down costs a request
 * nothing: no offline queue (a command while disconnected fails at once instead of waiting for a reconnect), short
 * connect and command timeouts (REDIS_CONNECT_TIMEOUT_MS, REDIS_COMMAND_TIMEOUT_MS), and reconnecting in the
 * background for ever (at most a second apart). What uses them decides what a failure means: the rate limit counts in
 * memory (SharedRateLimiter), revocation notices fall back to the database poll (RevocationRelay).
 */
@Injectable()
export class RedisConnections implements OnModuleDestroy {
  private readonly logger = new Logger('Redis');
  /** commands: rate-limit counts, publishing revocations */
  readonly client: Redis | undefined;
  /** subscribed to revocation notices (a connection in subscriber mode can do nothing else) */
  readonly subscriber: Redis | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (!config.redisUrl) return;
    const options = {
      connectTimeout: config.redisConnectTimeoutMs,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
    };
    this.client = new Redis(config.redisUrl, {
      ...options,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      commandTimeout: config.redisCommandTimeoutMs,
      connectionName: `huanxin-api-${process.pid}`,
    });
    // connected by its first command, the subscription, which waits in the offline queue until the connection is
    // ready (a Redis down at start is subscribed to when it comes up; ioredis subscribes again after a reconnect).
    // Sent any earlier, it would put the connection in subscriber mode under ioredis's own ready check.
    this.subscriber = new Redis(config.redisUrl, { ...options, lazyConnect: true, maxRetriesPerRequest: null });
    const up = redisUp();
    up.set(0);
    this.client.on('ready', () => up.set(1));
    this.client.on('close', () => up.set(0));
    // every failure is also a failed command or a closed connection, which their users report once per outage;
    // without a listener ioredis would print each reconnect attempt's error to the console
    for (const c of [this.client, this.subscriber]) c.on('error', (err: Error) => this.logger.debug(`Redis: ${err.message}`));
    let connected = false;
    this.client.once('ready', () => (connected = true));
    this.client.once('error', (err: Error) => {
      if (!connected) this.logger.warn(`Redis cannot be reached at start (${err.message}): rate limits are counted per process until it answers`);
    });
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
    this.subscriber?.disconnect();
  }
}
