import { Injectable } from '@nestjs/common';
import { Fen, fenFromDb } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';

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
}

export type ExpiredVoucher = Pick<Voucher, 'id' | 'code' | 'programId' | 'city' | 'reservedFen'>;

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
}

const COLUMNS = `v.id, v.code, v.program_id, v.city, v.household_id, v.status, v.reserved_fen, v.policy_version, v.issued_at, v.expires_at,
                 v.used_at, v.expired_at`;
const SELECT = `SELECT ${COLUMNS} FROM vouchers v`;

function toVoucher(r: VoucherRow): Voucher {
  return {
    id: r.id, code: r.code, programId: r.program_id, city: r.city, householdId: r.household_id, status: r.status,
    reservedFen: fenFromDb(r.reserved_fen, 'reserved_fen'), policyVersion: r.policy_version, issuedAt: r.issued_at,
    expiresAt: r.expires_at, usedAt: r.used_at, expiredAt: r.expired_at,
  };
}

/** Vouchers and the daily release counters they are taken from (this lib owns `vouchers` and `quota_days`). */
@Injectable()
export class VouchersRepository {
  constructor(private readonly db: TransactionService) {}

  /** The household's open voucher in the programme, held until `tx` ends (FOR UPDATE). */
  async lockOpen(tx: Tx, programId: string, householdId: string): Promise<Voucher | undefined> {
    const rows: VoucherRow[] = await tx.query(`${SELECT} WHERE v.program_id = $1 AND v.household_id = $2 AND v.status = 'open' FOR UPDATE OF v`, [programId, householdId]);
    return rows[0] && toVoucher(rows[0]);
  }

  /** The voucher, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockByCode(tx: Tx, code: string): Promise<Voucher | undefined> {
    const rows: VoucherRow[] = await tx.query(`${SELECT} WHERE v.code = $1 FOR UPDATE OF v`, [code]);
    return rows[0] && toVoucher(rows[0]);
  }

  async listForHousehold(householdId: string): Promise<Voucher[]> {
    const rows: VoucherRow[] = await this.db.manager.query(`${SELECT} WHERE v.household_id = $1 ORDER BY v.issued_at DESC LIMIT 100`, [householdId]);
    return rows.map(toVoucher);
  }

  /** Takes one voucher from the day's release; false when none is left. Race-safe: a conditional update. */
  async takeFromQuota(tx: Tx, programId: string, city: string, day: string, dailyVouchers: number): Promise<boolean> {
    await tx.query(
      `INSERT INTO quota_days (program_id, city, day, released) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [programId, city, day, dailyVouchers],
    );
    const rows = returnedRows(await tx.query(
      `UPDATE quota_days SET issued = issued + 1 WHERE program_id = $1 AND city = $2 AND day = $3 AND issued < released RETURNING issued`,
      [programId, city, day],
    ));
    return rows.length > 0;
  }

  /** The programme's releases on `day` (YYYY-MM-DD, Asia/Shanghai), one per city that has taken a voucher that day. */
  async quotaDays(programId: string, day: string): Promise<QuotaDay[]> {
    return this.db.manager.query(`SELECT city, released, issued FROM quota_days WHERE program_id = $1 AND day = $2`, [programId, day]);
  }

  async insert(tx: Tx, v: { id: string; code: string; programId: string; city: string; householdId: string; reservedFen: Fen; policyVersion: number; issuedAt: Date; expiresAt: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9)`,
      [v.id, v.code, v.programId, v.city, v.householdId, v.reservedFen, v.policyVersion, v.issuedAt, v.expiresAt],
    );
  }

  /** The trade-in consumed the voucher (call with it locked: `lockByCode`). */
  async markUsed(tx: Tx, voucherId: string, at: Date): Promise<void> {
    await tx.query(`UPDATE vouchers SET status = 'used', used_at = $2 WHERE id = $1`, [voucherId, at]);
  }

  /**
   * Marks open vouchers past their expiry as expired and returns them. SKIP LOCKED lets several workers
   * (and a trade-in holding a voucher) proceed without waiting on each other.
   */
  async expireDue(tx: Tx, now: Date, limit: number, onlyId?: string): Promise<ExpiredVoucher[]> {
    const rows = returnedRows<Pick<VoucherRow, 'id' | 'code' | 'program_id' | 'city' | 'reserved_fen'>>(await tx.query(
      `WITH due AS (
         SELECT id FROM vouchers
          WHERE status = 'open' AND expires_at <= $1 ${onlyId ? 'AND id = $3' : ''}
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE vouchers v SET status = 'expired', expired_at = $1 FROM due WHERE v.id = due.id
       RETURNING v.id, v.code, v.program_id, v.city, v.reserved_fen`,
      onlyId ? [now, limit, onlyId] : [now, limit],
    ));
    return rows.map((r) => ({ id: r.id, code: r.code, programId: r.program_id, city: r.city, reservedFen: fenFromDb(r.reserved_fen, 'reserved_fen') }));
  }
}
