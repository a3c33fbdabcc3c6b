import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A payout run moves 100,000 claims approved → in_payout, and the gateway's answer (or the bank's statement) moves
 * them on to paid. Measured before this migration (issue 11), each move rewrote the row and wrote an entry into twelve
 * of claims' seventeen indexes (the non-partial ones and the live uniques): PostgreSQL can keep an update heap-only
 * (HOT: the new version on the same page, no index touched) only when no indexed column changes value, and `status`
 * was in the key of `claims_status` and in the predicate of nine partial indexes. The second move cost twice the
 * first, every unique check now meeting the dead version the first had left.
 *
 * Now no index names `status`:
 * - `phase`, a stored generated column: the status, except that the payout states (approved, in_payout, paid,
 *   payout_failed) are one phase, `settlement` (claim-states.ts, claimPhase: a service test checks they agree);
 * - every partial index is written on `phase` (same names, same meaning: `phase NOT IN ('rejected', 'cancelled')`
 *   is exactly the live claims, `phase = 'rejected'` the rejected ones);
 * - `claims_status (program_id, status, created_at)` becomes `claims_phase (program_id, phase, created_at)`, and
 *   `claims_approved` goes: a run finds its approved claims through `claims_phase` (the programme's claims in
 *   settlement, filtered on status) — it reads the paid ones too, the price of the approved ones moving without an
 *   index entry;
 * - claims keep half of each page free (fillfactor 50), room for the new version of every row on the page, so a
 *   run's bulk move stays on the page. PostgreSQL prunes the old versions when the page is next visited, so the next
 *   move finds the room again. The table is rewritten here (adding the stored column), already at the new fillfactor.
 *
 * A status change across phases (a review's decision, a cancellation, a clawback) still writes the indexes, as before.
 */
export class HeapOnlyClaimMoves1764000011000 implements MigrationInterface {
  name = 'HeapOnlyClaimMoves1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE claims SET (fillfactor = 50),
        ADD COLUMN phase text NOT NULL GENERATED ALWAYS AS (
          CASE WHEN status IN ('approved', 'in_payout', 'paid', 'payout_failed') THEN 'settlement' ELSE status END) STORED`);
    await q.query(`
      DROP INDEX claims_approved, claims_status, claims_pending, claims_clawed_back, claims_serial_rejected, claims_receipt_rejected,
                 claims_serial_live, claims_receipt_live, claims_invoice_live`);
    await q.query(`CREATE UNIQUE INDEX claims_serial_live ON claims (serial_number) WHERE phase NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_receipt_live ON claims (receipt_issuer, receipt_rid) WHERE phase NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice_live ON claims (retailer_id, invoice_number) WHERE phase NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE INDEX claims_phase ON claims (program_id, phase, created_at)`);
    await q.query(`CREATE INDEX claims_pending ON claims (created_at, id) WHERE phase = 'pending_review'`);
    await q.query(`CREATE INDEX claims_clawed_back ON claims (program_id, retailer_id) WHERE phase = 'clawed_back'`);
    await q.query(`CREATE INDEX claims_serial_rejected ON claims (serial_number) WHERE phase = 'rejected'`);
    await q.query(`CREATE INDEX claims_receipt_rejected ON claims (receipt_issuer, receipt_rid) WHERE phase = 'rejected'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX claims_phase, claims_pending, claims_clawed_back, claims_serial_rejected, claims_receipt_rejected,
                 claims_serial_live, claims_receipt_live, claims_invoice_live`);
    await q.query(`CREATE UNIQUE INDEX claims_serial_live ON claims (serial_number) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_receipt_live ON claims (receipt_issuer, receipt_rid) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice_live ON claims (retailer_id, invoice_number) WHERE status NOT IN ('rejected', 'cancelled')`);
    await q.query(`CREATE INDEX claims_status ON claims (program_id, status, created_at)`);
    await q.query(`CREATE INDEX claims_approved ON claims (program_id, retailer_id) WHERE status = 'approved'`);
    await q.query(`CREATE INDEX claims_pending ON claims (created_at, id) WHERE status = 'pending_review'`);
    await q.query(`CREATE INDEX claims_clawed_back ON claims (program_id, retailer_id) WHERE status = 'clawed_back'`);
    await q.query(`CREATE INDEX claims_serial_rejected ON claims (serial_number) WHERE status = 'rejected'`);
    await q.query(`CREATE INDEX claims_receipt_rejected ON claims (receipt_issuer, receipt_rid) WHERE status = 'rejected'`);
    // the pages written at fillfactor 50 keep their room until the table is rewritten (VACUUM FULL); new ones fill up
    await q.query(`ALTER TABLE claims DROP COLUMN phase, RESET (fillfactor)`);
  }
}
