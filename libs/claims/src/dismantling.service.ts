import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, isUuid, requireAccess, SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { ProgramsRepository } from '@huanxin/programs';
import { ReceiptRegistrationsRepository } from '@huanxin/recycling';
import { ClaimDismantlingRepository, DismantlingCandidate } from './claim-dismantling.repository';

const BATCH = 500;
const key = (c: { issuer: string; rid: string }) => `${c.issuer}/${c.rid}`;

/**
 * Dismantling confirmed (issue 13). Under a policy with `dismantleWithinDays`, a claim whose receipt the recycler has
 * not confirmed dismantled within that many days of the later of the sale and the receipt's issue time is flagged
 * `dismantling_unconfirmed` and held from payout (claims.dismantling = 'held': payout runs skip it). The hold ends when
 * the recycler confirms (at once, in the confirmation's transaction, or at the worker's next pass) or when an auditor
 * releases it. Set by the worker (`check`, every DISMANTLING_CHECK_INTERVAL_MS), not computed at payout time, so a
 * payout run reads no other library's table and the auditor's queue can filter on the flag.
 */
@Injectable()
export class DismantlingService {
  constructor(
    private readonly db: TransactionService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly claims: ClaimDismantlingRepository,
    private readonly programs: ProgramsRepository,
    private readonly registrations: ReceiptRegistrationsRepository,
  ) {}

  /** One pass of the worker: overdue claims held, or marked confirmed when their receipt was. Answers how many changed. */
  async check(): Promise<number> {
    const now = this.clock.now();
    let changed = 0;
    for (const d of await this.programs.dismantlingDeadlines()) {
      for (;;) {
        const due = await this.claims.overdue(d.programId, d.version, d.days, now, BATCH);
        if (!due.length) break;
        changed += await this.judge(due, d.days);
        if (due.length < BATCH) break;
      }
    }
    return changed;
  }

  /**
   * Holds the overdue claims whose receipt is not confirmed, then looks again: a confirmation that committed between
   * the first look and the hold found no held claim to release, so the second look releases it. One committing after
   * the hold releases it itself (ReceiptRegistrationsService.confirmDismantled, in its own transaction).
   */
  private async judge(due: DismantlingCandidate[], days: number): Promise<number> {
    const { held, confirmed } = await this.hold(due, days);
    const late = await this.registrations.dismantledAmong(undefined, due.filter((c) => held.includes(c.id)));
    const release = due.filter((c) => held.includes(c.id) && late.has(key(c))).map((c) => c.id);
    if (release.length) await this.db.run((tx) => this.claims.mark(tx, release, 'held', 'confirmed'));
    return held.length + confirmed.length;
  }

  /** Claims whose receipt is confirmed are marked so; the others held and flagged, each with its audit event. */
  private async hold(due: DismantlingCandidate[], days: number): Promise<{ held: string[]; confirmed: string[] }> {
    const confirmed = await this.registrations.dismantledAmong(undefined, due);
    return this.db.run(async (tx) => {
      const done = await this.claims.mark(tx, due.filter((c) => confirmed.has(key(c))).map((c) => c.id), null, 'confirmed');
      const held = await this.claims.hold(tx, due.filter((c) => !confirmed.has(key(c))).map((c) => c.id));
      const byId = new Map(due.map((c) => [c.id, c]));
      for (const id of held) {
        const c = byId.get(id)!;
        await this.audit.append(tx, SYSTEM_ACTOR, {
          action: 'claim.dismantling_held', subjectType: 'claim', subjectId: id,
          details: { receipt: { iss: c.issuer, rid: c.rid }, dismantleWithinDays: days },
        });
      }
      return { held, confirmed: done };
    });
  }

  /**
   * An auditor lets a held claim go to payout without the recycler's confirmation (with a reason, in the audit log).
   * Not held → 409 conflict; no such claim → 404.
   */
  async release(actor: Actor, claimId: string, reason: string): Promise<{ claimId: string; dismantling: 'released' }> {
    requireAccess(actor, 'claims.review');
    if (!isUuid(claimId)) throw new DomainError('not_found', 'No claim with this id');
    return this.db.run(async (tx) => {
      const claim = await this.claims.lock(tx, claimId);
      if (!claim) throw new DomainError('not_found', 'No claim with this id');
      if (claim.dismantling !== 'held') throw new DomainError('conflict', 'The claim is not held for dismantling');
      await this.claims.mark(tx, [claimId], 'held', 'released');
      await this.audit.append(tx, actor, {
        action: 'claim.dismantling_released', subjectType: 'claim', subjectId: claimId, details: { reason },
      });
      return { claimId, dismantling: 'released' as const };
    });
  }
}
