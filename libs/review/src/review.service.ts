import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { UsersRepository } from '@huanxin/auth';
import { CatalogRepository } from '@huanxin/catalog';
import { Claim, ClaimFilter, ClaimFilterInput, ClaimsRepository, resolveClaimFilter } from '@huanxin/claims';
import { LedgerService } from '@huanxin/ledger';
import { ProgramsRepository } from '@huanxin/programs';
import { RetailersRepository } from '@huanxin/retailers';
import {
  decodeReviewCursor, encodeReviewCursor, householdView, ReviewClaimDetail, ReviewClaimView, ReviewContext, toChecks, toHistory,
  toMovement, toReviewClaimView,
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
    private readonly claims: ClaimsRepository,
    private readonly programs: ProgramsRepository,
    private readonly retailers: RetailersRepository,
    private readonly catalog: CatalogRepository,
    private readonly users: UsersRepository,
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
    const rows = await this.claims.filteredPage(await this.withProgramId(filter), order, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const context = await this.context(items);
    return {
      items: items.map((c) => toReviewClaimView(c, context(c))),
      nextCursor: rows.length > limit && last ? encodeReviewCursor({ createdKey: last.createdKey, id: last.id }, order) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<ReviewClaimDetail> {
    requireAccess(actor, 'claims.review');
    const claim = isUuid(id) ? await this.claims.findById(id.toLowerCase()) : undefined;
    if (!claim) throw new DomainError('not_found', 'No such claim');
    const [context, household, events, movements] = await Promise.all([
      this.context([claim]),
      this.users.maskedContact(claim.householdId),
      this.audit.history([{ type: 'claim', id: claim.id }, { type: 'voucher', id: claim.voucherCode }]),
      this.ledger.movementsFor(claim.programId, [claim.id, claim.voucherCode]),
    ]);
    return {
      ...toReviewClaimView(claim, context(claim)),
      household: householdView(household ?? { id: claim.householdId, maskedPhone: null, idNumberLast4: null }),
      receipt: { issuer: claim.receiptIssuer, rid: claim.receiptRid, issuedAt: toShanghaiIso(claim.receiptIssuedAt), dismantling: claim.dismantling },
      checks: toChecks(claim.checks),
      history: events.map(toHistory),
      ledgerMovements: movements.map(toMovement),
    };
  }

  /** The programme code resolved by its owner (an unknown code matches nothing). */
  private async withProgramId(filter: ClaimFilter): Promise<ClaimFilter> {
    if (!filter.programCode) return filter;
    return { ...filter, programId: (await this.programs.idByCode(filter.programCode)) ?? null };
  }

  /** Retailer names and model facts for a page of claims: one query to each owner. */
  private async context(claims: Claim[]): Promise<(c: Claim) => ReviewContext> {
    const [names, models] = await Promise.all([
      this.retailers.namesByIds(claims.map((c) => c.retailerId)),
      this.catalog.findMany(claims.map((c) => c.modelCode)),
    ]);
    return (c) => {
      const model = models.get(c.modelCode);
      return { retailerName: names.get(c.retailerId) ?? '', resolution: model?.resolution ?? '', energyGrade: model?.energyGrade ?? 0 };
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
      const amount = c.amountFen;
      const movement = { programId: c.programId, city: c.city, reference: c.id, note: reason, amountFen: amount };
      if (approve) await this.ledger.approve(tx, actor, { ...movement, retailerId: c.retailerId });
      else await this.ledger.release(tx, actor, movement);
      await this.audit.append(tx, actor, {
        action: approve ? 'claim.approved' : 'claim.rejected', subjectType: 'claim', subjectId: c.id,
        details: { from: 'pending_review', reason, amountFen: amount, retailerId: c.retailerId, city: c.city },
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
      const amount = c.amountFen;
      await this.ledger.clawback(tx, actor, { programId: c.programId, city: c.city, reference: c.id, note: reason, amountFen: amount, retailerId: c.retailerId });
      await this.audit.append(tx, actor, {
        action: 'claim.clawed_back', subjectType: 'claim', subjectId: c.id,
        details: { from: 'paid', reason, amountFen: amount, retailerId: c.retailerId, city: c.city },
      });
    });
    return this.get(actor, claimId);
  }

}
