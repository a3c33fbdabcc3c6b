import { Injectable } from '@nestjs/common';
import { isUuid } from '@huanxin/core';
import { queryPrepared, TransactionService, Tx } from '@huanxin/database';
import type { Ed25519PublicJwk } from './jwk';
import type { CertificationPeriod, KeyRevokeReason, RecyclerKey } from './recycling.types';

interface KeyRow {
  recycler_id: string;
  kid: string;
  public_key_jwk: Ed25519PublicJwk;
  created_at: Date;
  revoked_at: Date | null;
  revoke_reason: KeyRevokeReason | null;
}

const COLUMNS = `recycler_id, kid, public_key_jwk, created_at, revoked_at, revoke_reason`;

function toKey(r: KeyRow): RecyclerKey {
  return {
    recyclerId: r.recycler_id, kid: r.kid, publicKeyJwk: r.public_key_jwk, createdAt: r.created_at,
    revokedAt: r.revoked_at, revokeReason: r.revoke_reason,
  };
}

/** What verifying one receipt reads (`receiptFactsInTx`). */
export interface ReceiptFacts {
  key: RecyclerKey;
  periods: CertificationPeriod[];
  revoked: boolean;
  /** the receipt's registration with the platform, if any: when, and the SHA-256 (hex) of the receipt registered */
  registration: { registeredAt: Date; receiptHash: string } | null;
}

/** Recyclers' receipt-signing keys (public halves only), keyed by (recyclerId, kid). */
@Injectable()
export class RecyclerKeysRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * The key a receipt names (`iss` = recyclerId, header `kid`), with its revocation state, or undefined.
   * Judge a revoked key with `keyTrustedForSignatureAt`.
   */
  async find(recyclerId: string, kid: string): Promise<RecyclerKey | undefined> {
    return this.one(this.db.manager, recyclerId, kid);
  }

  /** `find` as `tx` sees it, without a lock: the receipt check inside a trade-in. */
  async findInTx(tx: Tx, recyclerId: string, kid: string): Promise<RecyclerKey | undefined> {
    return this.one(tx, recyclerId, kid);
  }

  /**
   * What verifying one receipt reads, as `tx` sees it, in one statement: the key it names, its recycler's
   * certification periods (oldest first) and whether the recycler revoked the receipt. Undefined when the key
   * is unknown (nothing else is needed then). A prepared statement (`queryPrepared`). The receipt's registration
   * (receipt transparency, issue 13) comes in the same statement: its time and the hash of the receipt registered.
   */
  async receiptFactsInTx(tx: Tx, recyclerId: string, kid: string, rid: string): Promise<ReceiptFacts | undefined> {
    if (!isUuid(recyclerId)) return undefined;
    const rows: (KeyRow & { certified_at: Date[]; decertified_at: (Date | null)[]; revoked: boolean; registered_at: Date | null; receipt_hash: string | null })[] = await queryPrepared(tx,
      `SELECT ${COLUMNS},
              ARRAY(SELECT c.certified_at FROM recycler_certifications c WHERE c.recycler_id = $1 ORDER BY c.certified_at, c.id) AS certified_at,
              ARRAY(SELECT c.decertified_at FROM recycler_certifications c WHERE c.recycler_id = $1 ORDER BY c.certified_at, c.id) AS decertified_at,
              EXISTS (SELECT 1 FROM receipt_revocations rv WHERE rv.recycler_id = $1 AND rv.rid = $3) AS revoked,
              (SELECT rg.registered_at FROM receipt_registrations rg WHERE rg.recycler_id = $1 AND rg.rid = $3) AS registered_at,
              (SELECT rg.receipt_hash FROM receipt_registrations rg WHERE rg.recycler_id = $1 AND rg.rid = $3) AS receipt_hash
         FROM recycler_keys WHERE recycler_id = $1 AND kid = $2`,
      [recyclerId, kid, rid],
    );
    const r = rows[0];
    if (!r) return undefined;
    const periods = r.certified_at.map((certifiedAt, i) => ({ certifiedAt, decertifiedAt: r.decertified_at[i] ?? null }));
    const registration = r.registered_at && r.receipt_hash ? { registeredAt: r.registered_at, receiptHash: r.receipt_hash } : null;
    return { key: toKey(r), periods, revoked: r.revoked, registration };
  }

  private async one(q: Tx, recyclerId: string, kid: string): Promise<RecyclerKey | undefined> {
    if (!isUuid(recyclerId)) return undefined;
    const rows: KeyRow[] = await q.query(`SELECT ${COLUMNS} FROM recycler_keys WHERE recycler_id = $1 AND kid = $2`, [recyclerId, kid]);
    return rows[0] && toKey(rows[0]);
  }

  async lock(tx: Tx, recyclerId: string, kid: string): Promise<RecyclerKey | undefined> {
    if (!isUuid(recyclerId)) return undefined;
    const rows: KeyRow[] = await tx.query(`SELECT ${COLUMNS} FROM recycler_keys WHERE recycler_id = $1 AND kid = $2 FOR UPDATE`, [recyclerId, kid]);
    return rows[0] && toKey(rows[0]);
  }

  async listFor(recyclerId: string): Promise<RecyclerKey[]> {
    return this.all(this.db.manager, recyclerId);
  }

  /** `listFor` as `tx` sees it, without a lock. */
  async listForInTx(tx: Tx, recyclerId: string): Promise<RecyclerKey[]> {
    return this.all(tx, recyclerId);
  }

  private async all(q: Tx, recyclerId: string): Promise<RecyclerKey[]> {
    if (!isUuid(recyclerId)) return [];
    const rows: KeyRow[] = await q.query(`SELECT ${COLUMNS} FROM recycler_keys WHERE recycler_id = $1 ORDER BY created_at, kid`, [recyclerId]);
    return rows.map(toKey);
  }

  /** Unique on (recycler_id, kid): a second registration of a kid fails with constraint `recycler_keys_pkey`. */
  async insert(tx: Tx, k: { recyclerId: string; kid: string; publicKeyJwk: Ed25519PublicJwk; at: Date }): Promise<void> {
    await tx.query(`INSERT INTO recycler_keys (recycler_id, kid, public_key_jwk, created_at) VALUES ($1, $2, $3, $4)`, [
      k.recyclerId, k.kid, k.publicKeyJwk, k.at,
    ]);
  }

  /**
   * Sets the revocation. `revoked_at` is written once and kept: raising a retired key to compromised
   * changes the reason only.
   */
  async revoke(tx: Tx, recyclerId: string, kid: string, reason: KeyRevokeReason, at: Date): Promise<void> {
    await tx.query(
      `UPDATE recycler_keys SET revoked_at = COALESCE(revoked_at, $3), revoke_reason = $4 WHERE recycler_id = $1 AND kid = $2`,
      [recyclerId, kid, at, reason],
    );
  }
}
