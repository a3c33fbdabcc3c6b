import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { Actor, DomainError, Role } from '@huanxin/core';
import { IS_PUBLIC, ROLES_KEY } from './decorators';

/**
 * Global: every endpoint needs a bearer token or an API key unless it says @Public(); @Roles() then
 * narrows who may call it. 401 for no or bad credentials, 403 for the wrong role.
 */
@Injectable()
export class ApiAuthGuard extends AuthGuard(['jwt', 'api-key']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    if (!req.header('authorization') && !req.header('x-api-key')) throw new DomainError('unauthorized', 'Sign in or send an API key');
    await super.canActivate(ctx);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const actor = req.user as Actor;
    if (roles && (!actor.role || !roles.includes(actor.role))) {
      throw new DomainError('forbidden', 'Your role may not use this endpoint');
    }
    return true;
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
