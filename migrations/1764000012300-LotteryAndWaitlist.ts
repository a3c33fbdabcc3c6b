import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allocation by lottery and the waitlist from returned budget (issue 13).
 *
 * - `quotas.allocation`: `first_come` (every existing quota) or `lottery`, with the lottery's daily entry window
 *   (`entry_opens`, `entry_closes`, HH:MM Asia/Shanghai); the draw of day D runs at `release_time` on D, for the
 *   entries made on D−1 inside the window.
 * - `lottery_draws`: one row a programme, city and draw date — the primary key is what makes "a draw runs once",
 *   whichever worker runs it. Holds the commitment (SHA-256 of the secret, logged when the window opens) and,
 *   once drawn, the reveal, the seed's inputs and the counts. The secret itself is never stored before the draw
 *   (it is derived from LOTTERY_SECRET when needed, see libs/vouchers/src/lottery-draw.ts).
 * - `lottery_entries`: a household's entry in one draw under a pseudonymous id (a keyed hash, never the ID number);
 *   once per household and draw (primary key), and at most one undrawn entry per household and programme.
 * - `waitlist_entries`: households that met "sold out" in a first-come city, in order (`seq`), once a day.
 */
export class LotteryAndWaitlist1764000012300 implements MigrationInterface {
  name = 'LotteryAndWaitlist1764000012300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE quotas
                     ADD COLUMN allocation text NOT NULL DEFAULT 'first_come',
                     ADD COLUMN entry_opens text,
                     ADD COLUMN entry_closes text,
                     ADD CONSTRAINT quotas_allocation CHECK (allocation IN ('first_come', 'lottery')),
                     ADD CONSTRAINT quotas_lottery_window CHECK (
                       allocation = 'first_come'
                       OR (entry_opens ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$' AND entry_closes ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$' AND entry_opens < entry_closes))`);

    await q.query(`
      CREATE TABLE lottery_draws (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        draw_date date NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'drawn')),
        entry_opens_at timestamptz NOT NULL,
        entry_closes_at timestamptz NOT NULL,
        draw_at timestamptz NOT NULL,
        commitment text NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),
        close_logged boolean NOT NULL DEFAULT false,
        reveal text CHECK (reveal ~ '^[0-9a-f]{64}$'),
        seed text CHECK (seed ~ '^[0-9a-f]{64}$'),
        entries_root text CHECK (entries_root ~ '^[0-9a-f]{64}$'),
        tree_head jsonb,
        quota integer CHECK (quota >= 0),
        cap_fen bigint CHECK (cap_fen >= 0),
        entries_count integer CHECK (entries_count >= 0),
        winners_count integer CHECK (winners_count >= 0),
        drawn_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (program_id, city, draw_date),
        CONSTRAINT lottery_draws_window CHECK (entry_opens_at < entry_closes_at AND entry_closes_at <= draw_at),
        CONSTRAINT lottery_draws_drawn CHECK (status = 'open' OR (reveal IS NOT NULL AND seed IS NOT NULL AND entries_root IS NOT NULL
          AND tree_head IS NOT NULL AND quota IS NOT NULL AND entries_count IS NOT NULL AND winners_count IS NOT NULL AND drawn_at IS NOT NULL
          AND winners_count <= quota AND winners_count <= entries_count))
      )`);
    await q.query(`CREATE INDEX lottery_draws_due ON lottery_draws (draw_at) WHERE status = 'open'`);

    await q.query(`
      CREATE TABLE lottery_entries (
        program_id uuid NOT NULL,
        city text NOT NULL,
        draw_date date NOT NULL,
        household_id uuid NOT NULL,
        entry_id text NOT NULL CHECK (entry_id ~ '^[0-9a-f]{64}$'),
        status text NOT NULL DEFAULT 'entered' CHECK (status IN ('entered', 'won', 'not_drawn', 'withdrawn')),
        carried boolean NOT NULL DEFAULT false,
        voucher_code text,
        win_rank integer CHECK (win_rank >= 1),
        entered_at timestamptz NOT NULL,
        decided_at timestamptz,
        PRIMARY KEY (program_id, city, draw_date, household_id),
        FOREIGN KEY (program_id, city, draw_date) REFERENCES lottery_draws (program_id, city, draw_date),
        CONSTRAINT lottery_entries_won CHECK ((status = 'won') = (voucher_code IS NOT NULL AND win_rank IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX lottery_entries_entry_id ON lottery_entries (program_id, city, draw_date, entry_id)`);
    await q.query(`CREATE UNIQUE INDEX lottery_entries_one_pending ON lottery_entries (program_id, city, household_id) WHERE status = 'entered'`);
    await q.query(`CREATE INDEX lottery_entries_household ON lottery_entries (household_id, draw_date DESC)`);

    await q.query(`
      CREATE TABLE waitlist_entries (
        program_id uuid NOT NULL REFERENCES programs(id),
        city text NOT NULL,
        day date NOT NULL,
        household_id uuid NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'served', 'skipped')),
        voucher_code text,
        joined_at timestamptz NOT NULL,
        served_at timestamptz,
        PRIMARY KEY (program_id, city, day, household_id),
        CONSTRAINT waitlist_entries_served CHECK ((status = 'served') = (voucher_code IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX waitlist_entries_queue ON waitlist_entries (program_id, city, day, seq) WHERE status = 'waiting'`);
    await q.query(`CREATE INDEX waitlist_entries_household ON waitlist_entries (household_id, day DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Vouchers issued by draws or from the waitlist stay (they are ordinary vouchers, and the ledger holds their money).
    await q.query(`DROP TABLE waitlist_entries`);
    await q.query(`DROP TABLE lottery_entries`);
    await q.query(`DROP TABLE lottery_draws`);
    await q.query(`ALTER TABLE quotas DROP CONSTRAINT quotas_lottery_window, DROP CONSTRAINT quotas_allocation,
                     DROP COLUMN entry_closes, DROP COLUMN entry_opens, DROP COLUMN allocation`);
  }
}
