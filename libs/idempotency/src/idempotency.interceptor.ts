import { CallHandler, createParamDecorator, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { from, Observable, of, throwError } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import canonicalize from 'canonicalize';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, DomainError } from '@huanxin/core';
import type { AnswerInTransaction } from '@huanxin/database';
import { IdempotencyRepository } from './idempotency.repository';

export const IDEMPOTENCY_REQUIRED = 'huanxin:idempotency-required';
export const IDEMPOTENCY_MODE = 'huanxin:idempotency-mode';

/** The route refuses requests without an Idempotency-Key (400 idempotency_key_required). */
export const IdempotencyRequired = () => SetMetadata(IDEMPOTENCY_REQUIRED, true);

/**
 * The answer carries live credentials (log-in, refresh): the route is outside idempotency. A key sent with
 * it is ignored, nothing is stored, and nothing can be replayed — a used refresh token sent again is reuse.
 */
export const NotIdempotent = () => SetMetadata(IDEMPOTENCY_MODE, { skip: true });

/**
 * The answer carries a secret shown once (a new API key): it is remembered WITHOUT these fields, so a
 * replay says what was created (same id) but never shows the secret again.
 */
export const IdempotentWithoutSecrets = (...fields: string[]) => SetMetadata(IDEMPOTENCY_MODE, { omit: fields });

/**
 * The handler answers exactly what its one transaction returns (a trade-in, a voucher): the answer is saved
 * under the key inside that transaction, so it commits with the work or not at all. Without this a crash or
 * an outage between the commit and the separate write would leave work done and its answer lost: the
 * retry would run again and be refused (`voucher_used`) instead of being told what happened.
 */
export const IdempotentInTransaction = (opts: { claimFirst?: boolean; duplicateCodes?: string[] } = {}) =>
  SetMetadata(IDEMPOTENCY_MODE, { inTransaction: true, claimFirst: opts.claimFirst ?? true, duplicateCodes: opts.duplicateCodes ?? [] });

/** The answer each request of an `IdempotentInTransaction` route is to save in its work's transaction. */
const ANSWERS = new WeakMap<object, AnswerInTransaction>();

const answerOf = (_: unknown, ctx: ExecutionContext): AnswerInTransaction | undefined => ANSWERS.get(ctx.switchToHttp().getRequest<object>());

/**
 * The route's parameter for `IdempotentInTransaction`: what its service passes to `TransactionService.run` for
 * the work's transaction, so the answer is saved under the Idempotency-Key before COMMIT (undefined when the
 * request sent no key). A route marked `IdempotentInTransaction` without it would have its answer saved only
 * after the commit: `checkInTransactionRoute` refuses such a route when the API starts.
 */
export const InTransactionAnswer = createParamDecorator(answerOf);

/**
 * Throws when `controller.prototype[name]` is marked `IdempotentInTransaction` but takes no `@InTransactionAnswer()`
 * (its service could not save the answer in the work's transaction). Called for every POST route at start.
 */
export function checkInTransactionRoute(controller: abstract new (...args: never[]) => unknown, name: string): void {
  const handler = (controller.prototype as Record<string, unknown>)[name] as object;
  // as the interceptor reads it (Reflector.getAllAndOverride): the route's own, else its controller's
  const mode = (Reflect.getMetadata(IDEMPOTENCY_MODE, handler) ?? Reflect.getMetadata(IDEMPOTENCY_MODE, controller)) as IdempotencyMode | undefined;
  if (!mode?.inTransaction) return;
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { factory?: unknown }>;
  if (!Object.values(args).some((a) => a.factory === answerOf)) {
    throw new Error(`${controller.name}.${name} is IdempotentInTransaction but takes no @InTransactionAnswer(): its answer could not be saved in its transaction`);
  }
}

