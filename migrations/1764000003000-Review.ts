import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the auditor workspace: the review queue and claim lists page by (created_at, id) in either
 * direction, with or without a programme; the flag filter is an array containment (GIN); a claim's
 * detail finds its ledger movements by reference (the claim id or its voucher code).
 */
export class Review1764000003000 implements MigrationInterface {
  name = 'Review1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX claims_created ON claims (created_at, id)`);
    await q.query(`CREATE INDEX claims_program_created ON claims (program_id, created_at, id)`);
    await q.query(`CREATE INDEX claims_pending ON claims (created_at, id) WHERE status = 'pending_review'`);
    await q.query(`CREATE INDEX claims_flags ON claims USING gin (flags)`);
    await q.query(`CREATE INDEX ledger_transactions_reference ON ledger_transactions (reference)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const i of ['ledger_transactions_reference', 'claims_flags', 'claims_pending', 'claims_program_created', 'claims_created']) {
      await q.query(`DROP INDEX IF EXISTS ${i}`);
    }
  }
}
