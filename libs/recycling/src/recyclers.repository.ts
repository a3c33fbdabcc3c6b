import { Injectable } from '@nestjs/common';
import { isUuid } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import type { CertificationPeriod, Recycler, RecyclerStatus } from './recycling.types';

interface RecyclerRow {
  id: string;
  name: string;
  credit_code: string;
  status: RecyclerStatus;
  certified_at: Date;
  decertified_at: Date | null;
  created_at: Date;
}

const COLUMNS = `id, name, credit_code, status, certified_at, decertified_at, created_at`;

function toRecycler(r: RecyclerRow): Recycler {
  return {
    id: r.id, name: r.name, creditCode: r.credit_code, status: r.status,
    certifiedAt: r.certified_at, decertifiedAt: r.decertified_at, createdAt: r.created_at,
  };
}

/**
 * Recyclers and their certification periods. Look-ups accept any string (a receipt's `iss` included): a
 * non-UUID simply is not found.
 */
@Injectable()
export class RecyclersRepository {
  constructor(private readonly db: TransactionService) {}

  /** `certifiedFrom` (default `at`): when certification began outside the platform, the start of the first period. */
  async insert(tx: Tx, r: { id: string; name: string; creditCode: string; at: Date; certifiedFrom?: Date }): Promise<void> {
    const from = r.certifiedFrom ?? r.at;
    await tx.query(
      `INSERT INTO recyclers (id, name, credit_code, status, certified_at, created_at) VALUES ($1, $2, $3, 'certified', $4, $5)`,
      [r.id, r.name, r.creditCode, from, r.at],
    );
    await tx.query(`INSERT INTO recycler_certifications (recycler_id, certified_at) VALUES ($1, $2)`, [r.id, from]);
  }

  /** Recyclers in the order they were certified first, after the one with id `afterId`. */
  async page(limit: number, afterId?: string): Promise<Recycler[]> {
    const rows: RecyclerRow[] = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM recyclers
        WHERE $1::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM recyclers WHERE id = $1::uuid)
        ORDER BY created_at, id
        LIMIT $2`,
      [afterId ?? null, limit],
    );
    return rows.map(toRecycler);
  }

  async findById(id: string): Promise<Recycler | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RecyclerRow[] = await this.db.manager.query(`SELECT ${COLUMNS} FROM recyclers WHERE id = $1`, [id]);
    return rows[0] && toRecycler(rows[0]);
  }

  /** The recycler locked inside `tx`: `update` for a certification change, `share` to keep it from changing. */
  async lockById(tx: Tx, id: string, mode: 'update' | 'share' = 'update'): Promise<Recycler | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RecyclerRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM recyclers WHERE id = $1 ${mode === 'update' ? 'FOR UPDATE' : 'FOR SHARE'}`,
      [id],
    );
    return rows[0] && toRecycler(rows[0]);
  }

  /**
   * Every period in which the recycler was certified, oldest first; the last is open while it is certified.
   * A receipt is acceptable only if its signing time falls inside one (see `wasCertifiedAt`).
   */
  async certificationPeriods(recyclerId: string): Promise<CertificationPeriod[]> {
    return this.periods(this.db.manager, recyclerId);
  }

  /** `certificationPeriods` as `tx` sees them (a receipt checked inside a trade-in, a period just opened or closed). */
  async certificationPeriodsInTx(tx: Tx, recyclerId: string): Promise<CertificationPeriod[]> {
    return this.periods(tx, recyclerId);
  }

  private async periods(q: Tx, recyclerId: string): Promise<CertificationPeriod[]> {
    if (!isUuid(recyclerId)) return [];
    const rows: { certified_at: Date; decertified_at: Date | null }[] = await q.query(
      `SELECT certified_at, decertified_at FROM recycler_certifications WHERE recycler_id = $1 ORDER BY certified_at, id`,
      [recyclerId],
    );
    return rows.map((r) => ({ certifiedAt: r.certified_at, decertifiedAt: r.decertified_at }));
  }

  /** Closes the open period. Call with the recycler locked and certified. */
  async decertify(tx: Tx, id: string, at: Date): Promise<void> {
    await tx.query(`UPDATE recyclers SET status = 'decertified', decertified_at = $2 WHERE id = $1`, [id, at]);
    await tx.query(`UPDATE recycler_certifications SET decertified_at = $2 WHERE recycler_id = $1 AND decertified_at IS NULL`, [id, at]);
  }

  /** Opens a new period; earlier ones stay as they were. Call with the recycler locked and decertified. */
  async recertify(tx: Tx, id: string, at: Date): Promise<void> {
    await tx.query(`UPDATE recyclers SET status = 'certified', certified_at = $2, decertified_at = NULL WHERE id = $1`, [id, at]);
    await tx.query(`INSERT INTO recycler_certifications (recycler_id, certified_at) VALUES ($1, $2)`, [id, at]);
  }
}