interface IdempotencyMode {
  skip?: boolean;
  omit?: string[];
  inTransaction?: boolean;
  /**
   * false: no `in_progress` row before the work (`IdempotentInTransaction({ claimFirst: false })`). For work whose
   * own unique constraints already serialise a concurrent duplicate (one open voucher per household): the key
   * is read (a replay, or a 422), the work runs, and its answer is inserted under the key inside the work's
   * transaction — the key's primary key makes a concurrent duplicate wait for the first and then find the key
   * taken (its transaction rolls back, and it replays the first's answer). A refusal writes nothing: no claim
   * to insert, no claim to delete — two commits fewer for each of the thousands of households a rush refuses.
   */
  claimFirst?: boolean;
  /** Error codes that may mean "a concurrent duplicate won" (the work's own unique constraint): the stored answer is looked for before the error is answered. */
  duplicateCodes?: string[];
}

/** The key was taken by a concurrent duplicate between our read and our insert: roll back and replay its answer. */
class KeyTaken extends Error {}

/**
 * Fields never written to idempotency_keys, whatever the route: credentials and personal data (a
 * registration answers the phone number it was sent). A replay answers without them.
 */
export const NEVER_STORED_FIELDS = ['accessToken', 'refreshToken', 'key', 'apiKey', 'password', 'phone', 'idNumber', 'householdIdNumber', 'accountNumber'];

function withoutFields(body: unknown, fields: string[]): unknown {
  if (Array.isArray(body)) return body.map((b) => withoutFields(b, fields));
  if (!body || typeof body !== 'object') return body;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (!fields.includes(k)) copy[k] = withoutFields(v, fields);
  }
  return copy;
}

const KEY_RE = /^[A-Za-z0-9_.:-]{8,200}$/;

