import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payout details changed by four eyes (issue 13): an admin proposes a retailer's new Stripe account and/or bank
 * account, another admin approves (or rejects) it, and only the approval writes `retailers`. Payment-redirection
 * fraud is the threat, so the rules that protect money are the database's:
 *
 * - `payout_details_changes`: one row a proposal. The proposed bank account is sealed exactly as `retailers.bank`
 *   is (AES-256-GCM under DATA_ENCRYPTION_KEY, bound to the retailer; its last four digits in clear). At most one
 *   pending change a retailer (`payout_details_changes_one_pending`); the decider is never the proposer (CHECK);
 *   the approval records the details it replaced (`previous_*`, sealed) and the version it moved from → to, so a
 *   payout created under an older version is still paid where it was created to be paid.
 * - `retailers.payout_details_version`: 1 at certification, one more at each approved change;
 *   `payout_details_changed_at`: when the last approved change took effect (the retailer is told).
 * - `payouts.payout_details_version`: the version a payout was created under (null for payouts written before).
 */
export class PayoutDetailsChanges1764000012200 implements MigrationInterface {
  name = 'PayoutDetailsChanges1764000012200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE retailers ADD COLUMN payout_details_version integer NOT NULL DEFAULT 1 CHECK (payout_details_version >= 1)`);
    await q.query(`ALTER TABLE retailers ADD COLUMN payout_details_changed_at timestamptz`);
    await q.query(`
      CREATE TABLE payout_details_changes (
        id uuid PRIMARY KEY,
        retailer_id uuid NOT NULL REFERENCES retailers (id),
        status text NOT NULL DEFAULT 'pending_approval' CHECK (status IN ('pending_approval', 'approved', 'rejected')),
        stripe_account_id text,
        bank jsonb,
        previous_stripe_account_id text,
        previous_bank jsonb,
        from_version integer,
        to_version integer,
        proposed_by uuid NOT NULL REFERENCES users (id),
        proposed_at timestamptz NOT NULL,
        decided_by uuid REFERENCES users (id),
        decided_at timestamptz,
        reason text,
        CHECK (stripe_account_id IS NOT NULL OR bank IS NOT NULL),
        CHECK ((status = 'pending_approval') = (decided_at IS NULL)),
        CHECK ((status = 'pending_approval') = (decided_by IS NULL)),
        CHECK (decided_by IS NULL OR decided_by <> proposed_by),
        CHECK ((status = 'approved') = (to_version IS NOT NULL)),
        CHECK (to_version IS NULL OR to_version = from_version + 1)
      )`);
    await q.query(`CREATE UNIQUE INDEX payout_details_changes_one_pending ON payout_details_changes (retailer_id) WHERE status = 'pending_approval'`);
    await q.query(`CREATE UNIQUE INDEX payout_details_changes_version ON payout_details_changes (retailer_id, from_version) WHERE status = 'approved'`);
    await q.query(`CREATE INDEX payout_details_changes_queue ON payout_details_changes (status, proposed_at, id)`);
    await q.query(`CREATE INDEX payout_details_changes_of_retailer ON payout_details_changes (retailer_id, proposed_at)`);
    await q.query(`ALTER TABLE payouts ADD COLUMN payout_details_version integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payouts DROP COLUMN payout_details_version`);
    await q.query(`DROP TABLE payout_details_changes`);
    await q.query(`ALTER TABLE retailers DROP COLUMN payout_details_changed_at`);
    await q.query(`ALTER TABLE retailers DROP COLUMN payout_details_version`);
  }
}
