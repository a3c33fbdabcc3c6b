import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ExtractJwt, Strategy as JwtStrategyBase } from 'passport-jwt';
import { Strategy as LocalStrategyBase } from 'passport-local';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, DomainError, isCityCode, isUuid, ROLES } from '@huanxin/core';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import type { AccessClaims } from './tokens.service';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-claims';
import { RevokedSessionsService } from './revoked-sessions.service';
import type { User } from './users.repository';

/** `username` (phone or e-mail) and `password` from the login body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(LocalStrategyBase, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  validate(username: unknown, password: unknown): Promise<User> {
    // passport-local reads the body before validation runs: anything but two strings is a malformed request
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new DomainError('validation_failed', 'username and password must be strings', [
        ...(typeof username !== 'string' ? [{ field: 'username', message: 'username must be a string' }] : []),
        ...(typeof password !== 'string' ? [{ field: 'password', message: 'password must be a string' }] : []),
      ]);
    }
    if (username.length > 200 || password.length > 200) throw new DomainError('unauthorized', 'Wrong username or password');
    return this.auth.validateCredentials(username, password);
  }
}

function wellFormedClaims(c: AccessClaims & { exp?: unknown; iat?: unknown }): boolean {
  return typeof c.exp === 'number' && typeof c.iat === 'number'
    && typeof c.sub === 'string' && isUuid(c.sub)
    && typeof c.fam === 'string' && isUuid(c.fam)
    && ROLES.includes(c.role)
    && (c.rid === undefined || (typeof c.rid === 'string' && isUuid(c.rid)))
    && (c.city === undefined || (typeof c.city === 'string' && isCityCode(c.city)));
}

export interface AuthenticatedUser extends Actor {
  familyId?: string;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(JwtStrategyBase, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig, private readonly revoked: RevokedSessionsService) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // a KeyObject made once: given the string, jsonwebtoken tries (and fails) to parse it as a public key on
      // every verification before making a secret key of it — 7 % of the API's CPU in the voucher rush's profile
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
  }

  validate(claims: AccessClaims & { exp?: unknown; iat?: unknown }): AuthenticatedUser {
    // jsonwebtoken accepts a token without exp; ours always have one, and every claim has the shape we give
    // it: a token that differs was not made here (or by someone holding the key), so it is refused whole
    if (!wellFormedClaims(claims)) throw new DomainError('unauthorized', 'The credentials are missing, expired or not valid');
    if (this.revoked.isRevoked(claims.fam)) throw new DomainError('unauthorized', 'This sign-in has ended; sign in again');
    const actor: AuthenticatedUser = { kind: 'user', id: claims.sub, role: claims.role, familyId: claims.fam };
    if (claims.rid) actor.retailerId = claims.rid;
    if (claims.city) actor.city = claims.city;
    return actor;
  }
}

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(CustomStrategy, 'api-key') {
  constructor(private readonly keys: ApiKeysService) {
    super();
  }

  async validate(req: Request): Promise<Actor | false> {
    const key = req.header('x-api-key');
    if (!key) return false;
    return (await this.keys.authenticate(key)) ?? false;
  }
}
