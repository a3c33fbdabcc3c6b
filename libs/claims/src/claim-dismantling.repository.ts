import { Injectable } from '@nestjs/common';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';

/** A claim whose receipt's dismantling the worker judges: its id and receipt. */
export interface DismantlingCandidate {
  id: string;
  issuer: string;
  rid: string;
}

export type DismantlingState = 'held' | 'confirmed' | 'released';

/** The flag a claim gets when its receipt is not confirmed dismantled in time (POLICY.md `dismantleWithinDays`). */
export const FLAG_DISMANTLING_UNCONFIRMED = 'dismantling_unconfirmed';

/**
 * Claims that can still be held from payout: not yet in a payout, not rejected or cancelled. The phase condition is
 * implied by the status one; it is spelled out so the worker's scan can use claims_phase (program_id, phase, …).
 */
const HOLDABLE = `phase IN ('pending_review', 'settlement') AND status IN ('pending_review', 'approved')`;

/**
 * claims.dismantling (issue 13; this lib owns claims). The column is in no index, so setting it never costs a payout
 * run its heap-only moves (HeapOnlyClaimMoves); the flag goes into `flags`, which the auditor's queue filters on.
 */
@Injectable()
export class ClaimDismantlingRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * Claims of the programme's policy `version` whose dismantling deadline — `days` after the later of the sale and
   * the receipt's issue time — is before `now`, not judged yet, and still holdable: at most `limit`.
   */
  async overdue(programId: string, version: number, days: number, now: Date, limit: number): Promise<DismantlingCandidate[]> {
    const rows: { id: string; receipt_issuer: string; receipt_rid: string }[] = await this.db.manager.query(
      `SELECT id, receipt_issuer, receipt_rid FROM claims
        WHERE program_id = $1 AND policy_version = $2 AND dismantling IS NULL AND ${HOLDABLE}
          AND greatest(sold_at, receipt_issued_at) + make_interval(days => $3) < $4
        ORDER BY created_at, id
        LIMIT $5`,
      [programId, version, days, now, limit],
    );
    return rows.map((r) => ({ id: r.id, issuer: r.receipt_issuer, rid: r.receipt_rid }));
  }

  /** Holds the listed claims not judged yet (and still holdable), flagging them; answers those held. */
  async hold(tx: Tx, ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const rows: { id: string }[] = returnedRows(await tx.query(
      `UPDATE claims SET dismantling = 'held', flags = array_append(flags, '${FLAG_DISMANTLING_UNCONFIRMED}')
        WHERE id = ANY($1::uuid[]) AND dismantling IS NULL AND ${HOLDABLE}
       RETURNING id`,
      [ids],
    ));
    return rows.map((r) => r.id);
  }

  /** Marks the listed claims `to` where they are `from` (null: not judged yet); answers those changed. */
  async mark(tx: Tx, ids: string[], from: 'held' | null, to: 'confirmed' | 'released'): Promise<string[]> {
    if (!ids.length) return [];
    const rows: { id: string }[] = returnedRows(await tx.query(
      `UPDATE claims SET dismantling = $2 WHERE id = ANY($1::uuid[]) AND ${from === null ? 'dismantling IS NULL' : `dismantling = '${from}'`} RETURNING id`,
      [ids, to],
    ));
    return rows.map((r) => r.id);
  }

  /** The claim's dismantling state, locked for an auditor's decision; undefined when there is no such claim. */
  async lock(tx: Tx, id: string): Promise<{ dismantling: DismantlingState | null; city: string } | undefined> {
    const rows: { dismantling: DismantlingState | null; city: string }[] = await tx.query(
      `SELECT dismantling, city FROM claims WHERE id = $1 FOR UPDATE`, [id],
    );
    return rows[0];
  }
}
