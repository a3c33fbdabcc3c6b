import { ExecutionContext, SetMetadata } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { AppConfig } from '@huanxin/config';

export type RateLimitBucket = 'login' | 'register' | 'voucher';
const RATE_LIMIT = 'huanxin:rate-limit';

/** Puts a route under one of the tighter, configurable limits (RATE_LIMIT_LOGIN, …). */
export const RateLimit = (bucket: RateLimitBucket) => SetMetadata(RATE_LIMIT, bucket);

function bucketOf(ctx: ExecutionContext): RateLimitBucket | undefined {
  return Reflect.getMetadata(RATE_LIMIT, ctx.getHandler());
}

/** One throttler a bucket, each applying only to its routes; `default` covers everything else. */
export function throttlers(config: AppConfig): ThrottlerOptions[] {
  const ttl = config.rateLimitWindowMs;
  const only = (b: RateLimitBucket) => (ctx: ExecutionContext) => bucketOf(ctx) !== b;
  return [
    { name: 'default', ttl, limit: config.rateLimitDefault, skipIf: (ctx) => bucketOf(ctx) !== undefined },
    { name: 'login', ttl, limit: config.rateLimitLogin, skipIf: only('login') },
    { name: 'register', ttl, limit: config.rateLimitRegister, skipIf: only('register') },
    { name: 'voucher', ttl, limit: config.rateLimitVoucher, skipIf: only('voucher') },
  ];
}
