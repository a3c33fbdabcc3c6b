import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { isUuid } from '@huanxin/core';
import { queryPrepared, returnedRows, TransactionService, Tx } from '@huanxin/database';
import type { BankAccount, PayoutAccount, Retailer, RetailerStatus, Store, StoredBankAccount } from './retailer.types';
import { openBankAccount, sealBankAccount } from './bank-account-seal';

interface RetailerRow {
  id: string;
  name: string;
  credit_code: string;
  city: string;
  status: RetailerStatus;
  status_reason: string | null;
  stripe_account_id: string | null;
  bank: StoredBankAccount | null;
  payout_details_version: number;
  payout_details_changed_at: Date | null;
  certified_from: Date;
  created_at: Date;
}

interface StoreRow {
  id: string;
  retailer_id: string;
  code: string;
  name: string;
  city: string;
}

const RETAILER_COLUMNS = `id, name, credit_code, city, status, status_reason, stripe_account_id, bank, payout_details_version,
  payout_details_changed_at, certified_from, created_at`;
const STORE_COLUMNS = `id, retailer_id, code, name, city`;

function toRetailer(r: RetailerRow): Retailer {
  return {
    id: r.id,
    name: r.name,
    creditCode: r.credit_code,
    city: r.city,
    status: r.status,
    statusReason: r.status_reason,
    stripeAccountId: r.stripe_account_id,
    // The row keeps the number sealed; everything read through here sees its last four digits only.
    bank: r.bank ? { accountName: r.bank.accountName, accountNumberLast4: r.bank.accountNumberLast4, bankCode: r.bank.bankCode } : null,
    payoutDetailsVersion: r.payout_details_version,
    payoutDetailsChangedAt: r.payout_details_changed_at,
    certifiedFrom: r.certified_from,
    createdAt: r.created_at,
  };
}

function toStore(r: StoreRow): Store {
  return { id: r.id, retailerId: r.retailer_id, code: r.code, name: r.name, city: r.city };
}

export interface RetailerInsert {
  id: string;
  name: string;
  creditCode: string;
  city: string;
  stripeAccountId: string | null;
  bank: BankAccount | null;
  /** when certification began outside the platform (issue 13); the creation time when not given */
  certifiedFrom: Date;
  createdAt: Date;
}

/**
 * Retailers and their stores. Look-ups accept any string as an id (a non-UUID simply is not found), so
 * callers holding an id from a request or a token need no guard of their own.
 */
@Injectable()
export class RetailersRepository {
  constructor(
    private readonly db: TransactionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async insert(tx: Tx, r: RetailerInsert): Promise<void> {
    await tx.query(
      `INSERT INTO retailers (id, name, credit_code, city, status, stripe_account_id, bank, created_at, updated_at, certified_from)
       VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $7, $8)`,
      [r.id, r.name, r.creditCode, r.city, r.stripeAccountId, r.bank && sealBankAccount(this.config.dataEncryptionKey, r.id, r.bank), r.createdAt, r.certifiedFrom],
    );
  }

  async insertStore(tx: Tx, s: Store): Promise<void> {
    await tx.query(`INSERT INTO stores (id, retailer_id, code, name, city) VALUES ($1, $2, $3, $4, $5)`, [
      s.id, s.retailerId, s.code, s.name, s.city,
    ]);
  }

  /** Retailers' names by id, for lists that show them (one query for a page). */
  async namesByIds(ids: string[]): Promise<Map<string, string>> {
    const rows: { id: string; name: string }[] = ids.length
      ? await this.db.manager.query(`SELECT id, name FROM retailers WHERE id = ANY($1::uuid[])`, [[...new Set(ids)]])
      : [];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /** A retailer (status, city, …) or undefined, from the pool; inside a transaction, `lockById`. */
  async findById(id: string): Promise<Retailer | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RetailerRow[] = await this.db.manager.query(`SELECT ${RETAILER_COLUMNS} FROM retailers WHERE id = $1`, [id]);
    return rows[0] && toRetailer(rows[0]);
  }

  /**
   * The retailer, locked inside `tx`: `update` for a status change, `share` for work that must not race a
   * suspension (a trade-in holds the share lock until it commits, so a suspension waits for it).
   */
  async lockById(tx: Tx, id: string, mode: 'update' | 'share' = 'update'): Promise<Retailer | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: RetailerRow[] = await tx.query(
      `SELECT ${RETAILER_COLUMNS} FROM retailers WHERE id = $1 ${mode === 'update' ? 'FOR UPDATE' : 'FOR SHARE'}`,
      [id],
    );
    return rows[0] && toRetailer(rows[0]);
  }

