import { Injectable } from '@nestjs/common';
import { TransactionService, Tx } from '@huanxin/database';

export interface ReceiptRevocation {
  rid: string;
  reason: string | null;
  revokedAt: Date;
}

/** Where a page of one recycler's revocations ended: newest first on (revoked_at to the millisecond, rid). */
export interface RevocationKey {
  revokedAt: Date;
  rid: string;
}

/**
 * receipt_revocations (this lib owns the table). The keyset compares revoked_at truncated to the
 * millisecond, as a cursor carries it (a JavaScript date): a row stored with microseconds is neither repeated
 * nor skipped at a page boundary.
 */
@Injectable()
export class ReceiptRevocationsRepository {
  constructor(private readonly db: TransactionService) {}

  async page(recyclerId: string, limit: number, after?: RevocationKey): Promise<ReceiptRevocation[]> {
    const rows: { rid: string; reason: string | null; revoked_at: Date }[] = await this.db.manager.query(
      `SELECT rid, reason, revoked_at
         FROM receipt_revocations
        WHERE recycler_id = $1
          AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', revoked_at), rid) < ($2::timestamptz, $3::text))
        ORDER BY date_trunc('milliseconds', revoked_at) DESC, rid DESC
        LIMIT $4`,
      [recyclerId, after?.revokedAt ?? null, after?.rid ?? null, limit],
    );
    return rows.map((r) => ({ rid: r.rid, reason: r.reason, revokedAt: r.revoked_at }));
  }

  /** Records the revocation; false (and nothing changes) when the recycler revoked `rid` before. */
  async insertIfNew(tx: Tx, r: { recyclerId: string; rid: string; reason: string | null; at: Date }): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO receipt_revocations (recycler_id, rid, reason, revoked_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (recycler_id, rid) DO NOTHING RETURNING revoked_at`,
      [r.recyclerId, r.rid, r.reason, r.at],
    );
    return rows.length > 0;
  }

  async find(tx: Tx, recyclerId: string, rid: string): Promise<ReceiptRevocation | undefined> {
    const rows: { rid: string; reason: string | null; revoked_at: Date }[] = await tx.query(
      `SELECT rid, reason, revoked_at FROM receipt_revocations WHERE recycler_id = $1 AND rid = $2`,
      [recyclerId, rid],
    );
    return rows[0] && { rid: rows[0].rid, reason: rows[0].reason, revokedAt: rows[0].revoked_at };
  }

  async isRevoked(tx: Tx, recyclerId: string, rid: string): Promise<boolean> {
    const rows = await tx.query(`SELECT 1 FROM receipt_revocations WHERE recycler_id = $1 AND rid = $2`, [recyclerId, rid]);
    return rows.length > 0;
  }
}
