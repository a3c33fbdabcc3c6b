import { Injectable } from '@nestjs/common';
import type { LiveClaims } from '@huanxin/core';
import type { Tx } from '@huanxin/database';
import { LIVE_CLAIM_SQL } from './claim-states';

/**
 * The claims lib's answer to the `LIVE_CLAIMS` port (libs/core/src/live-claims.port.ts): vouchers count a
 * household's live claims against its limit, recycling names the claim a revoked receipt was used by. Both run
 * in the caller's transaction.
 */
@Injectable()
export class LiveClaimsProvider implements LiveClaims {
  async countForHousehold(tx: Tx, programId: string, householdId: string): Promise<number> {
    const [r] = await tx.query(
      `SELECT count(*)::int AS n FROM claims WHERE program_id = $1 AND household_id = $2 AND ${LIVE_CLAIM_SQL}`,
      [programId, householdId],
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
}
