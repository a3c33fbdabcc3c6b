import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A claim keeps the codes it was submitted with (programme, store, voucher), as an order keeps what was ordered:
 * they never change after submission, every view of a claim shows them, and with them the claims library reads
 * its own table alone (one owner per table, issue 10) instead of joining three tables owned by others.
 */
export class ClaimCodes1764000008000 implements MigrationInterface {
  name = 'ClaimCodes1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE claims ADD COLUMN program_code text, ADD COLUMN store_code text, ADD COLUMN voucher_code text`);
    await q.query(`
      UPDATE claims c SET program_code = p.code, store_code = s.code, voucher_code = v.code
        FROM programs p, stores s, vouchers v
       WHERE p.id = c.program_id AND s.id = c.store_id AND v.id = c.voucher_id`);
    await q.query(`ALTER TABLE claims ALTER COLUMN program_code SET NOT NULL, ALTER COLUMN store_code SET NOT NULL,
                                      ALTER COLUMN voucher_code SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE claims DROP COLUMN program_code, DROP COLUMN store_code, DROP COLUMN voucher_code`);
  }
}
