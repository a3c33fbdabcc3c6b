import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `claims_serial_any` and `claims_receipt_any` indexed every claim, yet their one reader (the trade-in's
 * prior_rejections flag) asks only about rejected claims. Partial on `status = 'rejected'`, they stay what that read
 * needs, and a status change to anything else (a payout run moves 100,000 claims approved → in_payout → paid) no
 * longer writes an entry into either: PostgreSQL adds a new index entry only where the new row satisfies the
 * predicate.
 */
export class LeanerClaimIndexes1764000010000 implements MigrationInterface {
  name = 'LeanerClaimIndexes1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX claims_serial_any`);
    await q.query(`DROP INDEX claims_receipt_any`);
    await q.query(`CREATE INDEX claims_serial_rejected ON claims (serial_number) WHERE status = 'rejected'`);
    await q.query(`CREATE INDEX claims_receipt_rejected ON claims (receipt_issuer, receipt_rid) WHERE status = 'rejected'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX claims_serial_rejected`);
    await q.query(`DROP INDEX claims_receipt_rejected`);
    await q.query(`CREATE INDEX claims_serial_any ON claims (serial_number)`);
    await q.query(`CREATE INDEX claims_receipt_any ON claims (receipt_issuer, receipt_rid)`);
  }
}
