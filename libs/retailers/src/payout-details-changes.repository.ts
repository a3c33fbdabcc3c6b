import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { isUuid } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import { sealBankAccount } from './bank-account-seal';
import type { BankAccount, MaskedBankAccount, PayoutDetailsChange, PayoutDetailsChangeStatus, StoredBankAccount } from './retailer.types';

interface ChangeRow {
  id: string;
  retailer_id: string;
  status: PayoutDetailsChangeStatus;
  stripe_account_id: string | null;
  bank: StoredBankAccount | null;
  previous_stripe_account_id: string | null;
  previous_bank: StoredBankAccount | null;
  from_version: number | null;
  to_version: number | null;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
}

const COLUMNS = `id, retailer_id, status, stripe_account_id, bank, previous_stripe_account_id, previous_bank, from_version, to_version,
  proposed_by, proposed_at, decided_by, decided_at, reason`;

const masked = (b: StoredBankAccount | null): MaskedBankAccount | null =>
  b && { accountName: b.accountName, accountNumberLast4: b.accountNumberLast4, bankCode: b.bankCode };

function toChange(r: ChangeRow): PayoutDetailsChange {
  return {
    id: r.id, retailerId: r.retailer_id, status: r.status, stripeAccountId: r.stripe_account_id, bank: masked(r.bank),
    previousStripeAccountId: r.previous_stripe_account_id, previousBank: masked(r.previous_bank), fromVersion: r.from_version,
    toVersion: r.to_version, proposedBy: r.proposed_by, proposedAt: r.proposed_at, decidedBy: r.decided_by, decidedAt: r.decided_at,
    reason: r.reason,
  };
}

/**
 * payout_details_changes: proposals of new payout details and their decisions. The proposed bank account is
 * sealed here, as `retailers.bank` is (bound to the retailer), so an approval copies the sealed value across
 * without ever opening it; what leaves this repository is masked (last four digits).
 */
@Injectable()
export class PayoutDetailsChangesRepository {
  constructor(
    private readonly db: TransactionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new pending change; a retailer with one pending already fails on `payout_details_changes_one_pending`. */
  async insert(tx: Tx, c: { id: string; retailerId: string; stripeAccountId: string | null; bank: BankAccount | null; proposedBy: string; at: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO payout_details_changes (id, retailer_id, status, stripe_account_id, bank, proposed_by, proposed_at)
       VALUES ($1, $2, 'pending_approval', $3, $4, $5, $6)`,
      [c.id, c.retailerId, c.stripeAccountId, c.bank && sealBankAccount(this.config.dataEncryptionKey, c.retailerId, c.bank), c.proposedBy, c.at],
    );
  }

  /** The change, as `q` (a transaction or the pool) sees it now. */
  async find(q: Tx, id: string): Promise<PayoutDetailsChange | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: ChangeRow[] = await q.query(`SELECT ${COLUMNS} FROM payout_details_changes WHERE id = $1`, [id]);
    return rows[0] && toChange(rows[0]);
  }

  /** The proposed details as stored (the bank account sealed), for an approval to copy. */
  async proposedStored(tx: Tx, id: string): Promise<{ stripeAccountId: string | null; bank: StoredBankAccount | null } | undefined> {
    const rows: Pick<ChangeRow, 'stripe_account_id' | 'bank'>[] = await tx.query(`SELECT stripe_account_id, bank FROM payout_details_changes WHERE id = $1`, [id]);
    return rows[0] && { stripeAccountId: rows[0].stripe_account_id, bank: rows[0].bank };
  }

  /**
   * Approves a pending change, recording what it replaces and the version it moves from: a conditional UPDATE,
   * so of two admins deciding at once exactly one finds the change pending (the other waits for the row, then
   * finds it decided: undefined).
   */
  async approve(
    tx: Tx, id: string, by: string, at: Date, replaced: { stripeAccountId: string | null; bank: StoredBankAccount | null; version: number },
  ): Promise<PayoutDetailsChange | undefined> {
    const rows = returnedRows<ChangeRow>(await tx.query(
      `UPDATE payout_details_changes
          SET status = 'approved', decided_by = $2, decided_at = $3, previous_stripe_account_id = $4, previous_bank = $5,
              from_version = $6, to_version = $6 + 1
        WHERE id = $1 AND status = 'pending_approval'
        RETURNING ${COLUMNS}`,
      [id, by, at, replaced.stripeAccountId, replaced.bank, replaced.version],
    ));
    return rows[0] && toChange(rows[0]);
  }

  /** Rejects a pending change (conditional, as `approve`); undefined when it is no longer pending. */
  async reject(tx: Tx, id: string, by: string, at: Date, reason: string | null): Promise<PayoutDetailsChange | undefined> {
    const rows = returnedRows<ChangeRow>(await tx.query(
      `UPDATE payout_details_changes SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4
        WHERE id = $1 AND status = 'pending_approval'
        RETURNING ${COLUMNS}`,
      [id, by, at, reason],
    ));
    return rows[0] && toChange(rows[0]);
  }

  /** The retailers' pending changes (at most one each), from the pool. */
  async pendingOf(retailerIds: string[]): Promise<PayoutDetailsChange[]> {
    const wanted = [...new Set(retailerIds.filter(isUuid))];
    if (!wanted.length) return [];
    const rows: ChangeRow[] = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM payout_details_changes WHERE retailer_id = ANY($1::uuid[]) AND status = 'pending_approval'`,
      [wanted],
    );
    return rows.map(toChange);
  }

  /**
   * One page of changes, oldest proposal first (a queue: the one waiting longest at the top), optionally of one
   * status and one retailer; `after` is the last (proposedAt, id) of the previous page.
   */
  async page(q: { status?: PayoutDetailsChangeStatus; retailerId?: string; after?: { at: Date; id: string }; limit: number }): Promise<PayoutDetailsChange[]> {
    const rows: ChangeRow[] = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM payout_details_changes
        WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR retailer_id = $2)
          AND ($3::timestamptz IS NULL OR (proposed_at, id) > ($3::timestamptz, $4::uuid))
        ORDER BY proposed_at, id
        LIMIT $5`,
      [q.status ?? null, q.retailerId ?? null, q.after?.at ?? null, q.after?.id ?? null, q.limit],
    );
    return rows.map(toChange);
  }
}
