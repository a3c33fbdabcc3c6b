import { Injectable } from '@nestjs/common';
import { isUniqueViolation, returnedRows, TransactionService, Tx } from '@huanxin/database';

export type AppealStatus = 'open' | 'upheld' | 'dismissed';
export const APPEAL_STATUSES: readonly AppealStatus[] = ['open', 'upheld', 'dismissed'];
export type AppellantKind = 'household' | 'retailer';

/** An appeal against a claim's rejection (migration Appeals): the rejection it contests is copied onto it. */
export interface ClaimAppeal {
  id: string;
  claimId: string;
  city: string;
  programId: string;
  retailerId: string;
  appellantKind: AppellantKind;
  appellantId: string;
  reason: string;
  rejectedBy: string | null;
  rejectedAt: Date;
  rejectionReason: string | null;
  status: AppealStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  createdAt: Date;
}

export type NewClaimAppeal = Omit<ClaimAppeal, 'status' | 'decidedBy' | 'decidedAt' | 'decisionReason'>;

export interface AppealKey {
  createdAt: Date;
  id: string;
}

/** Thrown by `insert` when the claim has its appeal already (the unique constraint, whoever filed first). */
export class AppealExists extends Error {}

const COLUMNS = `id, claim_id, city, program_id, retailer_id, appellant_kind, appellant_id, reason, rejected_by, rejected_at,
  rejection_reason, status, decided_by, decided_at, decision_reason, created_at`;

function toAppeal(r: any): ClaimAppeal {
  return {
    id: r.id, claimId: r.claim_id, city: r.city, programId: r.program_id, retailerId: r.retailer_id, appellantKind: r.appellant_kind,
    appellantId: r.appellant_id, reason: r.reason, rejectedBy: r.rejected_by, rejectedAt: r.rejected_at, rejectionReason: r.rejection_reason,
    status: r.status, decidedBy: r.decided_by, decidedAt: r.decided_at, decisionReason: r.decision_reason, createdAt: r.created_at,
  };
}

/** claim_appeals, owned by libs/claims (table-ownership.ts); libs/review decides appeals through it. */
@Injectable()
export class ClaimAppealsRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * One appeal per claim is `claim_appeals_one_per_claim`: a second, from anyone, is AppealExists (the caller's
   * transaction is then aborted and must roll back, as TransactionService does).
   */
  async insert(tx: Tx, a: NewClaimAppeal): Promise<void> {
    try {
      await tx.query(
        `INSERT INTO claim_appeals (id, claim_id, city, program_id, retailer_id, appellant_kind, appellant_id, reason, rejected_by,
           rejected_at, rejection_reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [a.id, a.claimId, a.city, a.programId, a.retailerId, a.appellantKind, a.appellantId, a.reason, a.rejectedBy, a.rejectedAt,
          a.rejectionReason, a.createdAt],
      );
    } catch (err) {
      if (isUniqueViolation(err, 'claim_appeals_one_per_claim')) throw new AppealExists();
      throw err;
    }
  }

  async findById(id: string): Promise<ClaimAppeal | undefined> {
    const rows = await this.db.manager.query(`SELECT ${COLUMNS} FROM claim_appeals WHERE id = $1`, [id]);
    return rows[0] && toAppeal(rows[0]);
  }

  /** The appeal, held until `tx` ends (FOR UPDATE): two auditors deciding it queue here, and the second sees the first's decision. */
  async lockById(tx: Tx, id: string): Promise<ClaimAppeal | undefined> {
    const rows = await tx.query(`SELECT ${COLUMNS} FROM claim_appeals WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] && toAppeal(rows[0]);
  }

  /** Whether the claim has its appeal, read in `tx` (after the claim's lock: an appeal committed meanwhile is seen). */
  async existsFor(tx: Tx, claimId: string): Promise<boolean> {
    const rows = await tx.query(`SELECT 1 FROM claim_appeals WHERE claim_id = $1`, [claimId]);
    return rows.length > 0;
  }

  /** The appeal of each of `claimIds` that has one (at most one each). */
  async forClaims(claimIds: string[]): Promise<Map<string, ClaimAppeal>> {
    if (!claimIds.length) return new Map();
    const rows = await this.db.manager.query(`SELECT ${COLUMNS} FROM claim_appeals WHERE claim_id = ANY($1::uuid[])`, [claimIds]);
    return new Map(rows.map((r: any) => [r.claim_id, toAppeal(r)]));
  }

  /**
   * Decides an open appeal: conditional on it being open still, so of two deciders exactly one gets the row back
   * (the caller holds it locked already; this is the second guard, and the one a reader of this SQL can see).
   */
  async decide(tx: Tx, id: string, d: { status: 'upheld' | 'dismissed'; decidedBy: string; decidedAt: Date; decisionReason: string }): Promise<ClaimAppeal | undefined> {
    const rows = returnedRows(await tx.query(
      `UPDATE claim_appeals SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5
        WHERE id = $1 AND status = 'open'
        RETURNING ${COLUMNS}`,
      [id, d.status, d.decidedBy, d.decidedAt, d.decisionReason],
    ));
    return rows[0] && toAppeal(rows[0]);
  }

  /** The auditor's list: one keyset page on (created_at, id) in either direction. */
  async page(q: { status?: AppealStatus; city?: string }, order: 'asc' | 'desc', limit: number, after?: AppealKey): Promise<ClaimAppeal[]> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (q.status) conds.push(`status = $${params.push(q.status)}`);
    if (q.city) conds.push(`city = $${params.push(q.city)}`);
    if (after) conds.push(`(created_at, id) ${order === 'asc' ? '>' : '<'} ($${params.push(after.createdAt)}::timestamptz, $${params.push(after.id)}::uuid)`);
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    const rows = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM claim_appeals ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY created_at ${dir}, id ${dir} LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toAppeal);
  }
}
