import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import { Actor, Clock, decodeTimeCursor, DomainError, encodeTimeCursor, FieldError, isUuid, newId, Page, pageSize, requireAccess, toShanghaiIso } from '@huanxin/core';
import { isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { PayoutDetailsChangesRepository } from './payout-details-changes.repository';
import type { MaskedBankAccount, PayoutDetailsChange, PayoutDetailsChangeStatus, PayoutDetailsChangeView, PayoutInput, RetailerPayoutDetailsNotice } from './retailer.types';
import { payoutDetailsChangeView as toView } from './payout-details-views';
import { RetailersRepository } from './retailers.repository';
import { BANK_ACCOUNT_NUMBER_RE, STRIPE_ACCOUNT_RE } from './retailers.service';

export const PAYOUT_DETAILS_CHANGE_STATUSES: readonly PayoutDetailsChangeStatus[] = ['pending_approval', 'approved', 'rejected'];

/** The domain's own check of proposed payout details (the HTTP DTO checks the same; a script cannot skip it). */
export function checkPayoutDetails(input: PayoutInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!input.stripeAccountId && !input.bank) errors.push({ field: 'stripeAccountId', message: 'send a stripeAccountId, a bank account, or both' });
  if (input.stripeAccountId !== undefined && !STRIPE_ACCOUNT_RE.test(input.stripeAccountId)) {
    errors.push({ field: 'stripeAccountId', message: 'stripeAccountId must look like acct_…' });
  }
  if (input.bank && !BANK_ACCOUNT_NUMBER_RE.test(input.bank.accountNumber)) errors.push({ field: 'bank.accountNumber', message: 'accountNumber must be 8-32 digits' });
  return errors;
}

/** What the audit log keeps of a bank account: never the number, its last four digits. */
const auditBank = (b: MaskedBankAccount | null) => b && { accountNumberLast4: b.accountNumberLast4, bankCode: b.bankCode };

/**
 * Payout details changed by four eyes (issue 13; payment-redirection fraud is the threat). An admin proposes a
 * retailer's new Stripe account and/or bank account; nothing changes until another admin approves it, and the
 * approval applies it in its own transaction. The database holds the rules: one pending change a retailer (a
 * unique partial index), the decider is not the proposer (a CHECK besides the service's 403), the decision a
 * conditional UPDATE (two admins at once: one outcome). Proposal, approval and rejection are audit events with the
 * account masked. Payouts record the payout-details version they were created under, so a payout written before
 * an approval is still paid where it was written to be paid.
 */
