import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { ClaimsRepository } from '@huanxin/claims';
import { LedgerService } from '@huanxin/ledger';
import { ClaimFilterInput, resolveClaimFilter } from './claim-filter';
import { ReviewRepository } from './review.repository';
import {
  decodeReviewCursor, encodeReviewCursor, householdView, ReviewClaimDetail, ReviewClaimView, toChecks, toHistory, toMovement,
  toReviewClaimView,
} from './review-view';

export type Decision = 'approve' | 'reject';

export interface ReviewListQuery extends ClaimFilterInput {
  limit?: number;
  cursor?: string;
  /** `desc` (newest first, the default) or `asc` (oldest first: work a queue in arrival order). */
  order?: 'asc' | 'desc';
}

/**
 * The auditor's review workspace (DESIGN.md "The flow", step 4): the queue, a claim with everything that
 * was checked and everything that happened to it, and the decisions that move its money. Each decision
 * is one transaction: the conditional status change, its ledger movement and its audit event.
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly db: TransactionService,
    private readonly repo: ReviewRepository,
    private readonly claims: ClaimsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async list(actor: Actor, q: ReviewListQuery): Promise<{ items: ReviewClaimView[]; nextCursor: string | null }> {
    requireAccess(actor, 'claims.review');
    const filter = resolveClaimFilter(q);
    const order = q.order ?? 'desc';
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    const after = q.cursor ? decodeReviewCursor(q.cursor, order) : undefined;
    if (after === 'invalid') {
      throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list and order' }]);
    }
    const rows = await this.repo.page(filter, order, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toReviewClaimView),
      nextCursor: rows.length > limit && last ? encodeReviewCursor({ createdKey: last.created_key, id: last.id }, order) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<ReviewClaimDetail> {
    requireAccess(actor, 'claims.review');
    const row = isUuid(id) ? await this.repo.findById(id.toLowerCase()) : undefined;
    if (!row) throw new DomainError('not_found', 'No such claim');
    const [household, events, movements] = await Promise.all([
      this.repo.household(row.household_id),
      this.repo.events(row.id, row.voucher_code),
      this.repo.movements(row.program_id, row.id, row.voucher_code),
    ]);
    return {
      ...toReviewClaimView(row),
      household: householdView(household ?? { id: row.household_id, masked_phone: null, id_number_last4: null }),
      receipt: { issuer: row.receipt_issuer, rid: row.receipt_rid, issuedAt: toShanghaiIso(row.receipt_issued_at) },
      checks: toChecks(row.checks),
      history: events.map(toHistory),
      ledgerMovements: movements.map(toMovement),
    };
  }

  /**
   * approve: reserved → the retailer's payable; reject: reserved → available (the budget is released).
   * Only a claim pending review can be decided, once: everything else is 409 claim_already_decided.
   */
  async decide(actor: Actor, id: string, decision: Decision, reason: string): Promise<ReviewClaimDetail> {
    requireAccess(actor, 'claims.review');
    if (!isUuid(id)) throw new DomainError('not_found', 'No such claim');
    const claimId = id.toLowerCase();
    const now = this.clock.now();
    const approve = decision === 'approve';
    await this.db.run(async (tx) => {
      const c = await this.claims.transition(tx, claimId, 'pending_review', approve ? 'approved' : 'rejected', { at: now, decidedBy: actor.id, decisionReason: reason });
      if (!c) {
        const status = await this.claims.statusOf(tx, claimId);
        if (!status) throw new DomainError('not_found', 'No such claim');
        throw new DomainError('claim_already_decided', `The claim is ${status}; only a claim pending review can be decided`);
      }
      const amount = Number(c.amount_fen);
      const movement = { programId: c.program_id, city: c.city, reference: c.id, note: reason, amountFen: amount };
      if (approve) await this.ledger.approve(tx, actor, { ...movement, retailerId: c.retailer_id });
      else await this.ledger.release(tx, actor, movement);
      await this.audit.append(tx, actor, {
        action: approve ? 'claim.approved' : 'claim.rejected', subjectType: 'claim', subjectId: c.id,
        details: { from: 'pending_review', reason, amountFen: amount, retailerId: c.retailer_id, city: c.city },
      });
    });
    return this.get(actor, claimId);
  }

  /** A paid claim found wrong afterwards: the retailer owes its amount back (receivable), the pool gets it. */
  async clawBack(actor: Actor, id: string, reason: string): Promise<ReviewClaimDetail> {
    requireAccess(actor, 'claims.review');
    if (!isUuid(id)) throw new DomainError('not_found', 'No such claim');
    const claimId = id.toLowerCase();
    const now = this.clock.now();
    await this.db.run(async (tx) => {
      const c = await this.claims.transition(tx, claimId, 'paid', 'clawed_back', { at: now, cancelReason: reason });
      if (!c) {
        const status = await this.claims.statusOf(tx, claimId);
        if (!status) throw new DomainError('not_found', 'No such claim');
        throw new DomainError('claim_not_paid', `The claim is ${status}; only a paid claim can be clawed back`);
      }
      const amount = Number(c.amount_fen);
      await this.ledger.clawback(tx, actor, { programId: c.program_id, city: c.city, reference: c.id, note: reason, amountFen: amount, retailerId: c.retailer_id });
      await this.audit.append(tx, actor, {
        action: 'claim.clawed_back', subjectType: 'claim', subjectId: c.id,
        details: { from: 'paid', reason, amountFen: amount, retailerId: c.retailer_id, city: c.city },
      });
    });
    return this.get(actor, claimId);
  }

}