/**
 * Idempotency-Key for every POST (DESIGN.md "Non-functional promises"), one mechanism backed by a table:
 * - same key and same body → the first answer again (header `Idempotent-Replayed: true`);
 * - same key, other body → 422 idempotency_key_reused;
 * - a concurrent duplicate waits up to IDEMPOTENCY_WAIT_MS for the first to finish, then 409 idempotency_in_progress;
 * - keys are scoped to the caller and kept IDEMPOTENCY_TTL_HOURS; anonymous callers cannot be told apart,
 *   so their keys are scoped to the request itself (two strangers sending one key never meet);
 * - answers that carry secrets are never stored (NotIdempotent, IdempotentWithoutSecrets);
 * - an owner that died mid-request blocks its key for IDEMPOTENCY_LOCK_MS, then a retry takes it over.
 * A request that fails with an error changed nothing (errors roll back), so its key is released and may be
 * retried; only successful answers are remembered.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly repo: IdempotencyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request>();
    const res = ctx.switchToHttp().getResponse<Response>();
    if (req.method !== 'POST') return next.handle();
    const mode = this.reflector.getAllAndOverride<IdempotencyMode | undefined>(IDEMPOTENCY_MODE, [ctx.getHandler(), ctx.getClass()]);
    if (mode?.skip) return next.handle();
    const required = this.reflector.getAllAndOverride<boolean>(IDEMPOTENCY_REQUIRED, [ctx.getHandler(), ctx.getClass()]);
    const key = req.header('idempotency-key');
    if (key === undefined) {
      if (required) return throwError(() => new DomainError('idempotency_key_required', 'This endpoint requires an Idempotency-Key header'));
      return next.handle();
    }
    if (!KEY_RE.test(key)) {
      return throwError(() => new DomainError('validation_failed', 'Idempotency-Key must be 8-200 characters of letters, digits and _.:-', [
        { field: 'Idempotency-Key', message: 'must be 8-200 characters of letters, digits and _.:-' },
      ]));
    }
    const actor = req.user as Actor | undefined;
    const hash = createHash('sha256')
      .update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalize(req.body ?? null) ?? ''}`)
      .digest('hex');
    const scope = actor ? `${actor.kind}:${actor.id}` : `anonymous:${hash}`;
    if (mode?.inTransaction && mode.claimFirst === false) return this.withoutClaim(ctx, next, req, res, scope, key, hash, mode);

    return from(this.acquire(scope, key, hash)).pipe(
      mergeMap((replay) => {
        if (replay) {
          res.setHeader('Idempotent-Replayed', 'true');
          res.status(replay.status);
          return of(replay.body);
        }
        const omit = [...NEVER_STORED_FIELDS, ...(mode?.omit ?? [])];
        const answer: AnswerInTransaction = {
          saved: false,
          save: (tx, result) => this.repo.complete(tx, scope, key, this.statusOf(ctx), withoutFields(result, omit)),
        };
        if (mode?.inTransaction) ANSWERS.set(req, answer);
        return next.handle().pipe(
          mergeMap(async (body) => {
            if (!answer.saved) await this.repo.completeAfterCommit(scope, key, res.statusCode, withoutFields(body, omit));
            return body;
          }),
          catchError((err) => from(this.repo.release(scope, key)).pipe(mergeMap(() => throwError(() => err)))),
        );
      }),
    );
  }

  /**
   * `claimFirst: false` (see IdempotencyMode): read the key; run the work, its answer inserted under the key in
   * its own transaction; when the insert finds the key taken, or the work fails with one of `duplicateCodes`,
   * answer what the key holds now (a replay, or 422 for another request under the same key).
   */
  private withoutClaim(
    ctx: ExecutionContext, next: CallHandler, req: Request, res: Response, scope: string, key: string, hash: string, mode: IdempotencyMode,
  ): Observable<unknown> {
    const omit = [...NEVER_STORED_FIELDS, ...(mode.omit ?? [])];
    const { idempotencyTtlHours: ttl } = this.config;
    const replayOrFail = (err: unknown): Observable<unknown> => from(this.repo.find(scope, key)).pipe(mergeMap((row) => {
      if (!row || row.expired || row.state !== 'completed') return throwError(() => (err instanceof KeyTaken ? new DomainError('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed') : err));
      if (row.request_hash !== hash) return throwError(() => new DomainError('idempotency_key_reused', 'This Idempotency-Key was used with a different request'));
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(row.response_status ?? 200);
      return of(row.response_body);
    }));
    return from(this.repo.find(scope, key)).pipe(
      mergeMap((row) => {
        if (row && !row.expired) {
          // a key held the classic way (another route under the same key, or a process of the previous release)
          if (row.state === 'in_progress' && row.request_hash === hash) return throwError(() => new DomainError('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed'));
          return replayOrFail(undefined);
        }
        const status = this.statusOf(ctx);
        const answer: AnswerInTransaction = {
          saved: false,
          save: async (tx, result) => {
            if (!(await this.repo.insertCompleted(tx, scope, key, hash, status, withoutFields(result, omit), ttl))) throw new KeyTaken();
          },
        };
        ANSWERS.set(req, answer);
        return next.handle().pipe(
          mergeMap(async (body) => {
            // work that answered without a transaction of its own: its answer is kept from the pool
            if (!answer.saved) await this.repo.insertCompleted(this.repo.pool, scope, key, hash, res.statusCode, withoutFields(body, omit), ttl);
            return body;
          }),
          catchError((err) => (err instanceof KeyTaken || (err instanceof DomainError && mode.duplicateCodes?.includes(err.code)) ? replayOrFail(err) : throwError(() => err))),
        );
      }),
    );
  }

  /** The status the route answers on success: its @HttpCode, else 201 for a POST. */
  private statusOf(ctx: ExecutionContext): number {
    return this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? HttpStatus.CREATED;
  }

  /** Owns the key (returns undefined) or returns the stored answer to replay. */
  private async acquire(scope: string, key: string, hash: string): Promise<{ status: number; body: unknown } | undefined> {
    const { idempotencyTtlHours: ttl, idempotencyWaitMs: waitMs, idempotencyLockMs: LOCK_MS } = this.config;
    const deadline = Date.now() + waitMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
      if (await this.repo.claim(scope, key, hash, LOCK_MS, ttl)) return undefined;
      const row = await this.repo.find(scope, key);
      if (!row) continue; // released between our insert and read: try again
      if (row.expired || (row.state === 'in_progress' && row.lock_expired)) {
        if (await this.repo.takeOver(scope, key, hash, LOCK_MS, ttl)) return undefined;
        if (row.expired) continue;
      }
      if (row.request_hash !== hash) {
        throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
      }
      if (row.state === 'completed') return { status: row.response_status ?? 200, body: row.response_body };
      if (Date.now() >= deadline) {
        throw new DomainError('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed');
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
