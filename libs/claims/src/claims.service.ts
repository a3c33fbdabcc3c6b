import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, isUuid, Page, pageSize, requireAccess } from '@huanxin/core';
import { ReadDatabase, TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { ClaimAppealsService, PartyClaimView } from './claim-appeals.service';
import { decodeClaimCursor, encodeClaimCursor } from './claim-view';
import { Claim, ClaimsRepository, ClaimStatus } from './claims.repository';
import { normaliseIdentifier } from './trade-in.service';

@Injectable()
export class ClaimsService {
  constructor(
    private readonly db: TransactionService,
    private readonly read: ReadDatabase,
    private readonly claims: ClaimsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly appeals: ClaimAppealsService,
  ) {}

  /** A retailer sees its own claims; a household its own. Another's claim is simply not found. */
  async list(actor: Actor, q: { limit?: number; cursor?: string; status?: ClaimStatus }): Promise<Page<PartyClaimView>> {
    const scope = { ...this.scope(actor), status: q.status };
    const limit = pageSize(q.limit);
    const after = decodeClaimCursor(q.cursor);
    const rows = await this.claims.page(scope, limit + 1, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: await this.appeals.withAppeals(actor, items), nextCursor: rows.length > limit && last ? encodeClaimCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async get(actor: Actor, id: string): Promise<PartyClaimView> {
    const row = isUuid(id) ? await this.claims.findById(id) : undefined;
    if (!row || !this.owns(actor, row)) throw new DomainError('not_found', 'No such claim');
    const [view] = await this.appeals.withAppeals(actor, [row]);
    return view;
  }

  /**
   * The TV came back (API.md): before payout the claim is cancelled and its money goes back to the pool;
   * once paid it becomes a clawback, a receivable from the retailer netted from its next payout.
   */
  async cancel(actor: Actor, id: string, reason: string): Promise<PartyClaimView> {
    requireAccess(actor, 'till.use');
    const now = this.clock.now();
    await this.db.run(async (tx) => {
      const c = isUuid(id) ? await this.claims.lockById(tx, id) : undefined;
      if (!c || !this.owns(actor, c)) throw new DomainError('not_found', 'No such claim');
      const amount = c.amountFen;
      const movement = { programId: c.programId, city: c.city, reference: c.id, note: reason, amountFen: amount, retailerId: c.retailerId };
      let next: 'cancelled' | 'clawed_back';
      switch (c.status) {
        case 'pending_review':
          next = 'cancelled';
          await this.claims.transition(tx, c.id, c.status, next, { at: now, cancelReason: reason });
          await this.ledger.release(tx, actor, movement);
          break;
        case 'approved':
        case 'payout_failed':
          next = 'cancelled';
          await this.claims.transition(tx, c.id, c.status, next, { at: now, cancelReason: reason });
          await this.ledger.uncommit(tx, actor, movement);
          break;
        case 'paid':
          next = 'clawed_back';
          await this.claims.transition(tx, c.id, c.status, next, { at: now, cancelReason: reason });
          await this.ledger.clawback(tx, actor, movement);
          break;
        default:
          throw new DomainError('claim_not_cancellable', `A claim that is ${c.status} cannot be cancelled`);
      }
      await this.audit.append(tx, actor, {
        action: next === 'cancelled' ? 'claim.cancelled' : 'claim.clawed_back', subjectType: 'claim', subjectId: c.id,
        details: { from: c.status, reason, amountFen: amount },
      });
    });
    return this.get(actor, id);
  }

  /**
   * The public check, read from the read replica (ReadDatabase: a claim submitted within DATABASE_READ_MAX_LAG_MS
   * may not show yet; the primary when there is none, or it is behind or down). The trade-in's own serial rule reads
   * the primary, in its transaction (ClaimsRepository.saleFacts).
   */
  async serialSubsidised(serial: string): Promise<{ subsidised: boolean }> {
    const normalised = normaliseIdentifier(serial);
    return { subsidised: await this.read.run((m) => this.claims.liveSerialExists(m, normalised)) };
  }

  private scope(actor: Actor): { retailerId?: string; householdId?: string } {
    if (actor.role === 'retailer' && actor.retailerId) return { retailerId: actor.retailerId };
    if (actor.role === 'household') return { householdId: actor.id };
    throw new DomainError('forbidden', 'Only retailers and households list their claims here');
  }

  private owns(actor: Actor, c: Claim): boolean {
    return (actor.role === 'retailer' && actor.retailerId === c.retailerId) || (actor.role === 'household' && actor.id === c.householdId);
  }
}
