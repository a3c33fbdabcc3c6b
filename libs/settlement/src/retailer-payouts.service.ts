import { Injectable } from '@nestjs/common';
import { ClaimSettlementRepository } from '@huanxin/claims';
import { Actor, cursorTime, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { ProgramsRepository } from '@huanxin/programs';
import { RetailersRepository } from '@huanxin/retailers';
import { ClawbacksRepository } from './clawbacks.repository';
import { PayoutsRepository } from './payouts.repository';
import type { RetailerPayoutView, StatementClaim, StatementClawback } from './settlement.types';

const iso = (d: Date | null) => (d ? toShanghaiIso(d) : null);
/** uuids compare as their lowercase text does: the order PostgreSQL sorts them in. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function encodeCursor(p: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([p.createdAt.toISOString(), p.id])).toString('base64url');
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
 * A handful of queries a page (payouts, their claims and clawbacks, the claims' invoices and stores, the
 * programmes' codes), whatever the page holds.
 */
@Injectable()
export class RetailerPayoutsService {
  constructor(
    private readonly payouts: PayoutsRepository,
    private readonly clawbacks: ClawbacksRepository,
    private readonly claims: ClaimSettlementRepository,
    private readonly programs: ProgramsRepository,
    private readonly retailers: RetailersRepository,
    private readonly db: TransactionService,
  ) {}

  async list(actor: Actor, q: { limit?: number; cursor?: string }): Promise<{ items: RetailerPayoutView[]; nextCursor: string | null }> {
    requireAccess(actor, 'till.use');
    const limit = Math.min(Math.max(q.limit ?? 20, 1), 200);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && !after) throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list' }]);
    const retailerId = actor.retailerId;
    if (!retailerId) return { items: [], nextCursor: null };
    const rows = await this.payouts.pageOfRetailer(retailerId, after, limit + 1);
    const page = rows.slice(0, limit);
    const ids = page.map((p) => p.id);
    const [lines, recoveries, programs] = await Promise.all([
      this.payouts.claimLines(ids), this.clawbacks.statementRecoveries(ids), this.programs.findByIds(this.db.manager, [...new Set(page.map((p) => p.programId))]),
    ]);
    const codes = new Map(programs.map((p) => [p.id, p.code]));
    const details = await this.claims.statementLines([...new Set([...lines.map((l) => l.claimId), ...recoveries.map((r) => r.claimId)])]);
    const claimOf = new Map(details.map((d) => [d.id, d]));
    const claims: (StatementClaim & { payoutId: string })[] = lines
      .filter((l) => claimOf.has(l.claimId))
      .map((l) => ({ l, c: claimOf.get(l.claimId)! }))
      // by payout, then in the order the claims were sold
      .sort((a, b) => cmp(a.l.payoutId, b.l.payoutId) || a.c.soldAt.getTime() - b.c.soldAt.getTime() || cmp(a.l.claimId, b.l.claimId))
      .map(({ l, c }) => ({
        payoutId: l.payoutId, claimId: l.claimId, city: l.city, storeCode: c.storeCode, invoiceNumber: c.invoiceNumber,
        soldAt: toShanghaiIso(c.soldAt), amountFen: l.amountFen,
      }));
    const clawbacks: (StatementClawback & { payoutId: string })[] = recoveries
      .filter((r) => claimOf.has(r.claimId))
      .map((r) => ({ payoutId: r.payoutId, claimId: r.claimId, city: r.city, invoiceNumber: claimOf.get(r.claimId)!.invoiceNumber, kind: r.kind, amountFen: r.amountFen }));
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
      runId: p.runId,
      programCode: codes.get(p.programId)!,
      status: p.status,
      gateway: p.gateway,
      destination: p.destination,
      payoutDetailsVersion: p.payoutDetailsVersion,
      reference: p.gatewayRef,
      claimCount: p.claimCount,
      grossFen: p.grossFen,
      nettedFen: p.nettedFen,
      amountFen: p.amountFen,
      reversedFen: p.reversedFen,
      failureReason: p.failureReason,
      createdAt: toShanghaiIso(p.createdAt),
      sentAt: iso(p.sentAt),
      paidAt: iso(p.paidAt),
      failedAt: iso(p.failedAt),
      claims: claimsOf.get(p.id) ?? [],
      clawbacks: clawbacksOf.get(p.id) ?? [],
    }));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }
}
