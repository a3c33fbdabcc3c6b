import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleDestroy, SetMetadata } from '@nestjs/common';
import { normalizeIp, ThrottlerException } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Request, Response } from 'express';
import { Counter } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { safeError } from '@huanxin/core';
import { RedisConnections } from '../shared-state/redis-connections';
import { SharedRateLimiter } from '../shared-state/shared-rate-limiter';
import { registry } from './metrics';

const fallbackCounts = new Counter({
  name: 'huanxin_rate_limit_local_fallback_total',
  help: 'Requests this process counted in its own memory because REDIS_URL is set but Redis could not answer',
  registers: [registry],
});
const redisOutages = new Counter({
  name: 'huanxin_rate_limit_redis_outages_total',
  help: 'Times this process lost Redis for rate limits (one per outage, however long)',
  registers: [registry],
});
/** Keys of the shared counts in Redis, apart from anything else kept there. */
const SHARED_KEY_PREFIX = 'huanxin:rl:';

export type RateLimitBucket = 'login' | 'register' | 'voucher';
const RATE_LIMIT = 'huanxin:rate-limit';

/** Puts a route under one of the tighter, configurable limits (RATE_LIMIT_LOGIN, …). */
export const RateLimit = (bucket: RateLimitBucket) => SetMetadata(RATE_LIMIT, bucket);

/** What one route is limited by: worked out once per route, not per request. */
interface RoutePlan {
  /** `default`, `login`, … */
  name: string;
  limit: number;
  /** per route and client: `AuthController.login:` */
  keyPrefix: string;
  headers: { limit: string; remaining: string; reset: string; retryAfter: string };
  limitText: string;
}

interface Window {
  /** start of the current fixed window (ms) */
  start: number;
  curr: number;
  prev: number;
  /** refused until then (ms); 0 when not blocked */
  blockedUntil: number;
}

export type RateDecision = { allowed: true; remaining: number; resetSeconds: number } | { allowed: false; retryAfterSeconds: number };

/**
 * Sliding-window counters in memory: per key, the count of the current fixed window and of the one before,
 * the earlier one weighted by how much of it still lies inside the sliding window (the estimate Cloudflare
 * and nginx use). Constant time and one small record per key and client, however high the limit, where
 * @nestjs/throttler's storage keeps (and filters, on every request) an array of every hit's expiry.
 * Past the limit a key is refused for one window from that moment (the throttler's block), then starts afresh.
 */
export class RateLimitStore {
  private readonly windows = new Map<string, Window>();

  hit(key: string, limit: number, windowMs: number, now: number): RateDecision {
    let w = this.windows.get(key);
    if (!w) {
      w = { start: now, curr: 0, prev: 0, blockedUntil: 0 };
      this.windows.set(key, w);
    } else if (w.blockedUntil) {
      if (w.blockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((w.blockedUntil - now) / 1000) };
      w.blockedUntil = 0;
      w.start = now;
      w.curr = 0;
      w.prev = 0;
    }
    const elapsed = now - w.start;
    if (elapsed >= windowMs) {
      const windows = Math.floor(elapsed / windowMs);
      w.prev = windows === 1 ? w.curr : 0;
      w.curr = 0;
      w.start += windows * windowMs;
    }
    const inWindow = now - w.start;
    const estimate = Math.floor((w.prev * (windowMs - inWindow)) / windowMs) + w.curr + 1;
    if (estimate > limit) {
      w.blockedUntil = now + windowMs;
      return { allowed: false, retryAfterSeconds: Math.ceil(windowMs / 1000) };
    }
    w.curr++;
    return { allowed: true, remaining: limit - estimate, resetSeconds: Math.ceil((windowMs - inWindow) / 1000) };
  }

  /** Drops keys with nothing left to remember (called on a timer). */
  sweep(windowMs: number, now: number): void {
    for (const [key, w] of this.windows) {
      if (w.blockedUntil > now) continue;
      if (now - w.start >= 2 * windowMs || (w.blockedUntil && now - w.blockedUntil >= windowMs)) this.windows.delete(key);
    }
  }

  get size(): number {
    return this.windows.size;
  }
}

