import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import {
  Actor, Clock, decodeTimeCursor, encodeTimeCursor, LIVE_CLAIMS, LiveClaims, Page, pageSize, requireAccess, toShanghaiIso,
} from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { ReceiptRevocationsRepository, RevocationKey } from './receipt-revocations.repository';

export interface ReceiptRevocationView {
  recyclerId: string;
  rid: string;
  revokedAt: string;
  reason: string | null;
}

/** One revocation in the recycler's own list (it knows who it is: no recyclerId). */
export interface RevokedReceiptView {
  rid: string;
  revokedAt: string;
  reason: string | null;
}

/** The cursor carries the last row's (revokedAt to the millisecond, rid), opaque to clients. */
function encodeRevocationCursor(k: RevocationKey): string {
  return encodeTimeCursor(k.revokedAt, k.rid);
}

function decodeRevocationCursor(s: string | undefined): RevocationKey | undefined {
  if (s === undefined) return undefined;
  const { at, key } = decodeTimeCursor(s, (rid) => rid.length >= 1 && rid.length <= 200);
  return { revokedAt: at, rid: key };
}

/**
 * A recycler revokes a receipt it issued in error (API.md "Recycling receipts"), with its own API key.
 * A revoked receipt fails every later trade-in; a claim that already used it is left to the auditors,
 * who see the revocation in the audit log.
 */
@Injectable()
export class ReceiptRevocationsService {
  constructor(
    private readonly db: TransactionService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly revocations: ReceiptRevocationsRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
  ) {}

  /** The calling recycler's own revocations, newest first, keyset-paginated; no other recycler's are ever read. */
  async listOwn(actor: Actor, q: { limit?: number; cursor?: string }): Promise<Page<RevokedReceiptView>> {
    const recyclerId = this.recyclerOf(actor);
    const limit = pageSize(q.limit);
    const after = decodeRevocationCursor(q.cursor);
    const rows = await this.revocations.page(recyclerId, limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({ rid: r.rid, revokedAt: toShanghaiIso(r.revokedAt), reason: r.reason })),
      nextCursor: rows.length > limit && last ? encodeRevocationCursor({ revokedAt: last.revokedAt, rid: last.rid }) : null,
    };
  }

  private recyclerOf(actor: Actor): string {
    requireAccess(actor, 'receipts.manage');
    return actor.recyclerId!; // requireAccess refuses a recycler actor without one
  }

  async revoke(actor: Actor, rid: string, reason?: string): Promise<ReceiptRevocationView> {
    const recyclerId = this.recyclerOf(actor);
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      if (!(await this.revocations.insertIfNew(tx, { recyclerId, rid, reason: reason ?? null, at: now }))) {
        const existing = (await this.revocations.find(tx, recyclerId, rid))!;
        return { recyclerId, rid, revokedAt: existing.revokedAt.toISOString(), reason: existing.reason };
      }
      const usedBy = await this.liveClaims.claimUsingReceipt(tx, recyclerId, rid);
      await this.audit.append(tx, actor, {
        action: 'receipt.revoked', subjectType: 'receipt', subjectId: `${recyclerId}/${rid}`,
        details: { reason: reason ?? null, usedByClaim: usedBy ?? null },
      });
      return { recyclerId, rid, revokedAt: now.toISOString(), reason: reason ?? null };
    });
  }
}
