import { Injectable } from '@nestjs/common';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';

export type WaitlistStatus = 'waiting' | 'served' | 'skipped';

export interface WaitlistEntry {
  programId: string;
  city: string;
  day: string;
  status: WaitlistStatus;
  /** Among the day's households still waiting (1 = next); null unless waiting. */
  position: number | null;
  voucherCode: string | null;
  joinedAt: Date;
  servedAt: Date | null;
}

/** A household the waitlist serves: its voucher's id and code. */
export interface WaitlistServing {
  householdId: string;
  voucherId: string;
  code: string;
}

/**
 * The waitlist of first-come cities (issue 13; this lib owns `waitlist_entries`, next to the vouchers it issues):
 * one row a household, programme, city and day, in joining order (`seq`).
 */
@Injectable()
export class WaitlistRepository {
  constructor(private readonly db: TransactionService) {}

  /** Joins the day's waitlist; a second time violates the primary key. Answers the household's position. */
  async join(tx: Tx, e: { programId: string; city: string; day: string; householdId: string; at: Date }): Promise<number> {
    const [r]: { position: number }[] = await tx.query(
      `WITH ins AS (
         INSERT INTO waitlist_entries (program_id, city, day, household_id, joined_at) VALUES ($1, $2, $3, $4, $5) RETURNING seq
       )
       SELECT 1 + (SELECT count(*)::int FROM waitlist_entries w
                    WHERE w.program_id = $1 AND w.city = $2 AND w.day = $3 AND w.status = 'waiting' AND w.seq < ins.seq) AS position
         FROM ins`,
      [e.programId, e.city, e.day, e.householdId, e.at],
    );
    return r.position;
  }

  /** The household's waitlist rows, newest day first (at most 100), each waiting one with its position. */
  async ofHousehold(householdId: string): Promise<WaitlistEntry[]> {
    const rows: { program_id: string; city: string; day: string; status: WaitlistStatus; position: number | null; voucher_code: string | null; joined_at: Date; served_at: Date | null }[] =
      await this.db.manager.query(
        `SELECT w.program_id, w.city, to_char(w.day, 'YYYY-MM-DD') AS day, w.status, w.voucher_code, w.joined_at, w.served_at,
                CASE WHEN w.status = 'waiting' THEN 1 + (SELECT count(*)::int FROM waitlist_entries o
                  WHERE o.program_id = w.program_id AND o.city = w.city AND o.day = w.day AND o.status = 'waiting' AND o.seq < w.seq) END AS position
           FROM waitlist_entries w
          WHERE w.household_id = $1
          ORDER BY w.day DESC, w.seq DESC
          LIMIT 100`,
        [householdId],
      );
    return rows.map((r) => ({
      programId: r.program_id, city: r.city, day: r.day, status: r.status, position: r.position, voucherCode: r.voucher_code, joinedAt: r.joined_at, servedAt: r.served_at,
    }));
  }

  /** The programmes and cities with households waiting on `day`. */
  async waitingCities(day: string): Promise<{ programId: string; city: string }[]> {
    const rows: { program_id: string; city: string }[] = await this.db.manager.query(
      `SELECT DISTINCT program_id, city FROM waitlist_entries WHERE day = $1 AND status = 'waiting' ORDER BY program_id, city`,
      [day],
    );
    return rows.map((r) => ({ programId: r.program_id, city: r.city }));
  }

  /**
   * Every household waiting in the city's day, in order, locked until `tx` ends (FOR UPDATE, in `seq` order): the
   * city's waitlist is served by one transaction at a time — a second worker waits for the first row, then finds
   * the rows the first served no longer waiting, and counts what the first served.
   */
  async lockQueue(tx: Tx, programId: string, city: string, day: string): Promise<string[]> {
    const rows: { household_id: string }[] = await tx.query(
      `SELECT household_id FROM waitlist_entries
        WHERE program_id = $1 AND city = $2 AND day = $3 AND status = 'waiting'
        ORDER BY seq
          FOR UPDATE`,
      [programId, city, day],
    );
    return rows.map((r) => r.household_id);
  }

  /** How many households the city's waitlist served on `day`. */
  async servedCount(tx: Tx, programId: string, city: string, day: string): Promise<number> {
    const [r]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM waitlist_entries WHERE program_id = $1 AND city = $2 AND day = $3 AND status = 'served'`,
      [programId, city, day],
    );
    return r.n;
  }

  /** How many of the programme's vouchers in `city` expired in [from, to): each gave its place and money back. */
  async expiredIn(tx: Tx, programId: string, city: string, from: Date, to: Date): Promise<number> {
    const [r]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM vouchers WHERE program_id = $1 AND city = $2 AND status = 'expired' AND expired_at >= $3 AND expired_at < $4`,
      [programId, city, from, to],
    );
    return r.n;
  }

  /** Of `householdIds`, those holding an open, unexpired voucher of the programme. */
  async openVoucherHolders(tx: Tx, programId: string, householdIds: string[], now: Date): Promise<Set<string>> {
    if (!householdIds.length) return new Set();
    const rows: { household_id: string }[] = await tx.query(
      `SELECT household_id FROM vouchers WHERE program_id = $1 AND household_id = ANY($2::uuid[]) AND status = 'open' AND expires_at > $3`,
      [programId, householdIds, now],
    );
    return new Set(rows.map((r) => r.household_id));
  }

  /** Households that cannot be given a voucher any more leave the day's waitlist (`skipped`). */
  async skip(tx: Tx, programId: string, city: string, day: string, householdIds: string[], at: Date): Promise<void> {
    if (!householdIds.length) return;
    await tx.query(
      `UPDATE waitlist_entries SET status = 'skipped', served_at = $5
        WHERE program_id = $1 AND city = $2 AND day = $3 AND household_id = ANY($4::uuid[]) AND status = 'waiting'`,
      [programId, city, day, householdIds, at],
    );
  }

  /**
   * Serves households in one statement: their rows become `served` with their voucher (only rows still waiting: a
   * conditional update), and the vouchers are inserted for exactly the rows that moved (open, reserving
   * `reservedFen` each: the caller posts the reservation). Answers how many vouchers went in.
   */
  async serve(tx: Tx, s: {
    programId: string; city: string; day: string; serving: WaitlistServing[]; reservedFen: number; policyVersion: number; at: Date; expiresAt: Date;
  }): Promise<number> {
    if (!s.serving.length) return 0;
    const rows = returnedRows<{ id: string }>(await tx.query(
      `WITH s AS (
         SELECT * FROM unnest($4::uuid[], $5::uuid[], $6::text[]) AS s(household_id, voucher_id, code)
       ), moved AS (
         UPDATE waitlist_entries w SET status = 'served', voucher_code = s.code, served_at = $7
           FROM s
          WHERE w.program_id = $1 AND w.city = $2 AND w.day = $3 AND w.household_id = s.household_id AND w.status = 'waiting'
         RETURNING w.household_id, s.voucher_id, s.code
       )
       INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at)
       SELECT moved.voucher_id, moved.code, $1, $2, moved.household_id, 'open', $8::bigint, $9::int, $7, $10 FROM moved
       RETURNING id`,
      [s.programId, s.city, s.day, s.serving.map((x) => x.householdId), s.serving.map((x) => x.voucherId), s.serving.map((x) => x.code), s.at,
        s.reservedFen, s.policyVersion, s.expiresAt],
    ));
    return rows.length;
  }
}
