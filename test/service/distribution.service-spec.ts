import { Client } from 'pg';
import { checkDistribution, DISTRIBUTION_EXCEPTIONS, readSchemaFacts, SchemaFacts } from '@huanxin/database';
import { createTestDatabase, TestDatabase } from '../support/database';

/**
 * The sharding path stays open (issue 12, SCALING.md): the live schema — every migration applied, read from
 * pg_class, pg_index and pg_constraint — keeps to the Citus design of libs/database/src/distribution.ts. A new table
 * fails until it is classified; a new unique index, primary key or exclusion constraint on a city-distributed table
 * fails unless it includes the city; a new foreign key fails unless it stays within a shard or points at a reference
 * table. Today's known breaks are listed, each with its reason and its Citus fix, and the list only shrinks.
 */
describe('the schema keeps the sharding path open (service, live schema)', () => {
  let db: TestDatabase;
  let c: Client;
  let facts: SchemaFacts;
  const rowsOf = async (sql: string) => (await c.query(sql)).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    c = new Client({ connectionString: db.url });
    await c.connect();
    facts = await readSchemaFacts(rowsOf);
  }, 120_000);
  afterAll(async () => {
    await c?.end();
    await db?.drop();
  });

  it('reads the schema as it is: tables, unique indexes with their key columns and predicates, foreign keys', () => {
    const tables = facts.tables.map((t) => t.name);
    for (const t of ['claims', 'vouchers', 'ledger_entries', 'audit_events', 'schema_migrations']) expect(tables).toContain(t);
    expect(tables).not.toContain('quota_days'); // a view, not a table
    expect(facts.uniques.find((u) => u.name === 'claims_serial_live')).toMatchObject({ table: 'claims', kind: 'unique', columns: ['serial_number'], partial: true });
    expect(facts.uniques.find((u) => u.name === 'quota_day_slots_pkey')).toMatchObject({ kind: 'primary key', columns: ['program_id', 'city', 'day', 'slot'], partial: false });
    expect(facts.foreignKeys.find((f) => f.name === 'claims_voucher_id_fkey'))
      .toEqual({ table: 'claims', name: 'claims_voucher_id_fkey', columns: ['voucher_id'], refTable: 'vouchers', refColumns: ['id'] });
    expect(facts.tables.find((t) => t.name === 'claims')?.columns).toContainEqual({ name: 'city', notNull: true });
  });

  it('every table is classified, every break of the design is an explained exception, and no exception is stale', () => {
    const report = checkDistribution(facts);
    expect(report.unexplained).toEqual([]);
    expect(report.staleExceptions).toEqual([]);
    // the list of exceptions is exactly today's breaks (a readable diff when either side moves)
    expect(report.violations.map((v) => v.id).sort()).toEqual(Object.keys(DISTRIBUTION_EXCEPTIONS).sort());
  });

  describe('fails on what would break the design (DDL in this file\'s own database, rolled back)', () => {
    /** The report after `ddl`, run in a transaction that is rolled back. */
    async function reportAfter(ddl: string[]) {
      await c.query('BEGIN');
      try {
        for (const sql of ddl) await c.query(sql);
        return checkDistribution(await readSchemaFacts(rowsOf));
      } finally {
        await c.query('ROLLBACK');
      }
    }

    it('a unique index on a city-distributed table without the city', async () => {
      const report = await reportAfter([`CREATE UNIQUE INDEX claims_invoice_anywhere ON claims (invoice_number) WHERE status <> 'cancelled'`]);
      expect(report.unexplained).toEqual([
        expect.stringContaining('unique (partial) claims_invoice_anywhere on claims (invoice_number) does not include the distribution column city'),
      ]);
      expect(report.unexplained[0]).toContain("DISTRIBUTION_EXCEPTIONS['unique:claims.claims_invoice_anywhere']");
    });

    it('an exclusion constraint passes with the city under =, and fails without it', async () => {
      expect((await reportAfter([`ALTER TABLE quotas ADD CONSTRAINT quotas_one_time EXCLUDE USING btree (city WITH =, release_time WITH =)`])).unexplained).toEqual([]);
      const report = await reportAfter([`ALTER TABLE quotas ADD CONSTRAINT quotas_one_time EXCLUDE USING btree (release_time WITH =)`]);
      expect(report.unexplained).toEqual([expect.stringContaining('exclusion quotas_one_time on quotas (release_time) does not include the distribution column city')]);
    });

    it('a new table until it is classified', async () => {
      // (a made-up name: lottery_entries, the example here before issue 13, is a real table now)
      const report = await reportAfter([`CREATE TABLE raffle_tickets (city text NOT NULL, household_id uuid NOT NULL, PRIMARY KEY (city, household_id))`]);
      expect(report.unexplained).toEqual([expect.stringContaining('table raffle_tickets is not classified: add it to DISTRIBUTION')]);
    });

    it('foreign keys that leave the shard: between city tables without the city, from a reference table into a shard', async () => {
      const report = await reportAfter([
        `ALTER TABLE ledger_transactions ADD COLUMN voucher_id uuid REFERENCES vouchers (id)`,
        `ALTER TABLE stores ADD COLUMN last_claim_id uuid REFERENCES claims (id)`,
      ]);
      expect(report.unexplained).toEqual([
        expect.stringContaining('foreign key ledger_transactions_voucher_id_fkey: ledger_transactions (voucher_id) → vouchers (id), byCity (city) → byCity (city): the key does not carry the distribution column'),
        expect.stringContaining('foreign key stores_last_claim_id_fkey: stores (last_claim_id) → claims (id), reference → byCity (city): a reference table is copied to every node'),
      ]);
    });

    it('a fix makes its exception stale, so the list only shrinks', async () => {
      const report = await reportAfter([
        `ALTER TABLE claims DROP CONSTRAINT claims_voucher_id_fkey`,
        `ALTER TABLE vouchers ADD CONSTRAINT vouchers_city_id UNIQUE (city, id)`,
        `ALTER TABLE claims ADD CONSTRAINT claims_voucher_id_fkey FOREIGN KEY (city, voucher_id) REFERENCES vouchers (city, id)`,
      ]);
      expect(report.unexplained).toEqual([]);
      expect(report.staleExceptions).toEqual([expect.stringContaining("DISTRIBUTION_EXCEPTIONS['fk:claims.claims_voucher_id_fkey'] no longer matches the schema")]);
    });
  });
});
