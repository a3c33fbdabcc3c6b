import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { PasswordService } from './password.service';
import { ApiKeyStrategy, JwtStrategy, LocalStrategy } from './strategies';
import { TokensService } from './tokens.service';
import { UsersRepository } from './users.repository';

@Global()
@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  providers: [AuthService, PasswordService, TokensService, ApiKeysService, UsersRepository, LocalStrategy, JwtStrategy, ApiKeyStrategy],
  exports: [AuthService, PasswordService, TokensService, ApiKeysService, UsersRepository],
})
export class AuthModule {}
