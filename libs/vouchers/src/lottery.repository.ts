import { Injectable } from '@nestjs/common';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';

export type LotteryEntryStatus = 'entered' | 'won' | 'not_drawn' | 'withdrawn';

/** A city's draw of one day (`lottery_draws`). */
export interface LotteryDraw {
  programId: string;
  city: string;
  drawDate: string;
  status: 'open' | 'drawn';
  entryOpensAt: Date;
  entryClosesAt: Date;
  drawAt: Date;
  commitment: string;
  reveal: string | null;
  seed: string | null;
  entriesRoot: string | null;
  treeHead: { treeSize: number; rootHash: string; timestamp: string; signature: string; keyId: string } | null;
  quota: number | null;
  capFen: number | null;
  entriesCount: number | null;
  winnersCount: number | null;
  drawnAt: Date | null;
}

export interface LotteryEntry {
  programId: string;
  city: string;
  drawDate: string;
  entryId: string;
  status: LotteryEntryStatus;
  carried: boolean;
  voucherCode: string | null;
  enteredAt: Date;
  decidedAt: Date | null;
  drawAt: Date;
}

/** A winner as the draw issues it: the entry, and the voucher it gets. */
export interface DrawWinner {
  entryId: string;
  rank: number;
  voucherId: string;
  code: string;
}

interface DrawRow {
  program_id: string; city: string; draw_date: string; status: 'open' | 'drawn'; entry_opens_at: Date; entry_closes_at: Date; draw_at: Date;
  commitment: string; reveal: string | null; seed: string | null; entries_root: string | null; tree_head: LotteryDraw['treeHead'];
  quota: number | null; cap_fen: string | null; entries_count: number | null; winners_count: number | null; drawn_at: Date | null;
}

const DRAW_COLUMNS = `d.program_id, d.city, to_char(d.draw_date, 'YYYY-MM-DD') AS draw_date, d.status, d.entry_opens_at, d.entry_closes_at, d.draw_at,
  d.commitment, d.reveal, d.seed, d.entries_root, d.tree_head, d.quota, d.cap_fen::text AS cap_fen, d.entries_count, d.winners_count, d.drawn_at`;

function toDraw(r: DrawRow): LotteryDraw {
  return {
    programId: r.program_id, city: r.city, drawDate: r.draw_date, status: r.status, entryOpensAt: r.entry_opens_at, entryClosesAt: r.entry_closes_at,
    drawAt: r.draw_at, commitment: r.commitment, reveal: r.reveal, seed: r.seed, entriesRoot: r.entries_root, treeHead: r.tree_head,
    quota: r.quota, capFen: r.cap_fen === null ? null : Number(r.cap_fen), entriesCount: r.entries_count, winnersCount: r.winners_count, drawnAt: r.drawn_at,
  };
}

/**
 * Lottery draws and their entries (issue 13; this lib owns `lottery_draws` and `lottery_entries`, next to the
 * vouchers a draw issues). The promises are the database's: one draw row a programme, city and day (so a draw
 * runs once, whichever worker runs it), one entry a household and draw, one undrawn entry a household and
 * programme.
 */
@Injectable()
export class LotteryRepository {
  constructor(private readonly db: TransactionService) {}

  /** Creates the draw (with its commitment) unless it exists; answers whether this call created it. */
  async ensureDraw(tx: Tx, d: Pick<LotteryDraw, 'programId' | 'city' | 'drawDate' | 'entryOpensAt' | 'entryClosesAt' | 'drawAt' | 'commitment'>): Promise<boolean> {
    const rows = returnedRows<{ created: boolean }>(await tx.query(
      `INSERT INTO lottery_draws (program_id, city, draw_date, entry_opens_at, entry_closes_at, draw_at, commitment)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (program_id, city, draw_date) DO NOTHING
       RETURNING true AS created`,
      [d.programId, d.city, d.drawDate, d.entryOpensAt, d.entryClosesAt, d.drawAt, d.commitment],
    ));
    return rows.length > 0;
  }

  /** `on`: the pool's manager, or a transaction. */
  async findDraw(on: Tx, programId: string, city: string, drawDate: string): Promise<LotteryDraw | undefined> {
    const rows: DrawRow[] = await on.query(
      `SELECT ${DRAW_COLUMNS} FROM lottery_draws d WHERE d.program_id = $1 AND d.city = $2 AND d.draw_date = $3`,
      [programId, city, drawDate],
    );
    return rows[0] && toDraw(rows[0]);
  }

  /** The draw, locked until `tx` ends, if it is still open and no other transaction holds it (SKIP LOCKED). */
  async lockOpenDraw(tx: Tx, programId: string, city: string, drawDate: string): Promise<LotteryDraw | undefined> {
    const rows: DrawRow[] = await tx.query(
      `SELECT ${DRAW_COLUMNS} FROM lottery_draws d
        WHERE d.program_id = $1 AND d.city = $2 AND d.draw_date = $3 AND d.status = 'open'
          FOR UPDATE SKIP LOCKED`,
      [programId, city, drawDate],
    );
    return rows[0] && toDraw(rows[0]);
  }