  async setStatus(tx: Tx, id: string, status: RetailerStatus, reason: string, at: Date): Promise<void> {
    await tx.query(`UPDATE retailers SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1`, [id, status, reason, at]);
  }

  /** Keyset page in creation order; `afterId` is the last id of the previous page. */
  async page(limit: number, afterId?: string): Promise<Retailer[]> {
    const rows: RetailerRow[] = await this.db.manager.query(
      `SELECT ${RETAILER_COLUMNS} FROM retailers
        WHERE $1::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM retailers WHERE id = $1::uuid)
        ORDER BY created_at, id
        LIMIT $2`,
      [afterId ?? null, limit],
    );
    return rows.map(toRetailer);
  }

  /** The stores of several retailers in one query (no N+1), in code order; `tx` is where to read (or the pool's manager). */
  async storesOf(tx: Tx, retailerIds: string[]): Promise<Store[]> {
    if (!retailerIds.length) return [];
    const rows: StoreRow[] = await tx.query(
      `SELECT ${STORE_COLUMNS} FROM stores WHERE retailer_id = ANY($1::uuid[]) ORDER BY retailer_id, code COLLATE "C"`,
      [retailerIds],
    );
    return rows.map(toStore);
  }

  /** A retailer's store by its code (exact match), or undefined, from the pool. */
  async findStore(retailerId: string, code: string): Promise<Store | undefined> {
    return this.store(this.db.manager, retailerId, code, '');
  }

  /** The store, held FOR SHARE until `tx` ends (a store change waits for the trade-in using it). */
  async shareStore(tx: Tx, retailerId: string, code: string): Promise<Store | undefined> {
    return this.store(tx, retailerId, code, ' FOR SHARE');
  }

  /**
   * `lockById(tx, retailerId, 'share')` then `shareStore(tx, retailerId, code)` in one statement, the locks taken
   * in that order: the retailer's inside the first WITH query, the store's inside the second, which cannot start
   * before the first has answered (it reads the retailer's id from it). The store is undefined when the retailer
   * has none with this code; both are when there is no such retailer. A prepared statement (`queryPrepared`).
   */
  async shareWithStore(tx: Tx, retailerId: string, code: string): Promise<{ retailer?: Retailer; store?: Store }> {
    if (!isUuid(retailerId)) return {};
    const rows: (RetailerRow & { s_id: string | null; s_code: string; s_name: string; s_city: string })[] = await queryPrepared(tx,
      `WITH r AS (SELECT ${RETAILER_COLUMNS} FROM retailers WHERE id = $1 FOR SHARE),
            s AS (SELECT ${STORE_COLUMNS} FROM stores WHERE retailer_id = (SELECT id FROM r) AND code = $2 FOR SHARE)
       SELECT r.*, s.id AS s_id, s.code AS s_code, s.name AS s_name, s.city AS s_city FROM r LEFT JOIN s ON true`,
      [retailerId, code],
    );
    const r = rows[0];
    if (!r) return {};
    return {
      retailer: toRetailer(r),
      store: r.s_id === null ? undefined : toStore({ id: r.s_id, retailer_id: r.id, code: r.s_code, name: r.s_name, city: r.s_city }),
    };
  }

  private async store(q: Tx, retailerId: string, code: string, lock: '' | ' FOR SHARE'): Promise<Store | undefined> {
    if (!isUuid(retailerId)) return undefined;
    const rows: StoreRow[] = await q.query(`SELECT ${STORE_COLUMNS} FROM stores WHERE retailer_id = $1 AND code = $2${lock}`, [retailerId, code]);
    return rows[0] && toStore(rows[0]);
  }

  /** Where to pay a retailer, account number in full: for the settlement gateways only. */
  async payoutAccount(retailerId: string): Promise<PayoutAccount | undefined> {
    if (!isUuid(retailerId)) return undefined;
    const rows: Pick<RetailerRow, 'id' | 'stripe_account_id' | 'bank' | 'payout_details_version'>[] = await this.db.manager.query(
      `SELECT id, stripe_account_id, bank, payout_details_version FROM retailers WHERE id = $1`,
      [retailerId],
    );
    const r = rows[0];
    return r && {
      retailerId: r.id, stripeAccountId: r.stripe_account_id, bank: r.bank && openBankAccount(this.config.dataEncryptionKey, r.id, r.bank),
      version: r.payout_details_version,
    };
  }

  /** Several retailers (status, payout details masked), read inside `tx`, in id order; unknown ids are left out. */
  async findManyById(tx: Tx, ids: string[]): Promise<Retailer[]> {
    const wanted = [...new Set(ids.filter(isUuid))];
    if (!wanted.length) return [];
    const rows: RetailerRow[] = await tx.query(`SELECT ${RETAILER_COLUMNS} FROM retailers WHERE id = ANY($1::uuid[]) ORDER BY id`, [wanted]);
    return rows.map(toRetailer);
  }

