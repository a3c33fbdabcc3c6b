import { dataSourceOptions, TransactionService } from '@huanxin/database';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../support/database';

/**
 * Service level: `TransactionService.run` opens its transactions with one round trip (`START TRANSACTION`, no
 * `SET TRANSACTION ISOLATION LEVEL` after it, issue 11), so READ COMMITTED — which every use case's reasoning
 * assumes (LedgerService, VouchersRepository) — must come from the session. It is set at connect
 * (data-source.ts), and holds even on a database whose own default says otherwise.
 */
describe('transactions: one round trip to open, READ COMMITTED always (service)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const sent: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${db.name}" SET default_transaction_isolation = 'serializable'`);
    await admin.end();
    ds = new DataSource({ ...dataSourceOptions({ url: db.url, poolSize: 1 }), migrations: [] });
    await ds.initialize();
  }, 120_000);
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('a plain connection to this database is SERIALIZABLE by default: the test can tell', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      expect((await c.query('SHOW transaction_isolation')).rows[0].transaction_isolation).toBe('serializable');
    } finally {
      await c.end();
    }
  });

  it('run() is READ COMMITTED there, and opens with START TRANSACTION alone', async () => {
    const runner = ds.createQueryRunner();
    const query = runner.query.bind(runner);
    // every statement the transaction's runner sends, START TRANSACTION and COMMIT included
    runner.query = ((sql: string, params?: unknown[], structured?: boolean) => {
      sent.push(sql);
      return query(sql, params, structured as never);
    }) as typeof runner.query;
    const spy = jest.spyOn(ds, 'createQueryRunner').mockReturnValue(runner);
    try {
      const level = await new TransactionService(ds).run(async (tx) => (await tx.query('SHOW transaction_isolation'))[0].transaction_isolation);
      expect(level).toBe('read committed');
    } finally {
      spy.mockRestore();
    }
    expect(sent).toEqual(['START TRANSACTION', 'SHOW transaction_isolation', 'COMMIT']);
  });
});
