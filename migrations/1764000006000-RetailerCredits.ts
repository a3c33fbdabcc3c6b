import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A retailer can be owed money back: the bank returns a payout one of whose claims was clawed back, after that
 * clawback had already been recovered elsewhere (netted from a later payout, or reversed on Stripe). The
 * returned payout brings the claim's whole amount back, so what was recovered elsewhere was taken from the
 * retailer for a subsidy it never received: a credit, given back with its next payout.
 *
 * - A retailer's `receivable` account may now be positive (credit-normal: positive means the programme owes
 *   the retailer). `granted` stays non-positive.
 * - A `netted` recovery may be negative: the part of a payout that gives a credit back (the payout's amount is
 *   gross − netted, so a negative netting pays more than the claims); a payout's `netted_fen` likewise.
 */
const NETTED_CHECK = `SELECT conname FROM pg_constraint
                       WHERE conrelid = 'payouts'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%netted_fen >= 0%'`;

export class RetailerCredits1764000006000 implements MigrationInterface {
  name = 'RetailerCredits1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_contra_non_positive`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_contra_non_positive CHECK (kind <> 'granted' OR balance_fen <= 0)`);
    await q.query(`ALTER TABLE clawback_recoveries DROP CONSTRAINT clawback_recoveries_amount_fen_check`);
    await q.query(`ALTER TABLE clawback_recoveries ADD CONSTRAINT clawback_recoveries_amount_fen_check
                     CHECK (amount_fen > 0 OR (kind = 'netted' AND amount_fen < 0))`);
    const [netted]: { conname: string }[] = await q.query(NETTED_CHECK);
    await q.query(`ALTER TABLE payouts DROP CONSTRAINT "${netted.conname}"`);
    await q.query(`ALTER TABLE payouts ADD CONSTRAINT payouts_netted_within_gross CHECK (netted_fen <= gross_fen)`);
    await q.query(`ALTER TABLE payout_runs DROP CONSTRAINT payout_runs_netted_fen_check`);
    await q.query(`ALTER TABLE payout_runs ADD CONSTRAINT payout_runs_netted_within_gross CHECK (netted_fen <= gross_fen)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_runs DROP CONSTRAINT payout_runs_netted_within_gross`);
    await q.query(`ALTER TABLE payout_runs ADD CONSTRAINT payout_runs_netted_fen_check CHECK (netted_fen >= 0)`);
    await q.query(`ALTER TABLE payouts DROP CONSTRAINT payouts_netted_within_gross`);
    await q.query(`ALTER TABLE payouts ADD CHECK (netted_fen >= 0 AND netted_fen <= gross_fen)`);
    await q.query(`ALTER TABLE clawback_recoveries DROP CONSTRAINT clawback_recoveries_amount_fen_check`);
    await q.query(`ALTER TABLE clawback_recoveries ADD CONSTRAINT clawback_recoveries_amount_fen_check CHECK (amount_fen > 0)`);
    await q.query(`ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_contra_non_positive`);
    await q.query(`ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_contra_non_positive CHECK (kind NOT IN ('granted', 'receivable') OR balance_fen <= 0)`);
  }
}
