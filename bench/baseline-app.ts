/**
 * The baselines of `npm run bench`: the thinnest NestJS 11 + Express app there is (no logging, no guards, no
 * pipes, no interceptors, no middleware but Nest's own JSON body parser), run as its own process the way the
 * platform is. Two routes:
 *
 * - `GET /live` answers `{"status":"ok"}` — the floor under `GET /health/live`;
 * - `POST /write` runs pgbench's shape of work on the same PostgreSQL, reduced to two statements: in one
 *   transaction, `UPDATE` one random row of `bench_accounts` (100,000 rows, as pgbench's scale 1) and `INSERT` a
 *   row into `bench_history`; answers 201 `{"balance": …}` — the floor under a request that writes a little in one
 *   transaction, as a voucher or a trade-in does. Its pool is DB_POOL_SIZE connections, as the API's.
 *
 * Env: BASELINE_DATABASE_URL, PORT, DB_POOL_SIZE (default 20, the API's default).
 */
import { Body, Controller, Get, HttpCode, Inject, Module, OnApplicationShutdown, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomInt } from 'node:crypto';
import { Pool } from 'pg';

export const BASELINE_ACCOUNTS = 100_000;
const POOL = 'BASELINE_POOL';

/** The tables of the write baseline, made fresh (pgbench -i's shape, two of its four tables). */
export const BASELINE_SCHEMA = [
  `DROP TABLE IF EXISTS bench_history, bench_accounts`,
  `CREATE TABLE bench_accounts (id integer PRIMARY KEY, balance bigint NOT NULL, filler char(84)) WITH (fillfactor = 100)`,
  `INSERT INTO bench_accounts (id, balance, filler) SELECT i, 0, '' FROM generate_series(1, ${BASELINE_ACCOUNTS}) AS i`,
  `CREATE TABLE bench_history (id bigserial PRIMARY KEY, account integer NOT NULL, delta integer NOT NULL, at timestamptz NOT NULL DEFAULT now(), filler char(22))`,
  `VACUUM ANALYZE bench_accounts`,
];

@Controller()
class BaselineController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Post('write')
  @HttpCode(201)
  async write(@Body() body: { delta?: number }) {
    const delta = Number.isSafeInteger(body?.delta) ? body.delta! : 1;
    const account = 1 + randomInt(BASELINE_ACCOUNTS);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(`UPDATE bench_accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance`, [delta, account]);
      await client.query(`INSERT INTO bench_history (account, delta) VALUES ($1, $2)`, [account, delta]);
      await client.query('COMMIT');
      return { balance: Number(rows[0].balance) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

@Module({
  controllers: [BaselineController],
  providers: [{
    provide: POOL,
    useFactory: () => new Pool({ connectionString: process.env.BASELINE_DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 20) }),
  }],
})
class BaselineModule implements OnApplicationShutdown {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  async onApplicationShutdown() {
    await this.pool.end();
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.create(BaselineModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3999), '127.0.0.1');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`baseline app failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exit(1);
  });
}
