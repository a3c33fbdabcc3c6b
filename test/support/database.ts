import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@huanxin/database';

const MIGRATIONS_DIR = join(__dirname, '../../migrations');

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** The template's name changes whenever a migration changes, so a stale template is never cloned. */
function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  return `hx_tpl_${h.digest('hex').slice(0, 16)}`;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file, cloned from a migrated template (STYLE.md; as immich's medium
 * tests do). The template is built once per schema version, under an advisory lock so parallel workers
 * do not race to build it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: run the tests through jest (global setup)');
  const tpl = templateName();
  const name = `hx_t_${process.env.HX_TEST_RUN ?? 'x'}_${randomBytes(4).toString('hex')}`;
  await admin(async (c) => {
    await c.query(`SELECT pg_advisory_lock(727276)`);
    try {
      const exists = await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [tpl]);
      if (!exists.rowCount) {
        const building = `${tpl}_build`;
        await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        await c.query(`CREATE DATABASE "${building}"`);
        await runMigrations({ url: withDatabase(process.env.DATABASE_URL!, building) });
        await c.query(`ALTER DATABASE "${building}" RENAME TO "${tpl}"`);
      }
      await c.query(`CREATE DATABASE "${name}" TEMPLATE "${tpl}"`);
    } finally {
      await c.query(`SELECT pg_advisory_unlock(727276)`);
    }
  });
  const url = withDatabase(process.env.DATABASE_URL, name);
  return {
    url,
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}