  /** Where to pay several retailers, account numbers in full, read inside `tx`: for the settlement gateways only. */
  async payoutAccounts(tx: Tx, retailerIds: string[]): Promise<PayoutAccount[]> {
    const wanted = [...new Set(retailerIds.filter(isUuid))];
    if (!wanted.length) return [];
    const rows: Pick<RetailerRow, 'id' | 'stripe_account_id' | 'bank' | 'payout_details_version'>[] = await tx.query(
      `SELECT id, stripe_account_id, bank, payout_details_version FROM retailers WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [wanted],
    );
    return rows.map((r) => ({
      retailerId: r.id, stripeAccountId: r.stripe_account_id, bank: r.bank && openBankAccount(this.config.dataEncryptionKey, r.id, r.bank),
      version: r.payout_details_version,
    }));
  }

  /**
   * Where to pay each retailer as its payout-details version `version` said (null: the current details), account
   * numbers in full, read inside `tx`: for the settlement gateways only. A payout keeps the details it was created
   * under: an older version's details are the ones the approved change from that version replaced (kept sealed in
   * payout_details_changes). A version that cannot be found answers no details at all (the gateway refuses the
   * payout) — never the current ones in its place.
   */
  async payoutAccountsAt(tx: Tx, wanted: { retailerId: string; version: number | null }[]): Promise<PayoutAccount[]> {
    const asked = wanted.filter((w) => isUuid(w.retailerId));
    if (!asked.length) return [];
    const rows: { retailer_id: string; version: number; found: boolean; stripe_account_id: string | null; bank: StoredBankAccount | null }[] = await tx.query(
      `WITH w AS (SELECT DISTINCT * FROM unnest($1::uuid[], $2::int[]) AS w(retailer_id, version))
       SELECT w.retailer_id, coalesce(w.version, r.payout_details_version) AS version,
              (w.version IS NULL OR w.version = r.payout_details_version OR c.id IS NOT NULL) AS found,
              CASE WHEN w.version IS NULL OR w.version = r.payout_details_version THEN r.stripe_account_id ELSE c.previous_stripe_account_id END AS stripe_account_id,
              CASE WHEN w.version IS NULL OR w.version = r.payout_details_version THEN r.bank ELSE c.previous_bank END AS bank
         FROM w JOIN retailers r ON r.id = w.retailer_id
         LEFT JOIN payout_details_changes c ON c.retailer_id = w.retailer_id AND c.status = 'approved' AND c.from_version = w.version
        ORDER BY w.retailer_id, version`,
      [asked.map((w) => w.retailerId), asked.map((w) => w.version)],
    );
    return rows.map((r) => ({
      retailerId: r.retailer_id,
      stripeAccountId: r.found ? r.stripe_account_id : null,
      bank: r.found && r.bank ? openBankAccount(this.config.dataEncryptionKey, r.retailer_id, r.bank) : null,
      version: r.version,
    }));
  }

  /** A retailer's payout details as stored (the bank account sealed) and their version, locked FOR UPDATE in `tx`. */
  async lockStoredPayout(tx: Tx, retailerId: string): Promise<{ stripeAccountId: string | null; bank: StoredBankAccount | null; version: number } | undefined> {
    if (!isUuid(retailerId)) return undefined;
    const rows: Pick<RetailerRow, 'stripe_account_id' | 'bank' | 'payout_details_version'>[] = await tx.query(
      `SELECT stripe_account_id, bank, payout_details_version FROM retailers WHERE id = $1 FOR UPDATE`,
      [retailerId],
    );
    const r = rows[0];
    return r && { stripeAccountId: r.stripe_account_id, bank: r.bank, version: r.payout_details_version };
  }

  /**
   * An approved change takes effect: the new details (the bank account as sealed for this retailer) and the next
   * version, only if the version is still `fromVersion` (answers false otherwise: nothing written).
   */
  async applyPayoutDetails(
    tx: Tx, retailerId: string, details: { stripeAccountId: string | null; bank: StoredBankAccount | null }, fromVersion: number, at: Date,
  ): Promise<boolean> {
    const rows = returnedRows(await tx.query(
      `UPDATE retailers SET stripe_account_id = $2, bank = $3, payout_details_version = $4 + 1, payout_details_changed_at = $5, updated_at = $5
        WHERE id = $1 AND payout_details_version = $4
        RETURNING id`,
      [retailerId, details.stripeAccountId, details.bank, fromVersion, at],
    ));
    return rows.length === 1;
  }


}
