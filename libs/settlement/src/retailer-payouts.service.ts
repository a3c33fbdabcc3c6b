import { Injectable } from '@nestjs/common';
import { Actor, cursorTime, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { PAYOUT_COLUMNS, PayoutRow } from './payout-runs.repository';
import type { RetailerPayoutView, StatementClaim, StatementClawback } from './settlement.types';

const n = (s: string | number | null | undefined) => Number(s ?? 0);
const iso = (d: Date | null) => (d ? toShanghaiIso(d) : null);

function encodeCursor(p: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([p.created_at.toISOString(), p.id])).toString('base64url');
}

function decodeCursor(s: string): { createdAt: Date; id: string } | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    const createdAt = cursorTime(at);
    return typeof id === 'string' && isUuid(id) && createdAt ? { createdAt, id } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /v1/retailer/payouts: a retailer's own payouts, newest first, each a statement its accountant can tie
 * to the bank line — the claims paid (store, invoice, amount), the clawbacks kept back, and
 * gross − netted = the amount transferred, under the reference the bank or Stripe shows.
 * Three queries a page (payouts, their claims, their clawbacks), whatever the page holds.
 */
@Injectable()
export class RetailerPayoutsService {
  constructor(private readonly db: TransactionService) {}

  async list(actor: Actor, q: { limit?: number; cursor?: string }): Promise<{ items: RetailerPayoutView[]; nextCursor: string | null }> {
    requireAccess(actor, 'till.use');
    const limit = Math.min(Math.max(q.limit ?? 20, 1), 200);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !after) throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list' }]);
    const rows: (PayoutRow & { program_code: string })[] = await this.db.manager.query(
      `SELECT ${PAYOUT_COLUMNS}, pr.code AS program_code
         FROM payouts p JOIN programs pr ON pr.id = p.program_id
        WHERE p.retailer_id = $1 AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2::timestamptz, $3::uuid))
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $4`,
      [actor.retailerId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const ids = page.map((p) => p.id);
    const claims: (StatementClaim & { payoutId: string })[] = ids.length ? (await this.db.manager.query(
      `SELECT pc.payout_id, c.id, pc.city, s.code AS store_code, c.invoice_number, c.sold_at, pc.amount_fen::text
         FROM payout_claims pc JOIN claims c ON c.id = pc.claim_id JOIN stores s ON s.id = c.store_id
        WHERE pc.payout_id = ANY($1::uuid[])
        ORDER BY pc.payout_id, c.sold_at, c.id`,
      [ids],
    )).map((r: { payout_id: string; id: string; city: string; store_code: string; invoice_number: string; sold_at: Date; amount_fen: string }) => ({
      payoutId: r.payout_id, claimId: r.id, city: r.city, storeCode: r.store_code, invoiceNumber: r.invoice_number, soldAt: toShanghaiIso(r.sold_at), amountFen: n(r.amount_fen),
    })) : [];
    const clawbacks: (StatementClawback & { payoutId: string })[] = ids.length ? (await this.db.manager.query(
      `SELECT r.payout_id, r.claim_id, r.city, c.invoice_number, r.kind, r.amount_fen::text
         FROM clawback_recoveries r JOIN claims c ON c.id = r.claim_id
        WHERE r.payout_id = ANY($1::uuid[])
        ORDER BY r.payout_id, r.id`,
      [ids],
    )).map((r: { payout_id: string; claim_id: string; city: string; invoice_number: string; kind: 'netted' | 'returned'; amount_fen: string }) => ({
      payoutId: r.payout_id, claimId: r.claim_id, city: r.city, invoiceNumber: r.invoice_number, kind: r.kind, amountFen: n(r.amount_fen),
    })) : [];
    const group = <T extends { payoutId: string }>(list: T[]) => {
      const by = new Map<string, Omit<T, 'payoutId'>[]>();
      for (const { payoutId, ...rest } of list) {
        const into = by.get(payoutId) ?? [];
        into.push(rest);
        by.set(payoutId, into);
      }
      return by;
    };
    const claimsOf = group(claims);
    const clawbacksOf = group(clawbacks);
    const items: RetailerPayoutView[] = page.map((p) => ({
      id: p.id,
      runId: p.run_id,
      programCode: p.program_code,
      status: p.status,
      gateway: p.gateway,
      destination: p.destination,
      reference: p.gateway_ref,
      claimCount: p.claim_count,
      grossFen: n(p.gross_fen),
      nettedFen: n(p.netted_fen),
      amountFen: n(p.amount_fen),
      reversedFen: n(p.reversed_fen),
      failureReason: p.failure_reason,
      createdAt: toShanghaiIso(p.created_at),
      sentAt: iso(p.sent_at),
      paidAt: iso(p.paid_at),
      failedAt: iso(p.failed_at),
      claims: claimsOf.get(p.id) ?? [],
      clawbacks: clawbacksOf.get(p.id) ?? [],
    }));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }
}
