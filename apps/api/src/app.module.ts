import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod, Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuditLogModule } from '@huanxin/audit-log';
import { ApiAuthGuard, AuthModule } from '@huanxin/auth';
import { AppConfig, ConfigModule } from '@huanxin/config';
import { CoreModule } from '@huanxin/core';
import { DatabaseModule } from '@huanxin/database';
import { checkInTransactionRoute, IdempotencyInterceptor, IdempotencyModule } from '@huanxin/idempotency';
import { AuthController } from './auth/auth.controller';
import { SessionController } from './auth/session.controller';
import { HealthController } from './health/health.controller';
import { httpLogging } from './http/logging';
import { BodyMiddleware } from './http/body.middleware';
import { MetricsController, MetricsMiddleware } from './http/metrics';
import { ProblemDrift } from './http/problem-drift';
import './http/read-replica-metrics';
import { ProblemFilter } from './http/problem.filter';
import { RateLimitGuard } from './http/rate-limit';
import { RedisConnections } from './shared-state/redis-connections';
import { RevocationRelay } from './shared-state/revocation-relay';
import { DOMAIN_MODULES, ROLE_CONTROLLERS } from './modules';

export interface AppOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Tests capture log lines here to prove nothing secret is written. */
  logStream?: DestinationStream;
  /** Tests only: sees every request and response first (the secrets sweep learns the secrets it must not find). */
  observe?: (req: import('express').Request, res: import('express').Response, next: () => void) => void;
}

/** Request logging, built with the module: createApp puts its middleware in front of the routes. */
export const HTTP_LOGGING = 'huanxin:http-logging';

const CONTROLLERS: Type[] = [AuthController, SessionController, HealthController, MetricsController, ...ROLE_CONTROLLERS];

/**
 * Puts an interceptor on every POST route of these controllers, as `@UseInterceptors` on each would (before
 * Nest scans them). The idempotency interceptor acts on POST only: registered globally, every GET would still
 * pay for Nest's interceptor chain (an rxjs pipeline and async resources per request) to be told "not mine".
 */
function interceptPostRoutes(controllers: Type[], interceptor: Type): void {
  for (const controller of controllers) {
    for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = name === 'constructor' ? undefined : Object.getOwnPropertyDescriptor(proto, name)?.value;
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) continue;
        checkInTransactionRoute(proto.constructor, name);
        const current: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [];
        if (!current.includes(interceptor)) Reflect.defineMetadata(INTERCEPTORS_METADATA, [interceptor, ...current], handler);
      }
    }
  }
}

@Module({})
export class AppModule implements NestModule {
  static register(opts: AppOptions): DynamicModule {
    const { config } = opts;
    const logging = httpLogging(config.logLevel, opts.logStream, config.logFormat);
    interceptPostRoutes(CONTROLLERS, IdempotencyInterceptor);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CoreModule,
        LoggerModule.forRoot(logging.params),
        DatabaseModule.forRoot({
          url: opts.databaseUrl,
          poolSize: config.dbPoolSize,
          statementTimeoutMs: config.dbStatementTimeoutMs,
          connectTimeoutMs: config.dbConnectTimeoutMs,
          applicationName: 'huanxin-api',
        }, config.databaseReadUrl ? {
          // DATABASE_READ_URL: reports, the export and two public reads (libs/database/src/read-database.ts)
          url: config.databaseReadUrl,
          poolSize: config.databaseReadPoolSize,
          connectTimeoutMs: config.databaseReadConnectTimeoutMs,
          maxLagMs: config.databaseReadMaxLagMs,
          checkIntervalMs: config.databaseReadCheckIntervalMs,
          statementTimeoutMs: config.dbStatementTimeoutMs,
          applicationName: 'huanxin-api-read',
        } : undefined),
        TerminusModule,
        AuditLogModule,
        AuthModule,
        IdempotencyModule,
        ...DOMAIN_MODULES,
      ],
      controllers: CONTROLLERS,
      providers: [
        ProblemDrift,
        // REDIS_URL: what the API processes share (rate limits, ended sign-ins); nothing without it
        RedisConnections,
        RevocationRelay,
        { provide: HTTP_LOGGING, useValue: logging },
        { provide: APP_FILTER, useClass: ProblemFilter },
        // order matters: rate limits first, then authentication, so floods never reach argon2
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        // last: notes which route answers (once the others let it through), so the problem filter can check
        // its codes against the route's declaration
        { provide: APP_GUARD, useExisting: ProblemDrift },
        // the idempotency interceptor is on each POST route (interceptPostRoutes), not global
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(MetricsMiddleware, BodyMiddleware).forRoutes('*path');
  }
}