@Injectable()
export class PayoutDetailsService {
  constructor(
    private readonly db: TransactionService,
    private readonly retailers: RetailersRepository,
    private readonly changes: PayoutDetailsChangesRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** POST /v1/admin/retailers/{id}/payout-details: a pending change; the retailer's details stay as they are. */
  async propose(actor: Actor, retailerId: string, input: PayoutInput): Promise<{ changeId: string; status: 'pending_approval' }> {
    requirePerson(actor);
    const errors = checkPayoutDetails(input);
    if (errors.length) throw new DomainError('validation_failed', 'The request has invalid fields', errors);
    const id = newId();
    const bank = input.bank ? { accountName: input.bank.accountName, accountNumber: input.bank.accountNumber, bankCode: input.bank.bankCode } : null;
    try {
      await this.db.run(async (tx) => {
        // share: the retailer cannot change (an approval applying) under the proposal
        const r = await this.retailers.lockById(tx, retailerId, 'share');
        if (!r) throw new DomainError('not_found', 'No retailer with this id');
        await this.changes.insert(tx, { id, retailerId: r.id, stripeAccountId: input.stripeAccountId ?? null, bank, proposedBy: actor.id, at: this.clock.now() });
        await this.audit.append(tx, actor, {
          action: 'retailer.payout_details_proposed', subjectType: 'retailer', subjectId: r.id,
          details: {
            changeId: id, stripeAccountId: input.stripeAccountId ?? null,
            bank: bank && { accountNumberLast4: bank.accountNumber.slice(-4), bankCode: bank.bankCode },
            currentVersion: r.payoutDetailsVersion,
          },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'payout_details_changes_one_pending')) {
        throw new DomainError('payout_details_change_pending', 'This retailer already has a payout-details change waiting for approval: approve or reject it first');
      }
      throw err;
    }
    return { changeId: id, status: 'pending_approval' };
  }

  /**
   * Another admin approves: in one transaction the change is marked approved (only if still pending), the
   * retailer's details replaced and its version moved on, and the audit event written.
   */
  async approve(actor: Actor, changeId: string): Promise<PayoutDetailsChangeView> {
    requirePerson(actor);
    const decided = await this.db.run(async (tx) => {
      const c = await this.decidable(tx, actor, changeId);
      // a second pair of eyes that existed before the proposal: an admin who proposes and then creates another admin
      // account to approve with is one person, not two
      const approver = await this.users.findById(tx, actor.id);
      if (!approver || approver.createdAt.getTime() >= c.proposedAt.getTime()) {
        throw new DomainError('four_eyes_required', 'An admin account created after the change was proposed may not approve it: another admin must');
      }
      // nor one the proposer made, directly or through admins it made, nor one that made the proposer's account: an
      // admin who made a second account beforehand, to propose with one and approve with the other, is one person
      if (await this.users.oneLineage(tx, c.proposedBy, actor.id)) {
        throw new DomainError('four_eyes_required', "Your account and the proposer's are of one lineage (one made the other, or made the admin who did): another admin must approve");
      }
      // the retailer first (the order every writer of its details takes), then the change's row
      const current = await this.retailers.lockStoredPayout(tx, c.retailerId);
      if (!current) throw new Error(`payout details change ${c.id}: its retailer ${c.retailerId} is gone`);
      const now = this.clock.now();
      const approved = await this.changes.approve(tx, c.id, actor.id, now, current);
      if (!approved) throw alreadyDecided();
      const proposed = (await this.changes.proposedStored(tx, c.id))!;
      const next = { stripeAccountId: proposed.stripeAccountId ?? current.stripeAccountId, bank: proposed.bank ?? current.bank };
      if (!(await this.retailers.applyPayoutDetails(tx, c.retailerId, next, current.version, now))) {
        throw new Error(`payout details change ${c.id}: the retailer's version moved under its lock`);
      }
      await this.audit.append(tx, actor, {
        action: 'retailer.payout_details_approved', subjectType: 'retailer', subjectId: c.retailerId,
        details: {
          changeId: c.id, proposedBy: c.proposedBy, fromVersion: approved.fromVersion, toVersion: approved.toVersion,
          stripeAccountId: next.stripeAccountId, bank: auditBank(next.bank),
          previous: { stripeAccountId: current.stripeAccountId, bank: auditBank(current.bank) },
        },
      });
      return approved;
    });
    return this.view(actor, decided);
  }

  /** Another admin rejects (with an optional reason): nothing changes but the proposal's status. */
  async reject(actor: Actor, changeId: string, reason?: string): Promise<PayoutDetailsChangeView> {
    requirePerson(actor);
    const decided = await this.db.run(async (tx) => {
      const c = await this.decidable(tx, actor, changeId);
      const rejected = await this.changes.reject(tx, c.id, actor.id, this.clock.now(), reason ?? null);
      if (!rejected) throw alreadyDecided();
      await this.audit.append(tx, actor, {
        action: 'retailer.payout_details_rejected', subjectType: 'retailer', subjectId: c.retailerId,
        details: { changeId: c.id, proposedBy: c.proposedBy, reason: reason ?? null },
      });
      return rejected;
    });
    return this.view(actor, decided);
  }

  /** GET /v1/admin/payout-details-changes: oldest first (the queue), filtered by status and retailer. */
  async list(actor: Actor, q: { status?: PayoutDetailsChangeStatus; retailerId?: string; limit?: number; cursor?: string }): Promise<Page<PayoutDetailsChangeView>> {
    requireAccess(actor, 'programme.manage');
    const limit = pageSize(q.limit);
    const after = q.cursor === undefined ? undefined : (({ at, key }) => ({ at, id: key.toLowerCase() }))(decodeTimeCursor(q.cursor, isUuid));
    if (q.retailerId !== undefined && !isUuid(q.retailerId)) return { items: [], nextCursor: null };
    const rows = await this.changes.page({ status: q.status, retailerId: q.retailerId?.toLowerCase(), after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const [retailers, people] = await Promise.all([this.retailers.findManyById(this.db.manager, page.map((c) => c.retailerId)), this.staffNames(page)]);
    const byId = new Map(retailers.map((r) => [r.id, r]));
    const last = page[page.length - 1];
    return {
      items: page.map((c) => toView(actor, c, byId.get(c.retailerId)?.name ?? null, people, byId.get(c.retailerId))),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.proposedAt, last.id) : null,
    };
  }

  /** GET /v1/admin/payout-details-changes/{changeId}. */
  async get(actor: Actor, changeId: string): Promise<PayoutDetailsChangeView> {
    requireAccess(actor, 'programme.manage');
    const c = await this.changes.find(this.db.manager, changeId);
    if (!c) throw notFound();
    return this.view(actor, c);
  }

  /** The retailer's pending change (for its detail page), or null. */
  async pendingFor(actor: Actor, retailerId: string): Promise<PayoutDetailsChangeView | null> {
    requireAccess(actor, 'programme.manage');
    const [c] = await this.changes.pendingOf([retailerId]);
    return c ? this.view(actor, c) : null;
  }

  /**
   * GET /v1/retailer/payout-details: what a retailer is told of its own payout details — where it is paid (masked),
   * since when, and whether the programme office has a change waiting for approval, so a change it did not ask
   * for is noticed before it takes effect.
   */
  async notice(actor: Actor): Promise<RetailerPayoutDetailsNotice> {
    requireAccess(actor, 'till.use');
    const r = await this.retailers.findById(actor.retailerId!);
    if (!r) throw new DomainError('not_found', 'No retailer with this id');
    const [pending] = await this.changes.pendingOf([r.id]);
    return {
      stripeAccountId: r.stripeAccountId,
      bank: r.bank,
      version: r.payoutDetailsVersion,
      changedAt: r.payoutDetailsChangedAt ? toShanghaiIso(r.payoutDetailsChangedAt) : null,
      pendingChangeProposedAt: pending ? toShanghaiIso(pending.proposedAt) : null,
    };
  }

  /** The change, if this actor may decide it: 404 unknown, 403 `four_eyes_required` its proposer, 409 decided. */
  private async decidable(tx: Tx, actor: Actor, changeId: string): Promise<PayoutDetailsChange> {
    const c = await this.changes.find(tx, changeId);
    if (!c) throw notFound();
    if (c.proposedBy === actor.id) {
      throw new DomainError('four_eyes_required', 'You proposed this change: another admin must approve or reject it');
    }
    if (c.status !== 'pending_approval') throw alreadyDecided();
    return c;
  }

  private async view(actor: Actor, c: PayoutDetailsChange): Promise<PayoutDetailsChangeView> {
    const [retailers, people] = await Promise.all([this.retailers.findManyById(this.db.manager, [c.retailerId]), this.staffNames([c])]);
    const r = retailers[0];
    return toView(actor, c, r?.name ?? null, people, r);
  }

  private staffNames(changes: PayoutDetailsChange[]): Promise<Map<string, string>> {
    return this.users.staffNames(changes.flatMap((c) => [c.proposedBy, ...(c.decidedBy ? [c.decidedBy] : [])]));
  }
}

/** Four eyes are two people: the programme office's admins, signed in (not a job, not a key). */
function requirePerson(actor: Actor): void {
  requireAccess(actor, 'programme.manage');
  if (actor.kind !== 'user') throw new DomainError('forbidden', 'Only a signed-in admin proposes or decides payout-details changes');
}

function notFound(): DomainError {
  return new DomainError('not_found', 'No payout-details change with this id');
}

function alreadyDecided(): DomainError {
  return new DomainError('change_already_decided', 'This payout-details change has already been approved or rejected');
}
