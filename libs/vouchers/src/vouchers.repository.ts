import { Injectable } from '@nestjs/common';
import { Fen, fenFromDb } from '@huanxin/core';
import { queryPrepared, returnedRows, TransactionService, Tx } from '@huanxin/database';

export type VoucherStatus = 'open' | 'used' | 'expired';

export interface Voucher {
  id: string;
  code: string;
  programId: string;
  city: string;
  householdId: string;
  /** As stored: an open voucher past `expiresAt` waits for the expiry job (see `toVoucherView`). */
  status: VoucherStatus;
  reservedFen: Fen;
  policyVersion: number;
  issuedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  expiredAt: Date | null;
  /**
   * The quota slot the voucher was taken from, whose ledger slot accounts hold its reservation (null: the city's
   * main account holds it): where its trade-in turns the reservation into a claim (LedgerService.commitInSlot).
   */
  slot: number | null;
}

export type ExpiredVoucher = Pick<Voucher, 'id' | 'code' | 'programId' | 'city' | 'reservedFen' | 'slot'>;

/** A voucher as issued (status open). */
export type NewVoucher = Pick<Voucher, 'id' | 'code' | 'programId' | 'city' | 'householdId' | 'reservedFen' | 'policyVersion' | 'issuedAt' | 'expiresAt'>
  & { slot?: number | null };

/** A voucher of the day's quota: its slot and what is left on the slot after it, or why there is none (`takeSlot`). */
export type TakenSlot = { slot: number; left: number } | 'sold_out' | 'busy' | 'unreleased';

/** A city's release on one day: `released` vouchers, `issued` of them taken. */
export interface QuotaDay {
  city: string;
  released: number;
  issued: number;
}

interface VoucherRow {
  id: string;
  code: string;
  program_id: string;
  city: string;
  household_id: string;
  status: VoucherStatus;
  reserved_fen: string;
  policy_version: number;
  issued_at: Date;
  expires_at: Date;
  used_at: Date | null;
  expired_at: Date | null;
  slot: number | null;
}

const COLUMNS = `v.id, v.code, v.program_id, v.city, v.household_id, v.status, v.reserved_fen, v.policy_version, v.issued_at, v.expires_at,
                 v.used_at, v.expired_at, v.slot`;
const SELECT = `SELECT ${COLUMNS} FROM vouchers v`;

function toVoucher(r: VoucherRow): Voucher {
  return {
    id: r.id, code: r.code, programId: r.program_id, city: r.city, householdId: r.household_id, status: r.status,
    reservedFen: fenFromDb(r.reserved_fen, 'reserved_fen'), policyVersion: r.policy_version, issuedAt: r.issued_at,
    expiresAt: r.expires_at, usedAt: r.used_at, expiredAt: r.expired_at, slot: r.slot ?? null,
  };
}

