import { Injectable } from '@nestjs/common';
import { queryPrepared, returnedRows, TransactionService, Tx } from '@huanxin/database';

export interface IdempotencyRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
  lock_expired: boolean;
  expired: boolean;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: TransactionService) {}

  /** True when this caller now owns the key. Every POST with a key sends it: a prepared statement (`queryPrepared`). */
  async claim(scope: string, key: string, hash: string, lockMs: number, ttlHours: number): Promise<boolean> {
    const rows = await queryPrepared(this.db.manager,
      `INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until, expires_at)
       VALUES ($1, $2, $3, 'in_progress', now() + ($4 || ' milliseconds')::interval, now() + ($5 || ' hours')::interval)
       ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [scope, key, hash, String(lockMs), String(ttlHours)],
    );
    return rows.length > 0;
  }

  async find(scope: string, key: string): Promise<IdempotencyRow | undefined> {
    // every `claimFirst: false` request reads its key first (a voucher, a lottery entry, the waitlist): prepared
    const rows = await queryPrepared(this.db.manager,
      `SELECT request_hash, state, response_status, response_body,
              locked_until < now() AS lock_expired, expires_at < now() AS expired
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return rows[0];
  }

  /** Takes over a key whose owner died mid-request (its lock ran out), or one past its 24 h life. */
  async takeOver(scope: string, key: string, hash: string, lockMs: number, ttlHours: number): Promise<boolean> {
    const rows = returnedRows(await this.db.manager.query(
      `UPDATE idempotency_keys
          SET request_hash = $3, state = 'in_progress', response_status = NULL, response_body = NULL,
              locked_until = now() + ($4 || ' milliseconds')::interval,
              expires_at = CASE WHEN expires_at < now() THEN now() + ($5 || ' hours')::interval ELSE expires_at END,
              created_at = CASE WHEN expires_at < now() THEN now() ELSE created_at END
        WHERE scope = $1 AND key = $2
          AND (expires_at < now() OR (state = 'in_progress' AND locked_until < now() AND request_hash = $3))
        RETURNING 1`,
      [scope, key, hash, String(lockMs), String(ttlHours)],
    ));
    return rows.length > 0;
  }

  /** The answer, kept for replays; inside the work's own transaction when `tx` is given. */
  /** The answer of work that committed on its own (or failed): saved from the pool. */
  completeAfterCommit(scope: string, key: string, status: number, body: unknown): Promise<void> {
    return this.complete(this.db.manager, scope, key, status, body);
  }

  /**
   * `tx`: the request's own transaction (the answer commits with the work), or the pool once the work has committed.
   * A prepared statement (`queryPrepared`).
   */
  async complete(tx: Tx, scope: string, key: string, status: number, body: unknown): Promise<void> {
    await queryPrepared(tx,
      `UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
      [scope, key, status, JSON.stringify(body ?? null)],
    );
  }

  /**
   * The answer under a key nobody holds (or whose life is over), in `tx` — the work's own transaction — for
   * `IdempotentInTransaction({ claimFirst: false })`. False when the key is taken: by a concurrent duplicate,
   * whose transaction this insert waited for (the primary key), or by anything not past its life.
   */
  async insertCompleted(tx: Tx, scope: string, key: string, hash: string, status: number, body: unknown, ttlHours: number): Promise<boolean> {
    const rows = await queryPrepared(tx,
      `INSERT INTO idempotency_keys (scope, key, request_hash, state, response_status, response_body, locked_until, expires_at)
       VALUES ($1, $2, $3, 'completed', $4, $5, now(), now() + ($6 || ' hours')::interval)
       ON CONFLICT (scope, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, state = 'completed', response_status = EXCLUDED.response_status,
              response_body = EXCLUDED.response_body, locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at, created_at = now()
        WHERE idempotency_keys.expires_at < now()
       RETURNING 1`,
      [scope, key, hash, status, JSON.stringify(body ?? null), String(ttlHours)],
    );
    return rows.length > 0;
  }

  /** The pool, for answers of work that committed without a transaction of its own. */
  get pool(): Tx {
    return this.db.manager;
  }

  async release(scope: string, key: string): Promise<void> {
    await this.db.manager.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'`, [scope, key]);
  }

  async purgeExpired(limit = 10000): Promise<number> {
    const res = await this.db.manager.query(
      `DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT $1)`,
      [limit],
    );
    return res[1] ?? 0;
  }
}
