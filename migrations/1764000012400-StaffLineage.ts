import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who made each staff account (the four-eyes rule on payout details): `users.created_by` is the admin whose
 * `POST /v1/admin/users` (or retailer onboarding) made the account; null for households, the bootstrap admin,
 * accounts made by the system, and every account made before this migration (their lineage is unknown, and they
 * are treated as made by no one). A change of a retailer's payout details may not be approved by an admin of the
 * proposer's own lineage — one it made, directly or through admins it made, or one that made it — since an admin
 * who makes a second account to approve with is one person, not two.
 */
export class StaffLineage1764000012400 implements MigrationInterface {
  name = 'StaffLineage1764000012400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN created_by uuid REFERENCES users(id)`);
    // the lineage is walked upwards from an account: by primary key, no index needed
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN created_by`);
  }
}
