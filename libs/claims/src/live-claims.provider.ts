import { Injectable } from '@nestjs/common';
import type { LiveClaims } from '@huanxin/core';
import { queryPrepared, type Tx } from '@huanxin/database';
import { LIVE_CLAIM_SQL } from './claim-states';

/**
 * The claims lib's answer to the `LIVE_CLAIMS` port (libs/core/src/live-claims.port.ts): vouchers count a
 * household's live claims against its limit, recycling names the claim a revoked receipt was used by. Both run
 * in the caller's transaction.
 */
@Injectable()
export class LiveClaimsProvider implements LiveClaims {
  async countForHousehold(tx: Tx, programId: string, householdId: string): Promise<number> {
    const [r] = await queryPrepared(tx,
      `SELECT count(*)::int AS n FROM claims WHERE program_id = $1 AND household_id = $2 AND ${LIVE_CLAIM_SQL}`,
      [programId, householdId],
    );
    return r.n;
  }

  async endedInCity(tx: Tx, programId: string, city: string, from: Date, to: Date): Promise<number> {
    const [r] = await tx.query(
      `SELECT count(*)::int AS n FROM claims
        WHERE program_id = $1 AND city = $2
          AND ((status = 'rejected' AND decided_at >= $3 AND decided_at < $4) OR (status = 'cancelled' AND cancelled_at >= $3 AND cancelled_at < $4))`,
      [programId, city, from, to],
    );
    return r.n;
  }

  async claimUsingReceipt(tx: Tx, issuer: string, rid: string): Promise<string | undefined> {
    const [r] = await tx.query(
      `SELECT id FROM claims WHERE receipt_issuer = $1 AND receipt_rid = $2 AND ${LIVE_CLAIM_SQL} LIMIT 1`,
      [issuer, rid],
    );
    return r?.id;
  }

  async receiptsUsed(tx: Tx, issuer: string, rids: string[]): Promise<Set<string>> {
    if (!rids.length) return new Set();
    const rows: { receipt_rid: string }[] = await tx.query(
      `SELECT receipt_rid FROM claims WHERE receipt_issuer = $1 AND receipt_rid = ANY($2::text[]) AND ${LIVE_CLAIM_SQL}`,
      [issuer, rids],
    );
    return new Set(rows.map((r) => r.receipt_rid));
  }

  async releaseDismantlingHold(tx: Tx, issuer: string, rid: string): Promise<string[]> {
    // TypeORM answers an UPDATE with [rows, affected]; `dismantling` is in no index, so the update stays heap-only
    const [rows]: [{ id: string }[], number] = await tx.query(
      `UPDATE claims SET dismantling = 'confirmed' WHERE receipt_issuer = $1 AND receipt_rid = $2 AND dismantling = 'held' RETURNING id`,
      [issuer, rid],
    );
    return rows.map((r) => r.id);
  }
}
