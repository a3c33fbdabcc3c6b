import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import {
  AppealKey, AppealStatus, AppellantKind, Claim, ClaimAppeal, ClaimAppealsRepository, ClaimsRepository, reasonDigest,
} from '@huanxin/claims';
import { Actor, Clock, DomainError, isUuid, pageSize, requireAccess, toShanghaiIso } from '@huanxin/core';
import { isUniqueViolation, pgConstraint, TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { ProgramsRepository } from '@huanxin/programs';
import { RetailersRepository } from '@huanxin/retailers';
import { ReviewClaimDetail } from './review-view';
import { ReviewService } from './review.service';

export type AppealDecision = 'uphold' | 'dismiss';

export interface StaffRef {
  id: string;
  name: string | null;
}

/** An appeal in the auditor's queue: what was contested (the rejection, by whom) and the claim at a glance. */
export interface AuditorAppealView {
  id: string;
  claimId: string;
  status: AppealStatus;
  city: string;
  programCode: string;
  retailerId: string;
  retailerName: string;
  appellant: AppellantKind;
  reason: string;
  createdAt: string;
  claimStatus: string;
  amountFen: number;
  rejection: { by: StaffRef | null; at: string; reason: string | null };
  decision: { by: StaffRef; at: string; reason: string | null } | null;
  /**
   * Whether the asking auditor may decide it: open, and not rejected by them (the deciding auditor must be another
   * one — the page says so instead of offering a button that would answer same_auditor).
   */
  decidableByMe: boolean;
}

export interface AuditorAppealDetail extends AuditorAppealView {
  claim: ReviewClaimDetail;
}

export interface AppealListQuery {
  status?: AppealStatus;
  city?: string;
  limit?: number;
  cursor?: string;
  /** `desc` (newest first, the default) or `asc` (oldest first: work the queue in arrival order) */
  order?: 'asc' | 'desc';
}

/** An approval refused by the claims' live-uniqueness indexes: the serial, receipt or invoice was used by a claim since. */
const UNIQUE_CODES: Record<string, 'serial_already_subsidised' | 'receipt_already_used' | 'invoice_duplicate'> = {
  claims_serial_live: 'serial_already_subsidised',
  claims_receipt_live: 'receipt_already_used',
  claims_invoice_live: 'invoice_duplicate',
};

/**
 * Appeals, the auditor's side (issue 13): the queue, one appeal with its claim, and the decision. Upholding approves the
 * rejected claim with the money movements of an approval: the rejection released the claim's amount (reserved →
 * available), so the appeal reserves it again (available → reserved, `reserve`) and approves it (reserved → payable,
 * `approve`, as ReviewService.decide does) — after rejection and upheld appeal, every balance is what a direct approval
 * would have left. When the pool cannot cover it any more, nothing happens (budget_exhausted) and the appeal stays open.
 */
@Injectable()
export class AppealReviewService {
  constructor(
    private readonly db: TransactionService,
    private readonly appeals: ClaimAppealsRepository,
    private readonly claims: ClaimsRepository,
    private readonly programs: ProgramsRepository,
    private readonly retailers: RetailersRepository,
    private readonly users: UsersRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly review: ReviewService,
    private readonly clock: Clock,
  ) {}

  async list(actor: Actor, q: AppealListQuery): Promise<{ items: AuditorAppealView[]; nextCursor: string | null }> {
    requireAccess(actor, 'claims.review');
    const order = q.order ?? 'desc';
    const limit = pageSize(q.limit);
    const after = q.cursor ? decodeAppealCursor(q.cursor, order) : undefined;
    if (after === 'invalid') {
      throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'not a cursor from this list and order' }]);
    }
    const rows = await this.appeals.page({ status: q.status, city: q.city }, order, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: await this.views(actor, items),
      nextCursor: rows.length > limit && last ? encodeAppealCursor({ createdAt: last.createdAt, id: last.id }, order) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<AuditorAppealDetail> {
    requireAccess(actor, 'claims.review');
    const a = isUuid(id) ? await this.appeals.findById(id.toLowerCase()) : undefined;
    if (!a) throw new DomainError('not_found', 'No such appeal');
    const [[view], claim] = await Promise.all([this.views(actor, [a]), this.review.get(actor, a.claimId)]);
    return { ...view, claim };
  }

  /**
   * One transaction. The claim is locked first (as filing an appeal does), then the appeal: two auditors deciding at
   * once queue on the rows, and the second finds the appeal decided (409 appeal_already_decided) — the conditional
   * update says so again. Upheld: the claim moves rejected → approved (the trigger allows it only now that its
   * appeal is upheld), the money moves, and the claim's timeline gets the decision and the approval.
   */
  async decide(actor: Actor, id: string, decision: AppealDecision, reason: string): Promise<AuditorAppealDetail> {
    requireAccess(actor, 'claims.review');
    const found = isUuid(id) ? await this.appeals.findById(id.toLowerCase()) : undefined;
    if (!found) throw new DomainError('not_found', 'No such appeal');
    const now = this.clock.now();
    const uphold = decision === 'uphold';
    await this.db.run(async (tx) => {
      const c = await this.claims.lockById(tx, found.claimId);
      const a = await this.appeals.lockById(tx, found.id);
      if (!c || !a) throw new DomainError('not_found', 'No such appeal');
      if (a.rejectedBy && a.rejectedBy === actor.id) {
        throw new DomainError('same_auditor', 'You rejected this claim; another auditor decides its appeal');
      }
      if (a.status !== 'open') throw new DomainError('appeal_already_decided', `The appeal was ${a.status} already`);
      const decided = await this.appeals.decide(tx, a.id, { status: uphold ? 'upheld' : 'dismissed', decidedBy: actor.id, decidedAt: now, decisionReason: reason });
      if (!decided) throw new DomainError('appeal_already_decided', 'The appeal was decided already');
      const details = { appealId: a.id, decision, reason, appellant: a.appellantKind, appealReasonSha256: reasonDigest(a.reason), retailerId: c.retailerId, city: c.city };
      if (!uphold) {
        await this.audit.append(tx, actor, { action: 'claim.appeal_dismissed', subjectType: 'claim', subjectId: c.id, details });
        return;
      }
      if (c.status !== 'rejected') throw new DomainError('claim_not_rejected', `The claim is ${c.status}; only a rejected claim is approved on appeal`);
      await this.withinHouseholdLimit(tx, c);
      let moved;
      try {
        moved = await this.claims.transition(tx, c.id, 'rejected', 'approved', { at: now, decidedBy: actor.id, decisionReason: reason });
      } catch (err) {
        const code = isUniqueViolation(err) ? UNIQUE_CODES[pgConstraint(err) ?? ''] : undefined;
        if (code) throw new DomainError(code, 'Since the rejection another claim took this TV, receipt or invoice; the claim cannot be approved');
        throw err;
      }
      if (!moved) throw new DomainError('claim_not_rejected', 'The claim is no longer rejected');
      const movement = { programId: moved.programId, city: moved.city, reference: moved.id, note: reason, amountFen: moved.amountFen };
      // the inverse of the rejection's release, then the approval itself: exactly ReviewService.decide's movement
      if (moved.amountFen > 0) await this.ledger.reserve(tx, actor, movement);
      await this.ledger.approve(tx, actor, { ...movement, retailerId: moved.retailerId });
      await this.audit.append(tx, actor, { action: 'claim.appeal_upheld', subjectType: 'claim', subjectId: c.id, details });
      await this.audit.append(tx, actor, {
        action: 'claim.approved', subjectType: 'claim', subjectId: c.id,
        details: { from: 'rejected', appealId: a.id, reason, amountFen: moved.amountFen, retailerId: moved.retailerId, city: moved.city },
      });
    });
    return this.get(actor, found.id);
  }

  /** The household's other live claims may have reached the programme's limit since the rejection freed its place. */
  private async withinHouseholdLimit(tx: Tx, c: Claim): Promise<void> {
    const program = await this.programs.findById(tx, c.programId);
    const limit = program?.perHouseholdLimit ?? 1;
    const others = await this.claims.householdLiveClaims(tx, { programId: c.programId, householdId: c.householdId, exceptId: c.id, upTo: limit });
    if (others >= limit) {
      throw new DomainError('household_limit_reached', `Since the rejection the household has ${others} other claim(s) in the programme, its limit`);
    }
  }

  /** A page of appeals with their claims, retailers and the auditors named: one query to each owner. */
  private async views(actor: Actor, appeals: ClaimAppeal[]): Promise<AuditorAppealView[]> {
    const [claims, names, staff] = await Promise.all([
      this.claims.findMany(appeals.map((a) => a.claimId)),
      this.retailers.namesByIds(appeals.map((a) => a.retailerId)),
      this.users.staffNames(appeals.flatMap((a) => [a.rejectedBy, a.decidedBy]).filter((x): x is string => !!x)),
    ]);
    const ref = (id: string | null): StaffRef | null => (id ? { id, name: staff.get(id) ?? null } : null);
    return appeals.map((a) => {
      const c = claims.get(a.claimId);
      return {
        id: a.id, claimId: a.claimId, status: a.status, city: a.city, programCode: c?.programCode ?? '', retailerId: a.retailerId,
        retailerName: names.get(a.retailerId) ?? '', appellant: a.appellantKind, reason: a.reason, createdAt: toShanghaiIso(a.createdAt),
        claimStatus: c?.status ?? '', amountFen: c?.amountFen ?? 0,
        rejection: { by: ref(a.rejectedBy), at: toShanghaiIso(a.rejectedAt), reason: a.rejectionReason },
        decision: a.decidedBy && a.decidedAt ? { by: ref(a.decidedBy)!, at: toShanghaiIso(a.decidedAt), reason: a.decisionReason } : null,
        decidableByMe: a.status === 'open' && a.rejectedBy !== actor.id,
      };
    });
  }
}

/** The cursor carries its sort order, so it cannot be replayed against the other direction. */
export function encodeAppealCursor(k: AppealKey, order: 'asc' | 'desc'): string {
  return Buffer.from(JSON.stringify([k.createdAt.toISOString(), k.id, order])).toString('base64url');
}

export function decodeAppealCursor(s: string, order: 'asc' | 'desc'): AppealKey | 'invalid' {
  try {
    const [at, id, o] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    const createdAt = new Date(at);
    if (o !== order || typeof at !== 'string' || Number.isNaN(createdAt.getTime()) || typeof id !== 'string' || !isUuid(id)) return 'invalid';
    const year = createdAt.getUTCFullYear();
    return year >= 1 && year <= 9999 ? { createdAt, id } : 'invalid';
  } catch {
    return 'invalid';
  }
}
