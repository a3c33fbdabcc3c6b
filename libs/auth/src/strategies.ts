import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ExtractJwt, Strategy as JwtStrategyBase } from 'passport-jwt';
import { Strategy as LocalStrategyBase } from 'passport-local';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, DomainError } from '@huanxin/core';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import type { AccessClaims } from './tokens.service';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-claims';
import { RevokedSessionsService } from './revoked-sessions.service';
import type { UserRow } from './users.repository';

/** `username` (phone or e-mail) and `password` from the login body. */
@Injectable()
export class LocalStrategy extends PassportStrategy(LocalStrategyBase, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  validate(username: string, password: string): Promise<UserRow> {
    if (username.length > 200 || password.length > 200) throw new DomainError('unauthorized', 'Wrong username or password');
    return this.auth.validateCredentials(username, password);
  }
}

export interface AuthenticatedUser extends Actor {
  familyId?: string;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(JwtStrategyBase, 'jwt') {
  constructor(@Inject(APP_CONFIG) config: AppConfig, private readonly revoked: RevokedSessionsService) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
  }

  validate(claims: AccessClaims & { exp?: unknown; iat?: unknown }): AuthenticatedUser {
    // jsonwebtoken accepts a token without exp; ours always have one, so one without is forged or foreign
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.sub !== 'string' || typeof claims.fam !== 'string') {
      throw new DomainError('unauthorized', 'The credentials are missing, expired or not valid');
    }
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
