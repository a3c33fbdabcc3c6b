import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { ClaimSettlementRepository, ClaimStatus } from '@huanxin/claims';
import { Actor } from '@huanxin/core';
import { Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { ClawbacksRepository } from './clawbacks.repository';
import { CityMove, PayoutsRepository } from './payouts.repository';

/** Where a city's movement of a payout is booked: per programme and city, referring to the payout. */
const scope = (m: CityMove) => ({ programId: m.programId, city: m.city, reference: m.payoutId, note: `payout ${m.payoutId}` });

/**
 * Every state change of a payout, with its claims, its ledger movements and its audit events, inside the
 * caller's transaction. The ledger moves per programme and city (a payout can hold claims of several
 * cities), one transaction each, visited in (city, programme, payout) order so two settlements never lock
 * two cities in opposite orders.
 *
 *   paid      payable(r) −gross_c, receivable(r) +netted_c, paid +(gross_c − netted_c)   per city c
 *             (Σ over cities of the paid leg = the payout's amount: the ledger's paid grows by the cash sent)
 *   un-paid   the reverse for the claims going back to approved and the netting undone; clawed-back
 *             claims whose money came back settle their receivable: receivable(r) +A, paid −A (A their whole
 *             amount: if it had been recovered elsewhere too, the receivable ends positive, a credit)
 *   netting   a payout nets the retailer's open clawbacks (netted > 0) and gives its credits back (netted < 0)
 *   reversal  receivable(r) +x_c, paid −x_c  (a clawback recovered from an earlier transfer)
 */
@Injectable()
export class PayoutLedger {
  constructor(
    private readonly payouts: PayoutsRepository,
    private readonly clawbacks: ClawbacksRepository,
    private readonly claims: ClaimSettlementRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
  ) {}

  /** pending → sent: handed to the gateway, confirmation to follow. */
  async markSent(tx: Tx, actor: Actor, items: { id: string; reference: string }[], now: Date): Promise<void> {
    if (!items.length) return;
    const rows = await this.payouts.markSent(tx, items, now);
    const ref = new Map(items.map((i) => [i.id, i.reference]));
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.sent', subjectType: 'payout', subjectId: p.id,
      details: { runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount, reference: ref.get(p.id) },
    })));
  }

  /** pending | sent → paid: claims paid, money moved payable → paid (netting the clawbacks kept back). */
  async markPaid(tx: Tx, actor: Actor, items: { id: string; reference?: string | null }[], now: Date): Promise<string[]> {
    if (!items.length) return [];
    const rows = await this.payouts.markPaid(tx, items, now);
    const paid = rows.map((r) => r.id);
    if (!paid.length) return [];
    await this.moveClaims(tx, actor, 'claim.paid', paid, 'in_payout', 'paid', now);
    for (const m of await this.payouts.payMoves(tx, paid)) {
      if (m.grossFen === 0 && m.recoveredFen === 0) continue;
      await this.ledger.pay(tx, actor, { ...scope(m), retailerId: m.retailerId, amountFen: m.grossFen, nettedFen: m.recoveredFen });
    }
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.paid', subjectType: 'payout', subjectId: p.id,
      details: {
        runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, grossFen: p.grossFen, nettedFen: p.nettedFen,
        claimCount: p.claimCount, reference: p.gatewayRef,
      },
    })));
    return paid;
  }

  /**
   * pending | sent → failed: nothing was paid, so nothing moves in the ledger; the claims go back to
   * approved for the next run and the clawbacks this payout would have netted are open again.
   */
  async markFailed(tx: Tx, actor: Actor, items: { id: string; code: string; reason: string }[], now: Date): Promise<string[]> {
    if (!items.length) return [];
    const rows = await this.payouts.markFailed(tx, items, now);
    const failed = rows.map((r) => r.id);
    if (!failed.length) return [];
    await this.moveClaims(tx, actor, 'claim.payout_failed', failed, 'in_payout', 'approved', now);
    await this.clawbacks.undoNetted(tx, failed);
    await this.payouts.closeClaims(tx, failed);
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.failed', subjectType: 'payout', subjectId: p.id,
      details: { runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount, code: p.failureCode, reason: p.failureReason, claimsBackTo: 'approved' },
    })));
    return failed;
  }

  /**
   * paid → failed: the money came back (a transfer reversed, the connected account's bank payout failed and
   * we took the transfer back, or the bank returned it). Claims still paid go back to approved; clawed-back
   * claims of the payout have their debt settled by the returned money; clawbacks netted by this payout are
   * owed again.
   */
  async unpay(tx: Tx, actor: Actor, payoutId: string, code: string, reason: string, now: Date): Promise<boolean> {
    const p = await this.payouts.markReturned(tx, payoutId, code, reason, now);
    if (!p) return false;
    // Hold the payout's claims before reading their statuses: a cancellation or clawback racing this return
    // either committed first (and is read here) or waits and then finds the claim no longer paid. Without
    // the lock a concurrent clawback could move a claim this return had already counted as paid.
    const lines = await this.payouts.openClaimLines(tx, [payoutId]);
    const held = await this.claims.lockMany(tx, lines.map((l) => l.claimId));
    // Clawed-back claims of this payout: their whole amount came back with the transfer, whatever was recovered
    // for them elsewhere (netted from a later payout, reversed on Stripe — done, pending or being written by a
    // run right now). What was recovered elsewhere was taken for a subsidy the retailer never received: the
    // claim ends over-recovered, a credit (receivable > 0) given back with the retailer's next payout. Booking
    // the whole amount, not "what is still open", is what makes this independent of every concurrent recovery.
    await this.clawbacks.insertReturned(tx, payoutId, held.filter((c) => c.status === 'clawed_back'), now);
    const paidIds = held.filter((c) => c.status === 'paid').map((c) => c.id);
    const moves = await this.payouts.unpayMoves(tx, p, paidIds);
    await this.moveLines(tx, actor, 'claim.payout_returned', lines, 'paid', 'approved', now);
    await this.clawbacks.undoNetted(tx, [payoutId]);
    for (const m of moves) {
      if (m.grossFen === 0 && m.recoveredFen === m.undoneFen) continue;
      await this.ledger.unpay(tx, actor, { ...scope(m), retailerId: m.retailerId, grossFen: m.grossFen, returnedFen: m.recoveredFen, undoneFen: m.undoneFen });
    }
    await this.payouts.closeClaims(tx, [payoutId]);
    await this.audit.append(tx, actor, {
      action: 'payout.returned', subjectType: 'payout', subjectId: payoutId,
      details: { runId: p.runId, retailerId: p.retailerId, amountFen: p.amountFen, claimCount: p.claimCount, code, reason, claimsBackTo: 'approved' },
    });
    return true;
  }

  /** A clawback reversal went through: the recovered receivables are settled, paid shrinks by the same. */
  async reversalSucceeded(tx: Tx, actor: Actor, reversalId: string, reference: string, now: Date): Promise<void> {
    const v = await this.clawbacks.markReversalSucceeded(tx, reversalId, reference, now);
    if (!v) return;
    await this.payouts.addReversed(tx, v.payoutId, v.amountFen, now);
    for (const m of await this.clawbacks.recoverMoves(tx, reversalId, v.payoutId)) {
      if (m.recoveredFen === 0) continue;
      await this.ledger.recover(tx, actor, { ...scope(m), retailerId: m.retailerId, amountFen: m.recoveredFen });
    }
    await this.audit.append(tx, actor, {
      action: 'payout.reversed', subjectType: 'payout', subjectId: v.payoutId,
      details: { reversalId: v.id, retailerId: v.retailerId, amountFen: v.amountFen, reference, purpose: 'clawback' },
    });
  }

  /** A clawback reversal was refused: the clawbacks stay open and are netted (or reversed) later. */
  async reversalFailed(tx: Tx, actor: Actor, reversalId: string, code: string, reason: string, now: Date): Promise<void> {
    const v = await this.clawbacks.markReversalFailed(tx, reversalId, code, reason, now);
    if (!v) return;
    await this.audit.append(tx, actor, {
      action: 'payout.reversal_failed', subjectType: 'payout', subjectId: v.payoutId,
      details: { reversalId: v.id, retailerId: v.retailerId, amountFen: v.amountFen, code, reason },
    });
  }

  /**
   * Moves the open claims of these payouts from one state to another (the claims library's set-based move, embedded)
   * and appends one audit event per claim moved: one statement whatever the number of claims, no loop.
   */
  private async moveClaims(tx: Tx, actor: Actor, action: string, payoutIds: string[], from: ClaimStatus, to: ClaimStatus, now: Date): Promise<void> {
    await this.payouts.moveOpenClaims(tx, actor, action, payoutIds, from, to, now, (p) => this.claims.moveCte({ ...p, from, to }));
  }

  private async moveLines(tx: Tx, actor: Actor, action: string, lines: { claimId: string; payoutId: string; city: string; amountFen: number }[], from: ClaimStatus, to: ClaimStatus, now: Date): Promise<void> {
    if (!lines.length) return;
    const moved = new Set(await this.claims.moveMany(tx, lines.map((l) => l.claimId), from, to, now));
    await this.payouts.auditClaimMoves(tx, actor, action, from, to, lines.filter((l) => moved.has(l.claimId)));
  }
}
