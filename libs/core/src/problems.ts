import { SetMetadata } from '@nestjs/common';
import type { ErrorCode } from './errors';

export const PROBLEMS_METADATA = 'huanxin:problems';

/**
 * Codes any route may answer without declaring them: the machinery every request passes through throws them
 * (body reader and request guard, validation pipes, authentication and roles, rate limits, idempotency),
 * not the route's own service.
 */
export const COMMON_PROBLEMS: readonly ErrorCode[] = [
  'validation_failed',
  'bad_request',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'idempotency_key_required',
  'idempotency_key_reused',
  'idempotency_in_progress',
];

/**
 * The problem codes a route answers besides COMMON_PROBLEMS, as route metadata: the one list the OpenAPI
 * document is built from (apps/api's `@ApiProblems` wraps this) and the API's problem filter checks every
 * 4xx answer against.
 */
export const DeclareProblems = (...codes: ErrorCode[]) => SetMetadata(PROBLEMS_METADATA, codes);

/** What a route handler declares (COMMON_PROBLEMS included); nothing declared is COMMON_PROBLEMS alone. */
export function declaredProblems(handler: object): ReadonlySet<string> {
  const own = (Reflect.getMetadata(PROBLEMS_METADATA, handler) as ErrorCode[] | undefined) ?? [];
  return new Set<string>([...COMMON_PROBLEMS, ...own]);
}
