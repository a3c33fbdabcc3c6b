import { Injectable } from '@nestjs/common';
import { isUuid } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';

/** A receipt registered with the platform (receipt transparency, issue 13). Never the receipt itself: its hash. */
export interface ReceiptRegistration {
  recyclerId: string;
  rid: string;
  receiptHash: string;
  kid: string;
  registeredAt: Date;
  timestampToken: string;
  dismantledAt: Date | null;
  dismantleConfirmedAt: Date | null;
  dismantleEvidence: string | null;
}

/** One row of the recycler's own list: the registration and whether the recycler revoked the receipt since. */
export interface ListedRegistration extends ReceiptRegistration {
  revokedAt: Date | null;
}

/** Where a page of a recycler's registrations ended: newest first on (registered_at to the millisecond, rid). */
export interface RegistrationKey {
  registeredAt: Date;
  rid: string;
}

interface Row {
  recycler_id: string;
  rid: string;
  receipt_hash: string;
  kid: string;
  registered_at: Date;
  timestamp_token: string;
  dismantled_at: Date | null;
  dismantle_confirmed_at: Date | null;
  dismantle_evidence: string | null;
}

const COLUMNS = `recycler_id, rid, receipt_hash, kid, registered_at, timestamp_token, dismantled_at, dismantle_confirmed_at, dismantle_evidence`;

function toRegistration(r: Row): ReceiptRegistration {
  return {
    recyclerId: r.recycler_id, rid: r.rid, receiptHash: r.receipt_hash, kid: r.kid, registeredAt: r.registered_at,
    timestampToken: r.timestamp_token, dismantledAt: r.dismantled_at, dismantleConfirmedAt: r.dismantle_confirmed_at,
    dismantleEvidence: r.dismantle_evidence,
  };
}

/**
 * receipt_registrations (this lib owns the table). (recycler_id, rid) is the primary key: one registration per
 * receipt id, whichever API process races whichever; `insertIfNew` lets the loser read the winner's row.
 */
@Injectable()
export class ReceiptRegistrationsRepository {
  constructor(private readonly db: TransactionService) {}

  async find(q: Tx | undefined, recyclerId: string, rid: string): Promise<ReceiptRegistration | undefined> {
    if (!isUuid(recyclerId)) return undefined;
    const rows: Row[] = await (q ?? this.db.manager).query(
      `SELECT ${COLUMNS} FROM receipt_registrations WHERE recycler_id = $1 AND rid = $2`, [recyclerId, rid],
    );
    return rows[0] && toRegistration(rows[0]);
  }

  /** Inserts the registration; false (nothing written) when the recycler registered a receipt with this rid before. */
  async insertIfNew(tx: Tx, r: Omit<ReceiptRegistration, 'dismantledAt' | 'dismantleConfirmedAt' | 'dismantleEvidence'>): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO receipt_registrations (recycler_id, rid, receipt_hash, kid, registered_at, timestamp_token)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (recycler_id, rid) DO NOTHING RETURNING rid`,
      [r.recyclerId, r.rid, r.receiptHash, r.kid, r.registeredAt, r.timestampToken],
    );
    return rows.length > 0;
  }

  /**
   * The recycler's registrations, newest first, with their revocation. The keyset compares registered_at truncated to
   * the millisecond, as a cursor carries it.
   */
  async page(recyclerId: string, limit: number, after?: RegistrationKey): Promise<ListedRegistration[]> {
    const rows: (Row & { revoked_at: Date | null })[] = await this.db.manager.query(
      `SELECT ${COLUMNS.split(', ').map((c) => `rg.${c}`).join(', ')}, rv.revoked_at
         FROM receipt_registrations rg
         LEFT JOIN receipt_revocations rv ON rv.recycler_id = rg.recycler_id AND rv.rid = rg.rid
        WHERE rg.recycler_id = $1
          AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', rg.registered_at), rg.rid) < ($2::timestamptz, $3::text))
        ORDER BY date_trunc('milliseconds', rg.registered_at) DESC, rg.rid DESC
        LIMIT $4`,
      [recyclerId, after?.registeredAt ?? null, after?.rid ?? null, limit],
    );
    return rows.map((r) => ({ ...toRegistration(r), revokedAt: r.revoked_at }));
  }

  /**
   * Records the dismantling, once: false (nothing written) when it was confirmed before. Call after `find` said the
   * registration exists.
   */
  async confirmDismantled(tx: Tx, r: { recyclerId: string; rid: string; dismantledAt: Date; evidence: string | null; at: Date }): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows]: [{ rid: string }[], number] = await tx.query(
      `UPDATE receipt_registrations SET dismantled_at = $3, dismantle_confirmed_at = $5, dismantle_evidence = $4
        WHERE recycler_id = $1 AND rid = $2 AND dismantled_at IS NULL
       RETURNING rid`,
      [r.recyclerId, r.rid, r.dismantledAt, r.evidence, r.at],
    );
    return rows.length > 0;
  }

  /** Of the (recycler, rid) pairs, those whose dismantling was confirmed, as `${recyclerId}/${rid}` (the worker's check). */
  async dismantledAmong(q: Tx | undefined, pairs: { issuer: string; rid: string }[]): Promise<Set<string>> {
    const valid = pairs.filter((p) => isUuid(p.issuer));
    if (!valid.length) return new Set();
    const rows: { recycler_id: string; rid: string }[] = await (q ?? this.db.manager).query(
      `SELECT rg.recycler_id, rg.rid
         FROM receipt_registrations rg
         JOIN unnest($1::uuid[], $2::text[]) AS p(recycler_id, rid) ON p.recycler_id = rg.recycler_id AND p.rid = rg.rid
        WHERE rg.dismantled_at IS NOT NULL`,
      [valid.map((p) => p.issuer), valid.map((p) => p.rid)],
    );
    return new Set(rows.map((r) => `${r.recycler_id}/${r.rid}`));
  }
}
