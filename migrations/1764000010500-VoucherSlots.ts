import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No hot row on the voucher rush (issue 11). A city's day of vouchers was one counter row (`quota_days`) and its
 * money two balance rows (`available`, `reserved`), so every voucher of a city queued on them until commit.
 *
 * - `quota_day_slots`: the day's quota split over K slot rows, each with its own `issued <= released` CHECK, so
 *   the sum can never pass the day's quota; `quota_days` becomes the view that sums them (same columns).
 * - `ledger_accounts.slot`: a city's `available` and `reserved` accounts may have slot accounts 1..K besides the
 *   main one (slot 0). Each keeps its own CHECK (balance >= 0), and every view sums them, so a slot's money is
 *   still the city's available (or reserved) money. Only those two kinds are slotted.
 */
export class VoucherSlots1764000010500 implements MigrationInterface {
  name = 'VoucherSlots1764000010500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts ADD COLUMN slot smallint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_slot
                     CHECK (slot >= 0 AND (slot = 0 OR (kind IN ('available', 'reserved') AND retailer_id IS NULL)))`);
    await q.query(`DROP INDEX ledger_accounts_city`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_city ON ledger_accounts (program_id, city, kind, slot) WHERE retailer_id IS NULL`);

    await q.query(`
      CREATE TABLE quota_day_slots (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        day date NOT NULL,
        slot smallint NOT NULL CHECK (slot >= 1),
        released integer NOT NULL CHECK (released >= 0),
        issued integer NOT NULL DEFAULT 0,
        PRIMARY KEY (program_id, city, day, slot),
        CONSTRAINT quota_day_slots_not_over_issued CHECK (issued >= 0 AND issued <= released)
      )`);
    await q.query(`INSERT INTO quota_day_slots (program_id, city, day, slot, released, issued)
                   SELECT program_id, city, day, 1, released, issued FROM quota_days`);
    await q.query(`DROP TABLE quota_days`);
    await q.query(`
      CREATE VIEW quota_days AS
      SELECT program_id, city, day, sum(released)::int AS released, sum(issued)::int AS issued
        FROM quota_day_slots
       GROUP BY program_id, city, day`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Entries are append-only: once a slot account has moved money it cannot be folded back into its main account.
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM ledger_accounts a WHERE a.slot > 0 AND EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account_id = a.id)`);
    if (n > 0) throw new Error(`VoucherSlots cannot be reverted: ${n} slot accounts have ledger entries`);
    await q.query(`DROP VIEW quota_days`);
    await q.query(`
      CREATE TABLE quota_days (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        day date NOT NULL,
        released integer NOT NULL CHECK (released >= 0),
        issued integer NOT NULL DEFAULT 0,
        PRIMARY KEY (program_id, city, day),
        CONSTRAINT quota_days_not_over_issued CHECK (issued >= 0 AND issued <= released)
      )`);
    await q.query(`INSERT INTO quota_days (program_id, city, day, released, issued)
                   SELECT program_id, city, day, sum(released), sum(issued) FROM quota_day_slots GROUP BY program_id, city, day`);
    await q.query(`DROP TABLE quota_day_slots`);
    await q.query(`DELETE FROM ledger_accounts WHERE slot > 0`);
    await q.query(`DROP INDEX ledger_accounts_city`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_city ON ledger_accounts (program_id, city, kind) WHERE retailer_id IS NULL`);
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_slot`);
    await q.query(`ALTER TABLE ledger_accounts DROP COLUMN slot`);
  }
}
