import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A recycler's certification history. `recyclers.certified_at / decertified_at` can hold one period only,
 * but a recycler can be decertified and later recertified, and a receipt it signed while certified must stay
 * valid afterwards (DESIGN.md "What a trade-in must pass": the recycler was certified *when it signed*).
 * So every period is a row; `recyclers` keeps the status and the latest period as a summary.
 */
export class RecyclerCertifications1764000000400 implements MigrationInterface {
  name = 'RecyclerCertifications1764000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recycler_certifications (
        id bigserial PRIMARY KEY,
        recycler_id uuid NOT NULL REFERENCES recyclers(id),
        certified_at timestamptz NOT NULL,
        decertified_at timestamptz,
        CHECK (decertified_at IS NULL OR decertified_at >= certified_at)
      )`);
    // At most one open period per recycler, whichever process races whichever.
    await q.query(`CREATE UNIQUE INDEX recycler_certifications_open ON recycler_certifications (recycler_id) WHERE decertified_at IS NULL`);
    await q.query(`CREATE INDEX recycler_certifications_recycler ON recycler_certifications (recycler_id, certified_at)`);
    await q.query(`
      INSERT INTO recycler_certifications (recycler_id, certified_at, decertified_at)
      SELECT id, certified_at, decertified_at FROM recyclers`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Loses the history of earlier periods; `recyclers` still holds the latest one.
    await q.query(`DROP TABLE IF EXISTS recycler_certifications`);
  }
}
