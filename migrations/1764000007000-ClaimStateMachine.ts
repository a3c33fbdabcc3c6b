import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claim state machine in the database (libs/claims/src/claim-states.ts declares the same table): an update
 * that moves a claim along an edge the table does not have is refused (SQLSTATE 23514, constraint
 * `claims_status_transition`), whichever library's SQL tried it. An immutable function with the edges inline, not a
 * table lookup, so a payout run moving 100,000 claims pays one comparison a row.
 */
export class ClaimStateMachine1764000007000 implements MigrationInterface {
  name = 'ClaimStateMachine1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION claim_transition_allowed(from_status text, to_status text) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (from_status, to_status) IN (
          ('pending_review', 'approved'), ('pending_review', 'rejected'), ('pending_review', 'cancelled'),
          ('approved', 'in_payout'), ('approved', 'cancelled'),
          ('in_payout', 'paid'), ('in_payout', 'approved'), ('in_payout', 'payout_failed'),
          ('payout_failed', 'approved'), ('payout_failed', 'in_payout'), ('payout_failed', 'cancelled'),
          ('paid', 'approved'), ('paid', 'clawed_back'))
      $$`);
    await q.query(`
      CREATE FUNCTION claims_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT claim_transition_allowed(OLD.status, NEW.status) THEN
          RAISE EXCEPTION 'claim % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'claims_status_transition', TABLE = 'claims';
        END IF;
        RETURN NEW;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER claims_status_transition BEFORE UPDATE OF status ON claims
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION claims_check_transition()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER claims_status_transition ON claims`);
    await q.query(`DROP FUNCTION claims_check_transition()`);
    await q.query(`DROP FUNCTION claim_transition_allowed(text, text)`);
  }
}
