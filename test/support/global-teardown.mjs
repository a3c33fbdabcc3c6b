import pg from 'pg';

export default async function globalTeardown() {
  // drop whatever this run's test files left behind (a crashed worker skips its own afterAll)
  const run = process.env.HX_TEST_RUN;
  if (process.env.DATABASE_URL && run) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    try {
      await client.connect();
      const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`hx_t_${run}_%`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } catch {
      // best effort: the next run does not depend on it
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  // each project of the run calls this teardown: the embedded server is stopped once, by the first
  const embedded = globalThis.__HX_EMBEDDED_PG__;
  globalThis.__HX_EMBEDDED_PG__ = undefined;
  if (embedded) await embedded.stop();
}