/**
 * The API's rate limits as one global guard, first of the guards so floods never reach argon2: one limit a
 * bucket (login, register, voucher; RATE_LIMIT_*), and RATE_LIMIT_DEFAULT for every other route, counted per
 * route and client address over RATE_LIMIT_WINDOW_MS. Answers as @nestjs/throttler did (its exception, so
 * 429 rate_limited; `X-RateLimit-Limit/-Remaining/-Reset`, `Retry-After` when refused, suffixed with the
 * bucket's name for the named buckets), at a fraction of its per-request cost: the route's plan is looked
 * up once, keys are plain strings (no hashing), and the store allocates nothing per request.
 *
 * Without REDIS_URL each process counts alone (N processes or replicas allow N times a limit). With it, every
 * process counts in Redis through @nest-lab/throttler-storage-redis (SharedRateLimiter), and falls back to its own
 * memory while Redis cannot answer (fail open: the API keeps answering; logged once an outage, counted on /metrics).
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnModuleDestroy {
  readonly store = new RateLimitStore();
  /** per controller class, then handler (a method inherited by two controllers is two routes) */
  private readonly plans = new WeakMap<object, WeakMap<object, RoutePlan>>();
  private readonly windowMs: number;
  private readonly limits: Record<'default' | RateLimitBucket, number>;
  private readonly timer: NodeJS.Timeout;
  private readonly logger = new Logger('RateLimit');
  /** counts shared through Redis, when REDIS_URL is set */
  readonly shared: SharedRateLimiter | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, redis: RedisConnections) {
    const client = redis.client;
    if (client) {
      this.shared = new SharedRateLimiter(new ThrottlerStorageRedisService(client), this.store, () => client.status === 'ready', {
        down: (err) => {
          redisOutages.inc();
          this.logger.warn({ err: safeError(err) }, 'Redis cannot be reached: rate limits are counted per process (fail open) until it answers');
        },
        up: () => this.logger.warn('Redis answers again: rate limits are shared again'),
        fallback: () => fallbackCounts.inc(),
      });
    }
    this.windowMs = config.rateLimitWindowMs;
    this.limits = {
      default: config.rateLimitDefault,
      login: config.rateLimitLogin,
      register: config.rateLimitRegister,
      voucher: config.rateLimitVoucher,
    };
    this.timer = setInterval(() => this.store.sweep(this.windowMs, Date.now()), Math.max(this.windowMs, 10_000));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.plans.get(ctx.getClass())?.get(ctx.getHandler()) ?? this.plan(ctx);
    const http = ctx.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const ip = req.ip ?? '';
    const key = plan.keyPrefix + (ip.includes(':') ? normalizeIp(ip) : ip);
    if (this.shared) {
      return this.shared.hit(SHARED_KEY_PREFIX + key, plan.name, plan.limit, this.windowMs, Date.now()).then((d) => this.answer(plan, res, d));
    }
    return this.answer(plan, res, this.store.hit(key, plan.limit, this.windowMs, Date.now()));
  }

  private answer(plan: RoutePlan, res: Response, decision: RateDecision): boolean {
    if (!decision.allowed) {
      res.setHeader(plan.headers.retryAfter, String(decision.retryAfterSeconds));
      throw new ThrottlerException();
    }
    res.setHeader(plan.headers.limit, plan.limitText);
    res.setHeader(plan.headers.remaining, String(decision.remaining));
    res.setHeader(plan.headers.reset, String(decision.resetSeconds));
    return true;
  }

  private plan(ctx: ExecutionContext): RoutePlan {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    const bucket: RateLimitBucket | undefined = Reflect.getMetadata(RATE_LIMIT, handler);
    const name = bucket ?? 'default';
    const suffix = name === 'default' ? '' : `-${name}`;
    const limit = this.limits[name];
    const plan: RoutePlan = {
      name,
      limit,
      limitText: String(limit),
      keyPrefix: `${cls.name}.${handler.name}:${name}:`,
      headers: {
        limit: `X-RateLimit-Limit${suffix}`,
        remaining: `X-RateLimit-Remaining${suffix}`,
        reset: `X-RateLimit-Reset${suffix}`,
        retryAfter: `Retry-After${suffix}`,
      },
    };
    let byHandler = this.plans.get(cls);
    if (!byHandler) this.plans.set(cls, (byHandler = new WeakMap()));
    byHandler.set(handler, plan);
    return plan;
  }
}
