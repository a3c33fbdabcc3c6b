import { Injectable } from '@nestjs/common';
import { Actor, isUuid, newId } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { randomToken, sha256Hex } from './secrets';

export interface CreatedApiKey {
  id: string;
  key: string;
}

/**
 * POS and recycler API keys: `hx_<random>`, shown once, stored as SHA-256 (the key is 256 random bits,
 * so a slow hash adds nothing but latency at the till). The prefix is kept to tell keys apart in lists.
 */
@Injectable()
export class ApiKeysService {
  constructor(private readonly db: TransactionService) {}

  async create(tx: Tx, owner: { retailerId?: string; recyclerId?: string }): Promise<CreatedApiKey> {
    const id = newId();
    const key = `hx_${randomToken(32)}`;
    await tx.query(
      `INSERT INTO api_keys (id, owner_type, retailer_id, recycler_id, key_hash, key_prefix) VALUES ($1,$2,$3,$4,$5,$6)`,
      [id, owner.retailerId ? 'retailer' : 'recycler', owner.retailerId ?? null, owner.recyclerId ?? null, sha256Hex(key), key.slice(0, 8)],
    );
    return { id, key };
  }

  async revoke(tx: Tx, id: string, owner: { retailerId?: string; recyclerId?: string }): Promise<boolean> {
    const res = await tx.query(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
         AND (retailer_id = $2 OR recycler_id = $3)`,
      [id, owner.retailerId ?? null, owner.recyclerId ?? null],
    );
    return (res[1] ?? 0) > 0;
  }

  /** One of the owner's keys, locked until `tx` ends, with its revocation time; undefined if it is not the owner's. */
  async lockOwned(tx: Tx, keyId: string, owner: { retailerId: string } | { recyclerId: string }): Promise<{ id: string; revokedAt: Date | null } | undefined> {
    if (!isUuid(keyId)) return undefined;
    const column = 'retailerId' in owner ? 'retailer_id' : 'recycler_id';
    const ownerId = 'retailerId' in owner ? owner.retailerId : owner.recyclerId;
    const rows: { id: string; revoked_at: Date | null }[] = await tx.query(
      `SELECT id, revoked_at FROM api_keys WHERE id = $1 AND ${column} = $2 FOR UPDATE`,
      [keyId, ownerId],
    );
    return rows[0] && { id: rows[0].id, revokedAt: rows[0].revoked_at };
  }

  /** The actor behind a key, or undefined for an unknown or revoked one. */
  async authenticate(key: string): Promise<Actor | undefined> {
    if (!/^hx_[A-Za-z0-9_-]{20,100}$/.test(key)) return undefined;
    const rows = await this.db.manager.query(
      `SELECT id, owner_type, retailer_id, recycler_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [sha256Hex(key)],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.owner_type === 'retailer'
      ? { kind: 'api_key', id: row.id, role: 'retailer', retailerId: row.retailer_id }
      : { kind: 'api_key', id: row.id, role: 'recycler', recyclerId: row.recycler_id };
  }
}
