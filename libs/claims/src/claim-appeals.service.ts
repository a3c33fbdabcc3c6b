import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, isUuid, newId, requireAccess, toShanghaiIso } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { appealWindowDays, DEFAULT_APPEAL_WITHIN_DAYS } from '@huanxin/policy';
import { ProgramsRepository } from '@huanxin/programs';
import { AppealExists, AppealStatus, AppellantKind, ClaimAppeal, ClaimAppealsRepository } from './claim-appeals.repository';
import { ClaimView, toClaimView } from './claim-view';
import { Claim, ClaimsRepository } from './claims.repository';

const DAY_MS = 86_400_000;
/** The longest appeal reason, in characters (code points, as PostgreSQL's char_length counts: the table checks it too). */
export const MAX_APPEAL_REASON_LENGTH = 1000;

/** The appeal as the household and the retailer of the claim see it. */
export interface PartyAppealView {
  id: string;
  status: AppealStatus;
  /** who filed it: the household or the retailer (one appeal per claim, whoever was first) */
  appellant: AppellantKind;
  /** the appellant's reason; shown to the side that wrote it only (null for the other side) */
  reason: string | null;
  createdAt: string;
  /** the rejection appealed against (an upheld appeal replaces the claim's own decision) */
  rejectedAt: string;
  rejectionReason: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

/** A claim as its household or retailer sees it: the claim, and the appeal against its rejection. */
export interface PartyClaimView extends ClaimView {
  appeal: PartyAppealView | null;
  /** For a rejected claim not yet appealed: until when it may be (RFC 3339); null otherwise. */
  appealableUntil: string | null;
}

export interface AppealFiled {
  appealId: string;
  status: 'open';
}

/** The rejection's instant: when the auditor decided (a claim is rejected only by a decision). */
export function rejectedAt(c: Pick<Claim, 'decidedAt' | 'updatedAt'>): Date {
  return c.decidedAt ?? c.updatedAt;
}

/** SHA-256 of the reason: what the audit log keeps of it (it binds the text without publishing what a household typed). */
export function reasonDigest(reason: string): string {
  return createHash('sha256').update(reason, 'utf8').digest('hex');
}

/**
 * Appeals, the parties' side (issue 13): the household or the retailer of a rejected claim contests it, once per
 * claim and within the policy's `appealWithinDays` of the rejection; an auditor decides (libs/review,
 * AppealReviewService). The policy version is the claim's own (the one its subsidy was computed under), so the
 * window a claim was given cannot change under it.
 */
@Injectable()
export class ClaimAppealsService {
  constructor(
    private readonly db: TransactionService,
    private readonly claims: ClaimsRepository,
    private readonly appeals: ClaimAppealsRepository,
    private readonly programs: ProgramsRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * One transaction: the claim locked (two appellants queue on it), the checks, the appeal and its audit event. The
   * unique constraint is the last word: an appeal committed by another process between our checks and our insert
   * still makes this one appeal_exists.
   */
  async file(actor: Actor, claimId: string, reason: string): Promise<AppealFiled> {
    requireAccess(actor, 'claims.appeal');
    if (!isUuid(claimId)) throw new DomainError('not_found', 'No such claim');
    if (typeof reason !== 'string' || reason.trim() === '' || [...reason].length > MAX_APPEAL_REASON_LENGTH) {
      throw new DomainError('validation_failed', 'The reason is required', [{ field: 'reason', message: `must be 1 to ${MAX_APPEAL_REASON_LENGTH} characters, not only spaces` }]);
    }
    const id = claimId.toLowerCase();
    const now = this.clock.now();
    const appealId = newId();
    const appellant: AppellantKind = actor.role === 'household' ? 'household' : 'retailer';
    await this.db.run(async (tx) => {
      const c = await this.claims.lockById(tx, id);
      if (!c || !owns(actor, c)) throw new DomainError('not_found', 'No such claim');
      if (await this.appeals.existsFor(tx, c.id)) {
        throw new DomainError('appeal_exists', 'This claim has been appealed already; a claim is appealed once');
      }
      if (c.status !== 'rejected') throw new DomainError('claim_not_rejected', `The claim is ${c.status}; only a rejected claim can be appealed`);
      const days = await this.windowDays(tx, c);
      const until = new Date(rejectedAt(c).getTime() + days * DAY_MS);
      if (now.getTime() >= until.getTime()) {
        throw new DomainError('appeal_window_closed', `A rejection may be appealed within ${days} days; this one could be until ${toShanghaiIso(until)}`);
      }
      try {
        await this.appeals.insert(tx, {
          id: appealId, claimId: c.id, city: c.city, programId: c.programId, retailerId: c.retailerId, appellantKind: appellant,
          appellantId: actor.id, reason, rejectedBy: c.decidedBy, rejectedAt: rejectedAt(c), rejectionReason: c.decisionReason, createdAt: now,
        });
      } catch (err) {
        if (err instanceof AppealExists) throw new DomainError('appeal_exists', 'This claim has been appealed already; a claim is appealed once');
        throw err;
      }
      await this.audit.append(tx, actor, {
        action: 'claim.appealed', subjectType: 'claim', subjectId: c.id,
        details: { appealId, appellant, reasonSha256: reasonDigest(reason), retailerId: c.retailerId, city: c.city },
      });
    });
    return { appealId, status: 'open' };
  }

  /** Claims as their household or retailer sees them: each with its appeal, and until when a rejection may be appealed. */
  async withAppeals(actor: Actor, claims: Claim[]): Promise<PartyClaimView[]> {
    const rejected = claims.filter((c) => c.status === 'rejected');
    const [appeals, windows] = await Promise.all([
      this.appeals.forClaims(claims.map((c) => c.id)),
      this.windows(this.db.manager, rejected),
    ]);
    return claims.map((c) => {
      const a = appeals.get(c.id);
      const days = windows.get(`${c.programId}:${c.policyVersion}`) ?? DEFAULT_APPEAL_WITHIN_DAYS;
      return {
        ...toClaimView(c),
        appeal: a ? partyAppealView(actor, a) : null,
        appealableUntil: c.status === 'rejected' && !a ? toShanghaiIso(new Date(rejectedAt(c).getTime() + days * DAY_MS)) : null,
      };
    });
  }

  private async windowDays(tx: Tx, c: Claim): Promise<number> {
    return (await this.windows(tx, [c])).get(`${c.programId}:${c.policyVersion}`) ?? DEFAULT_APPEAL_WITHIN_DAYS;
  }

  /**
   * `appealWithinDays` of each (programme, version) of `claims`, one query — in `tx` inside a transaction (a pool
   * query there waits for a second connection while the first holds the claim's lock: with every connection held so,
   * nothing moves until the connect timeout).
   */
  private async windows(tx: Tx, claims: Claim[]): Promise<Map<string, number>> {
    if (!claims.length) return new Map();
    const versions = await this.programs.versions(tx, [...new Set(claims.map((c) => c.programId))]);
    return new Map(versions.map((v) => [`${v.programId}:${v.version}`, appealWindowDays(v.rules)]));
  }
}

function owns(actor: Actor, c: Claim): boolean {
  return (actor.role === 'retailer' && !!actor.retailerId && actor.retailerId === c.retailerId) || (actor.role === 'household' && actor.id === c.householdId);
}

function partyAppealView(actor: Actor, a: ClaimAppeal): PartyAppealView {
  const mine = (actor.role === 'household' && a.appellantKind === 'household') || (actor.role === 'retailer' && a.appellantKind === 'retailer');
  return {
    id: a.id, status: a.status, appellant: a.appellantKind, reason: mine ? a.reason : null, createdAt: toShanghaiIso(a.createdAt),
    rejectedAt: toShanghaiIso(a.rejectedAt), rejectionReason: a.rejectionReason,
    decidedAt: a.decidedAt ? toShanghaiIso(a.decidedAt) : null, decisionReason: a.decisionReason,
  };
}
