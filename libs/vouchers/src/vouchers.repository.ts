import { Injectable } from '@nestjs/common';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';

export interface VoucherRow {
  id: string;
  code: string;
  program_id: string;
  program_code: string;
  city: string;
  household_id: string;
  status: 'open' | 'used' | 'expired';
  reserved_fen: string;
  policy_version: number;
  issued_at: Date;
  expires_at: Date;
  used_at: Date | null;
  expired_at: Date | null;
}

export interface ExpiredVoucher {
  id: string;
  code: string;
  program_id: string;
  city: string;
  reserved_fen: string;
}

const SELECT = `SELECT v.id, v.code, v.program_id, p.code AS program_code, v.city, v.household_id, v.status, v.reserved_fen,
                       v.policy_version, v.issued_at, v.expires_at, v.used_at, v.expired_at
                  FROM vouchers v JOIN programs p ON p.id = v.program_id`;

@Injectable()
export class VouchersRepository {
  constructor(private readonly db: TransactionService) {}

  async countLiveClaims(tx: Tx, programId: string, householdId: string): Promise<number> {
    const [r] = await tx.query(
      `SELECT count(*)::int AS n FROM claims WHERE program_id = $1 AND household_id = $2 AND status NOT IN ('rejected', 'cancelled')`,
      [programId, householdId],
    );
    return r.n;
  }

  async findOpen(tx: Tx, programId: string, householdId: string): Promise<VoucherRow | undefined> {
    const rows = await tx.query(`${SELECT} WHERE v.program_id = $1 AND v.household_id = $2 AND v.status = 'open' FOR UPDATE OF v`, [programId, householdId]);
    return rows[0];
  }

  async findByCode(code: string): Promise<VoucherRow | undefined> {
    const rows = await this.db.manager.query(`${SELECT} WHERE v.code = $1`, [code]);
    return rows[0];
  }

  /** The voucher, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockByCode(tx: Tx, code: string): Promise<VoucherRow | undefined> {
    const rows = await tx.query(`${SELECT} WHERE v.code = $1 FOR UPDATE OF v`, [code]);
    return rows[0];
  }

  async listForHousehold(householdId: string): Promise<VoucherRow[]> {
    return this.db.manager.query(`${SELECT} WHERE v.household_id = $1 ORDER BY v.issued_at DESC LIMIT 100`, [householdId]);
  }

  async quota(tx: Tx, programId: string, city: string): Promise<{ daily_vouchers: number; release_time: string } | undefined> {
    const rows = await tx.query(`SELECT daily_vouchers, release_time FROM quotas WHERE program_id = $1 AND city = $2`, [programId, city]);
    return rows[0];
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

  async insert(tx: Tx, v: { id: string; code: string; programId: string; city: string; householdId: string; reservedFen: number; policyVersion: number; issuedAt: Date; expiresAt: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9)`,
      [v.id, v.code, v.programId, v.city, v.householdId, v.reservedFen, v.policyVersion, v.issuedAt, v.expiresAt],
    );
  }

  /**
   * Marks open vouchers past their expiry as expired and returns them. SKIP LOCKED lets several workers
   * (and a trade-in holding a voucher) proceed without waiting on each other.
   */
  async expireDue(tx: Tx, now: Date, limit: number, onlyId?: string): Promise<ExpiredVoucher[]> {
    return returnedRows(await tx.query(
      `WITH due AS (
         SELECT id FROM vouchers
          WHERE status = 'open' AND expires_at <= $1 ${onlyId ? 'AND id = $3' : ''}
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       UPDATE vouchers v SET status = 'expired', expired_at = $1 FROM due WHERE v.id = due.id
       RETURNING v.id, v.code, v.program_id, v.city, v.reserved_fen`,
      onlyId ? [now, limit, onlyId] : [now, limit],
    ));
  }

  async availability(programId: string, day: string): Promise<{ city: string; daily_vouchers: number; release_time: string; released: number | null; issued: number | null }[]> {
    return this.db.manager.query(
      `SELECT q.city, q.daily_vouchers, q.release_time, d.released, d.issued
         FROM quotas q LEFT JOIN quota_days d ON d.program_id = q.program_id AND d.city = q.city AND d.day = $2
        WHERE q.program_id = $1`,
      [programId, day],
    );
  }
}
