import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  /** how long to wait for a connection (a new one, or a free one from the pool) before failing */
  connectTimeoutMs?: number;
  applicationName?: string;
}

export function dataSourceOptions(opts: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    // pg returns int8 as strings; money is bigint fen, converted where read (never through floats)
    extra: {
      max: opts.poolSize ?? 10,
      application_name: opts.applicationName ?? 'huanxin',
      statement_timeout: opts.statementTimeoutMs ?? 30000,
      // READ COMMITTED, whatever the database's or role's default: set once per session at connect, so a transaction
      // opens with one round trip (START TRANSACTION) instead of two (TransactionService.run)
      options: '-c default_transaction_isolation=read\\ committed',
      // never wait forever for a connection: in an outage requests fail fast and are answered 503
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10000,
    },
  };
}

/** Applies pending migrations; safe to run from several processes at once (TypeORM takes a lock table). */
export async function runMigrations(opts: DatabaseOptions): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions({ ...opts, poolSize: 1 }), migrationsTransactionMode: 'each' });
  await ds.initialize();
  try {
    // Serialise concurrent starters (two API processes, API + worker) on one advisory lock.
    await ds.query(`SELECT pg_advisory_lock(727274)`);
    const applied = await ds.runMigrations();
    await ds.query(`SELECT pg_advisory_unlock(727274)`);
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
