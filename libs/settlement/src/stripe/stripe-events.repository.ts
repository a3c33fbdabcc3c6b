import { Injectable } from '@nestjs/common';
import { Tx } from '@huanxin/database';

/** Stripe's events as received (each once) and the state of its connected accounts as they reported it. */
@Injectable()
export class StripeEventsRepository {
  /** Stores the event once; false if it was received before (a replay). */
  async recordEvent(tx: Tx, e: { id: string; type: string; account: string | null; objectId: string | null; created: number; now: Date }): Promise<boolean> {
    const fresh = await tx.query(
      `INSERT INTO stripe_events (id, type, account, object_id, outcome, event_created_at, received_at)
       VALUES ($1, $2, $3, $4, 'received', to_timestamp($5), $6)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [e.id, e.type, e.account, e.objectId, e.created, e.now],
    );
    return fresh.length > 0;
  }

  async setOutcome(tx: Tx, eventId: string, outcome: string): Promise<void> {
    await tx.query(`UPDATE stripe_events SET outcome = $2 WHERE id = $1`, [eventId, outcome]);
  }

  /** Records an account's state as of `created` (unix s) unless a newer event already did; true if recorded. */
  async setAccount(tx: Tx, account: string, state: string, created: number): Promise<boolean> {
    const rows = await tx.query(
      `INSERT INTO stripe_accounts (account_id, transfers_capability, updated_at) VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT (account_id) DO UPDATE SET transfers_capability = EXCLUDED.transfers_capability, updated_at = EXCLUDED.updated_at
        WHERE stripe_accounts.updated_at <= EXCLUDED.updated_at
       RETURNING account_id`,
      [account, state, created],
    );
    return rows.length > 0;
  }

  /** An account held in state `from` is active again as of `created` (unix s). */
  async reactivate(tx: Tx, account: string, from: string, created: number): Promise<void> {
    await tx.query(
      `UPDATE stripe_accounts SET transfers_capability = 'active', updated_at = to_timestamp($2) WHERE account_id = $1 AND transfers_capability = $3`,
      [account, created, from],
    );
  }

  /** The transfers capability of these accounts as last reported (accounts never reported are absent). */
  async capabilities(tx: Tx, accountIds: string[]): Promise<Map<string, string>> {
    if (!accountIds.length) return new Map();
    const rows: { account_id: string; transfers_capability: string }[] = await tx.query(
      `SELECT account_id, transfers_capability FROM stripe_accounts WHERE account_id = ANY($1::text[])`,
      [accountIds],
    );
    return new Map(rows.map((r) => [r.account_id, r.transfers_capability]));
  }
}
