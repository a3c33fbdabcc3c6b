import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { DomainError, Role } from '@huanxin/core';
import { IS_PUBLIC, ROLES_KEY } from './decorators';
import { RevokedSessionsService } from './revoked-sessions.service';
import type { AuthenticatedUser } from './strategies';

/** Who may call a route: read from its metadata once, not on every request. */
interface RouteAccess {
  isPublic: boolean;
  roles: Role[] | undefined;
}

/**
 * Authorization headers whose bearer token was verified (signature, issuer, audience, expiry, claims), with the
 * actor it stands for, until the token expires: verifying a token again gives the same answer until then, so
 * a token is checked in full once per process, and then costs a map look-up. Revocation is not cached: every
 * use asks RevokedSessionsService, as the strategy does. Bounded: past `max` entries the oldest is dropped.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { actor: AuthenticatedUser; expiresAtSeconds: number }>();

  constructor(private readonly max: number) {}

  /** A copy of the actor (callers may add to it), or undefined when unknown or expired. */
  get(authorization: string, nowSeconds: number): AuthenticatedUser | undefined {
    const entry = this.entries.get(authorization);
    if (!entry) return undefined;
    // jsonwebtoken's rule: expired once now >= exp (no clock tolerance is configured)
    if (nowSeconds >= entry.expiresAtSeconds) {
      this.entries.delete(authorization);
      return undefined;
    }
    return { ...entry.actor };
  }

  set(authorization: string, actor: AuthenticatedUser, expiresAtSeconds: number): void {
    if (this.max <= 0) return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(authorization, { actor: { ...actor }, expiresAtSeconds });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The `exp` of a bearer token that passport has just verified (so its payload is known to be well formed). */
function expiryOf(authorization: string): number | undefined {
  const token = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Verified bearer tokens one API process remembers (about 0.5 KB each). */
export const VERIFIED_TOKEN_CACHE_SIZE = 20_000;

/**
 * Global: every endpoint needs a bearer token or an API key unless it says @Public(); @Roles() then
 * narrows who may call it. 401 for no or bad credentials, 403 for the wrong role.
 *
 * The per-request cost is kept small: a route's @Public()/@Roles() are read once; a bearer token already
 * verified by this process is recognised by its exact Authorization header (VerifiedTokenCache) and only its
 * revocation is checked; anything else (first use of a token, API keys, bad credentials) goes through
 * passport exactly as before.
 */
@Injectable()
export class ApiAuthGuard extends AuthGuard(['jwt', 'api-key']) {
  readonly verified = new VerifiedTokenCache(VERIFIED_TOKEN_CACHE_SIZE);
  private readonly access = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(private readonly reflector: Reflector, private readonly revoked: RevokedSessionsService) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const { isPublic, roles } = this.routeAccess(ctx);
    if (isPublic) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const authorization = req.headers.authorization;
    if (!authorization && !req.headers['x-api-key']) throw new DomainError('unauthorized', 'Sign in or send an API key');
    let actor = authorization ? this.verified.get(authorization, Math.floor(Date.now() / 1000)) : undefined;
    if (actor) {
      // what JwtStrategy.validate checks on every use besides the token itself
      if (actor.familyId && this.revoked.isRevoked(actor.familyId)) throw new DomainError('unauthorized', 'This sign-in has ended; sign in again');
      req.user = actor;
    } else {
      await super.canActivate(ctx);
      actor = req.user as AuthenticatedUser;
      // a person's bearer token (API keys are looked up afresh each time: revoking one takes effect at once)
      if (authorization && actor.kind === 'user') {
        const exp = expiryOf(authorization);
        if (exp !== undefined) this.verified.set(authorization, actor, exp);
      }
    }
    if (roles && (!actor.role || !roles.includes(actor.role))) {
      throw new DomainError('forbidden', 'Your role may not use this endpoint');
    }
    return true;
  }

  private routeAccess(ctx: ExecutionContext): RouteAccess {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    let byHandler = this.access.get(cls);
    let access = byHandler?.get(handler);
    if (access) return access;
    const targets = [handler, cls];
    access = {
      isPublic: !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets),
      roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
    };
    if (!byHandler) this.access.set(cls, (byHandler = new WeakMap()));
    byHandler.set(handler, access);
    return access;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    // a DomainError is the answer; any other error (the database is down, a bug) is not "unauthorized":
    // the problem filter answers it (503 for an outage)
    if (err) throw err;
    if (!user) throw new DomainError('unauthorized', 'The credentials are missing, expired or not valid');
    return user;
  }
}

/** The login route: passport-local, with problem+json errors instead of passport's bare 401/400. */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override handleRequest<T>(err: unknown, user: T, info: { message?: string } | undefined): T {
    if (err) throw err;
    if (info?.message === 'Missing credentials') {
      throw new DomainError('validation_failed', 'username and password are required', [
        { field: 'username', message: 'username should be a non-empty string' },
        { field: 'password', message: 'password should be a non-empty string' },
      ]);
    }
    if (!user) throw new DomainError('unauthorized', 'Wrong username or password');
    return user;
  }
}
