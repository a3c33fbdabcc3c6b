import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuditLogModule } from '@huanxin/audit-log';
import { ApiAuthGuard, AuthModule } from '@huanxin/auth';
import { AppConfig, ConfigModule } from '@huanxin/config';
import { CoreModule } from '@huanxin/core';
import { DatabaseModule } from '@huanxin/database';
import { IdempotencyInterceptor, IdempotencyModule } from '@huanxin/idempotency';
import { AuthController } from './auth/auth.controller';
import { SessionController } from './auth/session.controller';
import { HealthController } from './health/health.controller';
import { loggerParams } from './http/logging';
import { BodyMiddleware } from './http/body.middleware';
import { MetricsController, MetricsMiddleware } from './http/metrics';
import { ProblemDrift } from './http/problem-drift';
import { ProblemFilter } from './http/problem.filter';
import { throttlers } from './http/rate-limit';
import { DOMAIN_MODULES, ROLE_CONTROLLERS } from './modules';

export interface AppOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Tests capture log lines here to prove nothing secret is written. */
  logStream?: DestinationStream;
  /** Tests only: sees every request and response first (the secrets sweep learns the secrets it must not find). */
  observe?: (req: import('express').Request, res: import('express').Response, next: () => void) => void;
}

@Module({})
export class AppModule implements NestModule {
  static register(opts: AppOptions): DynamicModule {
    const { config } = opts;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CoreModule,
        LoggerModule.forRoot(loggerParams(config.logLevel, opts.logStream, config.logFormat)),
        DatabaseModule.forRoot({
          url: opts.databaseUrl,
          poolSize: config.dbPoolSize,
          statementTimeoutMs: config.dbStatementTimeoutMs,
          connectTimeoutMs: config.dbConnectTimeoutMs,
          applicationName: 'huanxin-api',
        }),
        ThrottlerModule.forRoot({ throttlers: throttlers(config) }),
        TerminusModule,
        AuditLogModule,
        AuthModule,
        IdempotencyModule,
        ...DOMAIN_MODULES,
      ],
      controllers: [AuthController, SessionController, HealthController, MetricsController, ...ROLE_CONTROLLERS],
      providers: [
        ProblemDrift,
        { provide: APP_FILTER, useClass: ProblemFilter },
        // order matters: rate limits first, then authentication, so floods never reach argon2
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        // first: notes which route answers, so the problem filter can check its codes against the route's declaration
        { provide: APP_INTERCEPTOR, useExisting: ProblemDrift },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(MetricsMiddleware, BodyMiddleware).forRoutes('*path');
  }
}
