import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditLogModule } from '@huanxin/audit-log';
import { AppConfig, ConfigModule } from '@huanxin/config';
import { baseLoggerOptions, CoreModule, prettyStream } from '@huanxin/core';
import { DatabaseModule } from '@huanxin/database';
import { IdempotencyModule } from '@huanxin/idempotency';
import { JobRunner } from './job-runner';
import { WORKER_MODULES, WorkerJobs } from './jobs';

@Module({})
export class WorkerModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        CoreModule,
        LoggerModule.forRoot({
          pinoHttp: config.logFormat === 'pretty'
            ? [baseLoggerOptions(config.logLevel, 'huanxin-worker'), prettyStream()]
            : baseLoggerOptions(config.logLevel, 'huanxin-worker'),
        }),
        DatabaseModule.forRoot({
          url: databaseUrl, poolSize: config.workerPoolSize, applicationName: 'huanxin-worker',
          statementTimeoutMs: config.dbStatementTimeoutMs, connectTimeoutMs: config.dbConnectTimeoutMs,
        }),
        AuditLogModule,
        IdempotencyModule,
        ...WORKER_MODULES,
      ],
      providers: [JobRunner, WorkerJobs],
    };
  }
}
