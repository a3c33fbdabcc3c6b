import { DynamicModule, INestApplicationContext, LoggerService, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuditLogModule } from '@huanxin/audit-log';
import { AuthModule } from '@huanxin/auth';
import { CatalogModule } from '@huanxin/catalog';
import { ClaimsModule, LiveClaimsModule } from '@huanxin/claims';
import { AppConfig, ConfigModule, loadConfig } from '@huanxin/config';
import { Clock, CoreModule } from '@huanxin/core';
import { DatabaseModule } from '@huanxin/database';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { ReceiptsModule, RecyclingModule } from '@huanxin/recycling';
import { RetailersModule } from '@huanxin/retailers';
import { ReviewModule } from '@huanxin/review';
import { SettlementModule } from '@huanxin/settlement';
import { VouchersModule } from '@huanxin/vouchers';

/** The platform's domain modules, as the API process wires them (apps/api/src/modules.ts), without HTTP. */
const DOMAIN: Type[] = [
  AuditLogModule, AuthModule, CatalogModule, LedgerModule, ProgramsModule, VouchersModule, ClaimsModule, LiveClaimsModule, ReceiptsModule,
  RetailersModule, RecyclingModule, ReviewModule, SettlementModule,
];

@Module({})
class SimNodeModule {
  static register(config: AppConfig, url: string, applicationName: string): DynamicModule {
    return {
      module: SimNodeModule,
      imports: [
        ConfigModule.forRoot(config),
        CoreModule,
        DatabaseModule.forRoot({
          url, poolSize: config.dbPoolSize, applicationName,
          statementTimeoutMs: config.dbStatementTimeoutMs, connectTimeoutMs: config.dbConnectTimeoutMs,
        }),
        ...DOMAIN,
      ],
    };
  }
}

/** Nest's log lines, kept (warnings and errors only) instead of printed: the report shows them on failure. */
export class CapturedLog implements LoggerService {
  readonly lines: string[] = [];
  private push(level: string, message: unknown, rest: unknown[]) {
    if (this.lines.length >= 2000) this.lines.shift();
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    this.lines.push(`${level} ${text}${rest.length ? ` ${rest.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join(' ')}` : ''}`);
  }
  log(): void {}
  debug(): void {}
  verbose(): void {}
  warn(message: unknown, ...rest: unknown[]): void {
    // several nodes in one process each register TypeORM's default data source: expected here, and harmless
    if (rest.includes('DataSourceNameRegistry')) return;
    this.push('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }
}

/**
 * One platform process, in this Node process: a Nest application context with the real domain modules, its
 * own configuration (e.g. which payout gateway its runs use), its own connection pool (named, so the
 * simulator can find and kill its connections) and its own injected Clock. Several nodes share one database,
 * as API replicas and workers do in production.
 */
export class SimNode {
  private constructor(
    readonly name: string,
    readonly applicationName: string,
    readonly app: INestApplicationContext,
    readonly config: AppConfig,
  ) {}

  static async start(name: string, applicationName: string, env: Record<string, string>, databaseUrl: string, logger: LoggerService): Promise<SimNode> {
    const config = loadConfig(env);
    const app = await NestFactory.createApplicationContext(SimNodeModule.register(config, databaseUrl, applicationName), { logger, abortOnError: false });
    return new SimNode(name, applicationName, app, config);
  }

  get<T>(type: Type<T>): T {
    return this.app.get(type, { strict: false });
  }

  get clock(): Clock {
    return this.get(Clock);
  }

  get db(): DataSource {
    return this.get(DataSource);
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
