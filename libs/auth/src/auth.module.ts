import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { PasswordService } from './password.service';
import { ApiKeyStrategy, JwtStrategy, LocalStrategy } from './strategies';
import { TokensService } from './tokens.service';
import { RevokedSessionsService } from './revoked-sessions.service';
import { JWT_AUDIENCE, JWT_ISSUER } from './jwt-claims';
import { UsersRepository } from './users.repository';

@Global()
@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      // a KeyObject made once (strategies.ts: a string costs jsonwebtoken ~1 ms of key parsing per token)
      useFactory: (config: AppConfig) => ({ secret: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as string, signOptions: { algorithm: 'HS256', issuer: JWT_ISSUER, audience: JWT_AUDIENCE } }),
    }),
  ],
  providers: [AuthService, PasswordService, TokensService, ApiKeysService, UsersRepository, LocalStrategy, JwtStrategy, ApiKeyStrategy, RevokedSessionsService],
  exports: [AuthService, PasswordService, TokensService, ApiKeysService, UsersRepository, RevokedSessionsService],
})
export class AuthModule {}
