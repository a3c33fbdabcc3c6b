import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';

export interface ReceiptRevocationView {
  recyclerId: string;
  rid: string;
  revokedAt: string;
  reason: string | null;
}

/**
 * A recycler revokes a receipt it issued in error (API.md "Recycling receipts"), with its own API key.
 * A revoked receipt fails every later trade-in; a claim that already used it is left to the auditors,
 * who see the revocation in the audit log.
 */
@Injectable()
export class ReceiptRevocationsService {
  constructor(private readonly db: TransactionService, private readonly audit: AuditService, private readonly clock: Clock) {}

  async revoke(actor: Actor, rid: string, reason?: string): Promise<ReceiptRevocationView> {
    if (actor.role !== 'recycler' || !actor.recyclerId) throw new DomainError('forbidden', 'Only the issuing recycler revokes its receipts');
    const recyclerId = actor.recyclerId;
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      const rows = await tx.query(
        `INSERT INTO receipt_revocations (recycler_id, rid, reason, revoked_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (recycler_id, rid) DO NOTHING RETURNING revoked_at`,
        [recyclerId, rid, reason ?? null, now],
      );
      if (!rows.length) {
        const [existing] = await tx.query(`SELECT revoked_at, reason FROM receipt_revocations WHERE recycler_id = $1 AND rid = $2`, [recyclerId, rid]);
        return { recyclerId, rid, revokedAt: existing.revoked_at.toISOString(), reason: existing.reason };
      }
      const [usedBy] = await tx.query(
        `SELECT id FROM claims WHERE receipt_issuer = $1 AND receipt_rid = $2 AND status NOT IN ('rejected', 'cancelled') LIMIT 1`,
        [recyclerId, rid],
      );
      await this.audit.append(tx, actor, {
        action: 'receipt.revoked', subjectType: 'receipt', subjectId: `${recyclerId}/${rid}`,
        details: { reason: reason ?? null, usedByClaim: usedBy?.id ?? null },
      });
      return { recyclerId, rid, revokedAt: now.toISOString(), reason: reason ?? null };
    });
  }
}