  /** Open draws whose time has come, oldest first. */
  async dueDraws(now: Date, limit: number): Promise<{ programId: string; city: string; drawDate: string }[]> {
    const rows: { program_id: string; city: string; draw_date: string }[] = await this.db.manager.query(
      `SELECT program_id, city, to_char(draw_date, 'YYYY-MM-DD') AS draw_date FROM lottery_draws
        WHERE status = 'open' AND draw_at <= $1 ORDER BY draw_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => ({ programId: r.program_id, city: r.city, drawDate: r.draw_date }));
  }

  /**
   * Marks the draws whose entry window has closed as closed-logged and answers them (the caller logs the close in
   * the same transaction: the event a tree head after the close will cover). SKIP LOCKED: several workers.
   */
  async closeDue(tx: Tx, now: Date, limit: number): Promise<{ programId: string; city: string; drawDate: string; entries: number }[]> {
    const rows = returnedRows<{ program_id: string; city: string; draw_date: string; entries: number }>(await tx.query(
      `WITH due AS (
         SELECT program_id, city, draw_date FROM lottery_draws
          WHERE NOT close_logged AND entry_closes_at <= $1
          ORDER BY entry_closes_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE lottery_draws d SET close_logged = true FROM due
        WHERE d.program_id = due.program_id AND d.city = due.city AND d.draw_date = due.draw_date
       RETURNING d.program_id, d.city, to_char(d.draw_date, 'YYYY-MM-DD') AS draw_date,
                 (SELECT count(*)::int FROM lottery_entries e
                   WHERE e.program_id = d.program_id AND e.city = d.city AND e.draw_date = d.draw_date AND e.status = 'entered') AS entries`,
      [now, limit],
    ));
    return rows.map((r) => ({ programId: r.program_id, city: r.city, drawDate: r.draw_date, entries: r.entries }));
  }

  /**
   * Entries of one draw. A household's own entry: a second one in the same draw, or while another is undrawn,
   * violates a unique index (`already_entered`). Carried entries skip a household already in the draw.
   */
  async insertEntries(tx: Tx, e: { programId: string; city: string; drawDate: string; entries: { householdId: string; entryId: string }[]; carried: boolean; at: Date }): Promise<number> {
    if (!e.entries.length) return 0;
    const rows = returnedRows<{ entry_id: string }>(await tx.query(
      `INSERT INTO lottery_entries (program_id, city, draw_date, household_id, entry_id, carried, entered_at)
       SELECT $1, $2, $3, h, x, $6, $7 FROM unnest($4::uuid[], $5::text[]) AS u(h, x)
       ${e.carried ? 'ON CONFLICT DO NOTHING' : ''}
       RETURNING entry_id`,
      [e.programId, e.city, e.drawDate, e.entries.map((x) => x.householdId), e.entries.map((x) => x.entryId), e.carried, e.at],
    ));
    return rows.length;
  }

  /** The household's entries, newest draw first (at most 100), with their draw's time. */
  async entriesOfHousehold(householdId: string): Promise<LotteryEntry[]> {
    const rows: {
      program_id: string; city: string; draw_date: string; entry_id: string; status: LotteryEntryStatus; carried: boolean; voucher_code: string | null;
      entered_at: Date; decided_at: Date | null; draw_at: Date;
    }[] = await this.db.manager.query(
      `SELECT e.program_id, e.city, to_char(e.draw_date, 'YYYY-MM-DD') AS draw_date, e.entry_id, e.status, e.carried, e.voucher_code, e.entered_at,
              e.decided_at, d.draw_at
         FROM lottery_entries e
         JOIN lottery_draws d ON d.program_id = e.program_id AND d.city = e.city AND d.draw_date = e.draw_date
        WHERE e.household_id = $1
        ORDER BY e.draw_date DESC, e.entered_at DESC
        LIMIT 100`,
      [householdId],
    );
    return rows.map((r) => ({
      programId: r.program_id, city: r.city, drawDate: r.draw_date, entryId: r.entry_id, status: r.status, carried: r.carried,
      voucherCode: r.voucher_code, enteredAt: r.entered_at, decidedAt: r.decided_at, drawAt: r.draw_at,
    }));
  }

  /** The draw's entry ids in one of `statuses`, sorted ascending (the order huanxin-draw-v1 starts from). */
  async entryIds(on: Tx, programId: string, city: string, drawDate: string, statuses: LotteryEntryStatus[]): Promise<string[]> {
    const rows: { entry_id: string }[] = await on.query(
      `SELECT entry_id FROM lottery_entries
        WHERE program_id = $1 AND city = $2 AND draw_date = $3 AND status = ANY($4::text[])
        ORDER BY entry_id COLLATE "C"`,
      [programId, city, drawDate, statuses],
    );
    return rows.map((r) => r.entry_id);
  }

  /** The draw's winners in the order drawn. */
  async winnerIds(on: Tx, programId: string, city: string, drawDate: string): Promise<string[]> {
    const rows: { entry_id: string }[] = await on.query(
      `SELECT entry_id FROM lottery_entries WHERE program_id = $1 AND city = $2 AND draw_date = $3 AND status = 'won' ORDER BY win_rank`,
      [programId, city, drawDate],
    );
    return rows.map((r) => r.entry_id);
  }

  /**
   * Entries of households that hold an open, unexpired voucher of the programme now cannot win another: they leave
   * the draw (`withdrawn`) before its list is fixed. Answers how many.
   */
  async withdrawVoucherHolders(tx: Tx, programId: string, city: string, drawDate: string, now: Date): Promise<number> {
    const rows = returnedRows<{ entry_id: string }>(await tx.query(
      `UPDATE lottery_entries e SET status = 'withdrawn', decided_at = $4
        WHERE e.program_id = $1 AND e.city = $2 AND e.draw_date = $3 AND e.status = 'entered'
          AND EXISTS (SELECT 1 FROM vouchers v WHERE v.program_id = e.program_id AND v.household_id = e.household_id AND v.status = 'open' AND v.expires_at > $4)
       RETURNING e.entry_id`,
      [programId, city, drawDate, now],
    ));
    return rows.length;
  }

  /**
   * The draw's outcome in one statement: the winners' entries become `won` with their voucher, their vouchers are
   * inserted (open, reserving `reservedFen` each: the caller has posted the reservation), every other entry still
   * in the draw becomes `not_drawn`. Answers the households not drawn (for the next draw) and how many vouchers
   * went in; a winner whose entry is no longer `entered` issues nothing (the caller then rolls back).
   */
  async settle(tx: Tx, d: {
    programId: string; city: string; drawDate: string; winners: DrawWinner[]; reservedFen: number; policyVersion: number; at: Date; expiresAt: Date;
  }): Promise<{ issued: number; notDrawn: string[] }> {
    const rows: { household_id: string | null; issued: number }[] = await tx.query(
      `WITH w AS (
         SELECT * FROM unnest($4::text[], $5::int[], $6::uuid[], $7::text[]) AS w(entry_id, rank, voucher_id, code)
       ), won AS (
         UPDATE lottery_entries e SET status = 'won', voucher_code = w.code, win_rank = w.rank, decided_at = $8
           FROM w
          WHERE e.program_id = $1 AND e.city = $2 AND e.draw_date = $3 AND e.entry_id = w.entry_id AND e.status = 'entered'
         RETURNING e.household_id, w.voucher_id, w.code
       ), issued AS (
         INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at)
         SELECT won.voucher_id, won.code, $1, $2, won.household_id, 'open', $9::bigint, $10::int, $8, $11 FROM won
         RETURNING id
       ), lost AS (
         UPDATE lottery_entries e SET status = 'not_drawn', decided_at = $8
          WHERE e.program_id = $1 AND e.city = $2 AND e.draw_date = $3 AND e.status = 'entered' AND e.entry_id <> ALL($4::text[])
         RETURNING e.household_id
       )
       SELECT lost.household_id, (SELECT count(*)::int FROM issued) AS issued FROM (SELECT 1) one LEFT JOIN lost ON true`,
      [d.programId, d.city, d.drawDate, d.winners.map((w) => w.entryId), d.winners.map((w) => w.rank), d.winners.map((w) => w.voucherId),
        d.winners.map((w) => w.code), d.at, d.reservedFen, d.policyVersion, d.expiresAt],
    );
    return { issued: rows[0]?.issued ?? 0, notDrawn: rows.filter((r) => r.household_id !== null).map((r) => r.household_id!) };
  }

  /** The draw is drawn: only an open draw moves (a conditional update); answers whether this call moved it. */
  async markDrawn(tx: Tx, d: {
    programId: string; city: string; drawDate: string; reveal: string; seed: string; entriesRoot: string; treeHead: LotteryDraw['treeHead'];
    quota: number; capFen: number; entriesCount: number; winnersCount: number; at: Date;
  }): Promise<boolean> {
    const rows = returnedRows<{ moved: boolean }>(await tx.query(
      `UPDATE lottery_draws SET status = 'drawn', reveal = $4, seed = $5, entries_root = $6, tree_head = $7, quota = $8, cap_fen = $9,
              entries_count = $10, winners_count = $11, drawn_at = $12
        WHERE program_id = $1 AND city = $2 AND draw_date = $3 AND status = 'open'
       RETURNING true AS moved`,
      [d.programId, d.city, d.drawDate, d.reveal, d.seed, d.entriesRoot, JSON.stringify(d.treeHead), d.quota, d.capFen, d.entriesCount, d.winnersCount, d.at],
    ));
    return rows.length > 0;
  }

  /**
   * The drawn day's quota is spent: `winners` vouchers released and all issued (quota_day_slots), so the day reads
   * as sold out in availability and nothing else can be issued from it. Call after VouchersRepository.releaseDay.
   */
  async exhaustDay(tx: Tx, programId: string, city: string, day: string): Promise<void> {
    await tx.query(`UPDATE quota_day_slots SET issued = released WHERE program_id = $1 AND city = $2 AND day = $3 AND issued < released`, [programId, city, day]);
  }
}
