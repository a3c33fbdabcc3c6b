import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';

export interface ThrowAwayDatabase {
  url: string;
  name: string;
  /** Drops the database, and stops the embedded server if this started one. */
  drop(): Promise<void>;
  /** Keeps the database (for a look after a failure); stops the embedded server if this started one. */
  release(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * A fresh, migrated database for one simulation run, on DATABASE_URL's server or else on the embedded
 * PostgreSQL the platform itself starts without one (libs/database resolveDatabase, under DATA_DIR).
 */
export async function createThrowAwayDatabase(tag: string): Promise<ThrowAwayDatabase> {
  const server = await resolveDatabase(loadConfig(process.env));
  const name = `hx_sim_${tag}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: server.url });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  try {
    await admin(`CREATE DATABASE "${name}"`);
    const url = withDatabase(server.url, name);
    await runMigrations({ url });
    return {
      url,
      name,
      drop: async () => {
        try {
          await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await server.stop();
        }
      },
      release: () => server.stop(),
    };
  } catch (err) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await server.stop();
    throw err;
  }
}