/** Vouchers and the daily release counters they are taken from (this lib owns `vouchers` and `quota_days`). */
@Injectable()
export class VouchersRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * From the pool, unlocked: the household's open voucher in the programme, and whether the city's day is sold out
   * (released, and no voucher left on any slot — final), and how many vouchers it has ever held in the programme
   * (`held`, any status). Lets a refusal be answered without a transaction.
   */
  async openAndSoldOut(
    programId: string, householdId: string, city: string, day: string,
  ): Promise<{ open: Voucher | undefined; soldOut: boolean; held: number }> {
    const [r]: (Partial<VoucherRow> & { sold_out: boolean; held: number })[] = await queryPrepared(this.db.manager,
      `SELECT ${COLUMNS},
              EXISTS (SELECT 1 FROM quota_day_slots WHERE program_id = $1 AND city = $3 AND day = $4)
              AND NOT EXISTS (SELECT 1 FROM quota_day_slots WHERE program_id = $1 AND city = $3 AND day = $4 AND issued < released) AS sold_out,
              (SELECT count(*)::int FROM vouchers WHERE household_id = $2 AND program_id = $1) AS held
         FROM (SELECT 1) one
         LEFT JOIN vouchers v ON v.program_id = $1 AND v.household_id = $2 AND v.status = 'open'`,
      [programId, householdId, city, day],
    );
    return { open: r.id ? toVoucher(r as VoucherRow) : undefined, soldOut: r.sold_out, held: r.held };
  }

  /** The voucher, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockByCode(tx: Tx, code: string): Promise<Voucher | undefined> {
    const rows: VoucherRow[] = await queryPrepared(tx, `${SELECT} WHERE v.code = $1 FOR UPDATE OF v`, [code]);
    return rows[0] && toVoucher(rows[0]);
  }

  async listForHousehold(householdId: string): Promise<Voucher[]> {
    const rows: VoucherRow[] = await this.db.manager.query(`${SELECT} WHERE v.household_id = $1 ORDER BY v.issued_at DESC LIMIT 100`, [householdId]);
    return rows.map(toVoucher);
  }

  /**
   * Releases the day's quota (`released` vouchers) over `slots` slot rows, as even as integers go, unless it is
   * already released. One statement: two releasing the same day queue on the first slot's key and the later one
   * inserts nothing, so the slots always sum to one quota. The rush calls it with the pool's manager (committed
   * at once, holding nothing while anything else runs), before its transaction opens.
   */
  async releaseDay(tx: Tx, programId: string, city: string, day: string, released: number, slots: number): Promise<void> {
    await tx.query(
      `INSERT INTO quota_day_slots (program_id, city, day, slot, released)
       SELECT $1, $2, $3, s, $4::int / $5::int + CASE WHEN s <= $4::int % $5::int THEN 1 ELSE 0 END
         FROM generate_series(1, $5::int) s
        ORDER BY s
       ON CONFLICT DO NOTHING`,
      [programId, city, day, released, slots],
    );
  }

  /**
   * Takes one voucher from the day's release, held until `tx` ends: the slot taken and what is left on it after
   * this voucher; or `sold_out` (final: a day's slots are never refilled, so a snapshot with no voucher left on any
   * slot is the truth from then on); or `busy` (vouchers are left, but on slots other transactions hold: look
   * again shortly); or `unreleased` (no slot rows yet).
   *
   * A slot with vouchers left that no other transaction holds (SKIP LOCKED), starting at slot `start` so that
   * concurrent requests spread over the slots instead of queueing on one. Each slot's CHECK (issued <= released)
   * keeps the day at its quota. It never waits for a slot row: READ COMMITTED may leave a row locked that the
   * statement passed over (locked at its newest version, found full, not taken), and a transaction waiting for
   * a slot while holding such a row could wait for one that waits for it.
   *
   * In the same statement, to spare the rush round trips: `lockOpenOf` also locks that household's open voucher
   * (held until `tx` ends, FOR UPDATE) and `insert` also inserts the new voucher — only when a slot was taken and the
   * household holds no open voucher (an expired one is expired first, then the voucher inserted with `insert`).
   * The caller refuses for an open voucher first if it must; its transaction's rollback undoes the rest.
   */
  async takeSlot(
    tx: Tx, q: { programId: string; city: string; day: string; start: number }, opts: { lockOpenOf?: string; insert?: NewVoucher } = {},
  ): Promise<{ open: Voucher | undefined; taken: TakenSlot; inserted: boolean }> {
    const params: unknown[] = [q.programId, q.city, q.day, q.start];
    const param = (v: unknown) => `$${params.push(v)}`;
    const open = opts.lockOpenOf ? `, open AS (
         ${SELECT} WHERE v.program_id = $1 AND v.household_id = ${param(opts.lockOpenOf)} AND v.status = 'open' FOR UPDATE OF v
       )` : '';
    const v = opts.insert;
    const ins = v ? `, ins AS (
         INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, slot)
         SELECT ${param(v.id)}::uuid, ${param(v.code)}, $1, $2, ${param(v.householdId)}::uuid, 'open', ${param(v.reservedFen)}::bigint,
                ${param(v.policyVersion)}::int, ${param(v.issuedAt)}::timestamptz, ${param(v.expiresAt)}::timestamptz, took.slot
           FROM took ${opts.lockOpenOf ? 'WHERE NOT EXISTS (SELECT 1 FROM open)' : ''}
         RETURNING id
       )` : '';
    // a prepared statement (`queryPrepared`): its text is one of four (the options), planned once per connection
    const rows = returnedRows<Partial<VoucherRow> & { taken_slot: number | null; left: number | null; open_slots: boolean; released: boolean; inserted: boolean }>(await queryPrepared(tx,
      `WITH pick AS (
         SELECT slot FROM quota_day_slots
          WHERE program_id = $1 AND city = $2 AND day = $3 AND issued < released
          ORDER BY slot < $4, slot
          LIMIT 1
            FOR UPDATE SKIP LOCKED
       ), took AS (
         UPDATE quota_day_slots q SET issued = q.issued + 1
           FROM pick
          WHERE q.program_id = $1 AND q.city = $2 AND q.day = $3 AND q.slot = pick.slot
         RETURNING q.slot, q.released - q.issued AS left
       )${open}${ins}
       SELECT took.slot AS taken_slot, took.left${open ? ', open.*' : ''},
              ${ins ? 'EXISTS (SELECT 1 FROM ins)' : 'false'} AS inserted,
              EXISTS (SELECT 1 FROM quota_day_slots WHERE program_id = $1 AND city = $2 AND day = $3 AND issued < released) AS open_slots,
              EXISTS (SELECT 1 FROM quota_day_slots WHERE program_id = $1 AND city = $2 AND day = $3) AS released
         FROM (SELECT 1) one LEFT JOIN took ON true${open ? ' LEFT JOIN open ON true' : ''}`,
      params,
    ));
    const [r] = rows;
    const openVoucher = r.id ? toVoucher(r as VoucherRow) : undefined;
    const taken: TakenSlot = r.taken_slot !== null ? { slot: r.taken_slot, left: r.left! } : !r.released ? 'unreleased' : r.open_slots ? 'busy' : 'sold_out';
    return { open: openVoucher, taken, inserted: r.inserted };
  }

  /** The day's slots of one programme and city with what is left on each, from the pool. */
  async slotsLeft(programId: string, city: string, day: string): Promise<{ slot: number; left: number }[]> {
    return this.db.manager.query(
      `SELECT slot, released - issued AS left FROM quota_day_slots WHERE program_id = $1 AND city = $2 AND day = $3 ORDER BY slot`,
      [programId, city, day],
    );
  }

  /** The slots of `day` with vouchers left (every programme and city): the ones whose money is still in use. */
  async openSlots(day: string): Promise<{ programId: string; city: string; slot: number }[]> {
    const rows: { program_id: string; city: string; slot: number }[] = await this.db.manager.query(
      `SELECT program_id, city, slot FROM quota_day_slots WHERE day = $1 AND issued < released`,
      [day],
    );
    return rows.map((r) => ({ programId: r.program_id, city: r.city, slot: r.slot }));
  }

  /**
   * The programme's releases on `day` (YYYY-MM-DD, Asia/Shanghai), one per city that has taken a voucher that day.
   * `on`: where to read — public availability passes the read replica's manager (ReadDatabase.run).
   */
  async quotaDays(on: Tx, programId: string, day: string): Promise<QuotaDay[]> {
    return on.query(`SELECT city, released, issued FROM quota_days WHERE program_id = $1 AND day = $2`, [programId, day]);
  }

  async insert(tx: Tx, v: NewVoucher): Promise<void> {
    await tx.query(
      `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, slot)
       VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10)`,
      [v.id, v.code, v.programId, v.city, v.householdId, v.reservedFen, v.policyVersion, v.issuedAt, v.expiresAt, v.slot ?? null],
    );
  }

  /** The household gave the voucher up (call with it locked and open: `lockByCode`): it ends as expired, now. */
  async giveUp(tx: Tx, voucherId: string, at: Date): Promise<void> {
    await tx.query(`UPDATE vouchers SET status = 'expired', expired_at = $2 WHERE id = $1 AND status = 'open'`, [voucherId, at]);
  }

  /** The trade-in consumed the voucher (call with it locked: `lockByCode`). */
  async markUsed(tx: Tx, voucherId: string, at: Date): Promise<void> {
    await queryPrepared(tx, `UPDATE vouchers SET status = 'used', used_at = $2 WHERE id = $1`, [voucherId, at]);
  }

  /**
   * Marks open vouchers past their expiry as expired and returns them. SKIP LOCKED lets several workers
   * (and a trade-in holding a voucher) proceed without waiting on each other.
   */
  async expireDue(tx: Tx, now: Date, limit: number, onlyId?: string): Promise<ExpiredVoucher[]> {
    const rows = returnedRows<Pick<VoucherRow, 'id' | 'code' | 'program_id' | 'city' | 'reserved_fen' | 'slot'>>(await tx.query(
      `WITH due AS (
         SELECT id FROM vouchers
          WHERE status = 'open' AND expires_at <= $1 ${onlyId ? 'AND id = $3' : ''}
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE vouchers v SET status = 'expired', expired_at = $1 FROM due WHERE v.id = due.id
       RETURNING v.id, v.code, v.program_id, v.city, v.reserved_fen, v.slot`,
      onlyId ? [now, limit, onlyId] : [now, limit],
    ));
    return rows.map((r) => ({ id: r.id, code: r.code, programId: r.program_id, city: r.city, reservedFen: fenFromDb(r.reserved_fen, 'reserved_fen'), slot: r.slot ?? null }));
  }
}
