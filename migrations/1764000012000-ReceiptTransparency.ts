import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Receipt transparency, certification dates and dismantling (issue 13).
 *
 * - `receipt_registrations`: a recycler registers each receipt as it issues it and the platform's clock becomes the
 *   receipt's issue time (a decertified recycler cannot back-date one). One row per (recycler, rid): the primary key
 *   is the rule "another receipt with the same (iss, rid) → 409", whichever API process races whichever. Only what
 *   the checks need is kept: the SHA-256 of the compact JWS (never the JWS, whose payload carries the holder's
 *   unsalted ID hash), the kid, the time, and the platform's signed timestamp (a JWS over {iss, rid, receiptHash,
 *   registeredAt}: no personal data). Dismantling is confirmed once: `dismantled_at` (the recycler's word) and
 *   `dismantle_confirmed_at` (our clock) are set together, with a short free evidence string (photo hash, weight).
 * - `retailers.certified_from`: when the retailer's certification began outside the platform (default: its
 *   creation). A recycler's is the start of its first row in recycler_certifications, which already exists.
 * - `claims.dismantling`: null until the dismantling deadline passes unconfirmed; then `held` (kept out of payout
 *   runs), and `confirmed` (the recycler confirmed later) or `released` (an auditor decided) when the hold ends. Not
 *   indexed (and never named by an index), so a payout run's moves stay heap-only (HeapOnlyClaimMoves); an ADD
 *   COLUMN without a default does not rewrite the table.
 */
export class ReceiptTransparency1764000012000 implements MigrationInterface {
  name = 'ReceiptTransparency1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE receipt_registrations (
        recycler_id uuid NOT NULL REFERENCES recyclers(id),
        rid text NOT NULL CHECK (length(rid) BETWEEN 1 AND 200),
        receipt_hash text NOT NULL CHECK (receipt_hash ~ '^[0-9a-f]{64}$'),
        kid text NOT NULL,
        registered_at timestamptz NOT NULL,
        timestamp_token text NOT NULL,
        dismantled_at timestamptz,
        dismantle_confirmed_at timestamptz,
        dismantle_evidence text CHECK (length(dismantle_evidence) <= 200),
        CHECK ((dismantled_at IS NULL) = (dismantle_confirmed_at IS NULL)),
        CHECK (dismantled_at IS NOT NULL OR dismantle_evidence IS NULL),
        PRIMARY KEY (recycler_id, rid)
      )`);
    // the recycler's own list, newest first (keyset on registered_at, rid)
    await q.query(`CREATE INDEX receipt_registrations_recent ON receipt_registrations (recycler_id, registered_at DESC, rid DESC)`);

    await q.query(`ALTER TABLE retailers ADD COLUMN certified_from timestamptz`);
    await q.query(`UPDATE retailers SET certified_from = created_at`);
    await q.query(`ALTER TABLE retailers ALTER COLUMN certified_from SET NOT NULL, ALTER COLUMN certified_from SET DEFAULT now()`);

    await q.query(`ALTER TABLE claims ADD COLUMN dismantling text CHECK (dismantling IN ('held', 'confirmed', 'released'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE claims DROP COLUMN IF EXISTS dismantling`);
    await q.query(`ALTER TABLE retailers DROP COLUMN IF EXISTS certified_from`);
    await q.query(`DROP TABLE IF EXISTS receipt_registrations`);
  }
}
