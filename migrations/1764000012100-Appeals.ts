import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appeals (issue 13): a household or a retailer contests a rejection, once per claim, and an auditor other than the
 * one who rejected decides.
 *
 * - `claim_appeals`, owned by libs/claims, distributed by city with its claim (libs/database distribution.ts). One
 *   appeal per claim is a unique constraint (`claim_appeals_one_per_claim`), so a household and its retailer appealing
 *   at the same instant, from two API processes, cannot both win. The rejection is copied onto the appeal when it is
 *   filed (who rejected, when, why): upholding rewrites the claim's decision, and the appeal keeps what was contested.
 * - The claim state machine gains one edge out of a final state, rejected → approved, and only for a claim whose
 *   appeal is upheld: the trigger allows it only while such an appeal exists (the decision writes the appeal first, in
 *   the same transaction), so no other path — whichever library's SQL — can bring a rejected claim back.
 */
export class Appeals1764000012100 implements MigrationInterface {
  name = 'Appeals1764000012100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE claim_appeals (
        id uuid PRIMARY KEY,
        claim_id uuid NOT NULL REFERENCES claims (id),
        city text NOT NULL,
        program_id uuid NOT NULL,
        retailer_id uuid NOT NULL,
        appellant_kind text NOT NULL CHECK (appellant_kind IN ('household', 'retailer')),
        appellant_id text NOT NULL,
        reason text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
        rejected_by uuid,
        rejected_at timestamptz NOT NULL,
        rejection_reason text,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
        decided_by uuid,
        decided_at timestamptz,
        decision_reason text,
        created_at timestamptz NOT NULL,
        CONSTRAINT claim_appeals_one_per_claim UNIQUE (city, claim_id),
        CONSTRAINT claim_appeals_decided CHECK ((status = 'open') = (decided_at IS NULL) AND (status = 'open') = (decided_by IS NULL)),
        CONSTRAINT claim_appeals_other_auditor CHECK (decided_by IS NULL OR rejected_by IS NULL OR decided_by <> rejected_by)
      )`);
    await q.query(`CREATE INDEX claim_appeals_claim ON claim_appeals (claim_id)`);
    await q.query(`CREATE INDEX claim_appeals_created ON claim_appeals (created_at, id)`);
    await q.query(`CREATE INDEX claim_appeals_open ON claim_appeals (created_at, id) WHERE status = 'open'`);
    await q.query(`
      CREATE OR REPLACE FUNCTION claims_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT claim_transition_allowed(OLD.status, NEW.status)
           AND NOT (OLD.status = 'rejected' AND NEW.status = 'approved'
                    AND EXISTS (SELECT 1 FROM claim_appeals a WHERE a.claim_id = OLD.id AND a.status = 'upheld')) THEN
          RAISE EXCEPTION 'claim % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_status_transition', TABLE = 'claims';
        END IF;
        RETURN NEW;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION claims_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT claim_transition_allowed(OLD.status, NEW.status) THEN
          RAISE EXCEPTION 'claim % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_status_transition', TABLE = 'claims';
        END IF;
        RETURN NEW;
      END
      $$`);
    await q.query(`DROP TABLE claim_appeals`);
  }
}
