import { Injectable } from '@nestjs/common';
import { queryPrepared, ReadDatabase, TransactionService, Tx } from '@huanxin/database';
import type { AccountKind } from './ledger.types';

/** An account as `post` names it: city accounts have no retailer; `slot` (default 0, the main account) names a slot account. */
export interface AccountKey {
  kind: AccountKind;
  retailerId: string | null;
  slot?: number;
}

export interface LockedAccount extends AccountKey {
  id: string;
  slot: number;
  /** bigint as pg returns it; converted where read. */
  balanceFen: string;
}

/** A slot account (slot > 0) of a city's `available` or `reserved` money. */
export interface SlotAccount {
  id: string;
  kind: 'available' | 'reserved';
  slot: number;
  balanceFen: string;
}

/** A slot account holding money, for the sweep. */
export interface SlotBalance {
  programId: string;
  city: string;
  slot: number;
}

export interface TransactionInsert {
  programId: string;
  city: string;
  kind: string;
  reference: string | null;
  note: string | null;
  actorId: string | null;
}

export interface Leg {
  accountId: string;
  amountFen: number;
}

export interface KindTotal {
  city: string;
  kind: AccountKind;
  balanceFen: string;
}

interface AccountRow {
  id: string;
  kind: AccountKind;
  retailer_id: string | null;
  slot: number;
  balance_fen: string;
}

/** Matches the partial unique indexes ledger_accounts_city and ledger_accounts_retailer. */
const KEYS_JOIN = `unnest($3::text[], $4::uuid[], $5::smallint[]) AS k(kind, retailer_id, slot)`;
const keyParams = (keys: AccountKey[]) => [keys.map((k) => k.kind), keys.map((k) => k.retailerId), keys.map((k) => k.slot ?? 0)];
const toLocked = (r: AccountRow): LockedAccount => ({ id: r.id, kind: r.kind, retailerId: r.retailer_id, slot: r.slot, balanceFen: r.balance_fen });

/**
 * The ledger's SQL. Balances are only ever changed by `write`, in the same statement that records the
 * entries, so "balance = sum of entries" holds by construction and `checkInvariants` can prove it.
 */
/** A ledger transaction as read, with its legs (json_agg): amounts as int8 text. */
export interface TransactionRow {
  id: string;
  program_id: string;
  city: string;
  kind: string;
  reference: string | null;
  note: string | null;
  actor_id: string | null;
  created_at: Date;
  entries: { account_id: string; kind: AccountKind; retailer_id: string | null; amount_fen: string }[];
}

const TRANSACTION_SELECT = `
  SELECT t.id::text AS id, t.program_id, t.city, t.kind, t.reference, t.note, t.actor_id, t.created_at,
         coalesce(json_agg(json_build_object(
           'account_id', e.account_id::text, 'kind', a.kind, 'retailer_id', a.retailer_id,
           'amount_fen', e.amount_fen::text) ORDER BY e.id) FILTER (WHERE e.id IS NOT NULL), '[]') AS entries
    FROM ledger_transactions t
    LEFT JOIN ledger_entries e ON e.transaction_id = t.id
    LEFT JOIN ledger_accounts a ON a.id = e.account_id`;

@Injectable()
export class LedgerRepository {
  constructor(private readonly db: TransactionService, private readonly read: ReadDatabase) {}

  /**
   * Locks the city's `granted` account, creating it if need be: the mutex every movement of a
   * programme-and-city takes first. Nothing else of the city is held yet, so waiting here (on the row, or
   * on another transaction's uncommitted creation of it) can never close a cycle.
   */
  async lockCity(tx: Tx, programId: string, city: string): Promise<void> {
    const select = () => tx.query(
      `SELECT id FROM ledger_accounts
        WHERE program_id = $1 AND city = $2 AND kind = 'granted' AND retailer_id IS NULL
          FOR UPDATE`,
      [programId, city],
    );
    if ((await select()).length) return;
    await tx.query(
      `INSERT INTO ledger_accounts (program_id, city, kind) VALUES ($1, $2, 'granted') ON CONFLICT DO NOTHING`,
      [programId, city],
    );
    if (!(await select()).length) throw new Error('ledger: could not create the granted account');
  }

  /**
   * Locks the existing accounts among `keys` in id order (one global order, so two movements touching the
   * same accounts queue instead of deadlocking) and returns them with their balances.
   */
  async lockAccounts(tx: Tx, programId: string, city: string, keys: AccountKey[]): Promise<LockedAccount[]> {
    const rows: AccountRow[] = await tx.query(
      `SELECT a.id::text AS id, a.kind, a.retailer_id, a.slot, a.balance_fen::text AS balance_fen
         FROM ledger_accounts a
         JOIN ${KEYS_JOIN}
           ON a.kind = k.kind AND a.retailer_id IS NOT DISTINCT FROM k.retailer_id AND a.slot = k.slot
        WHERE a.program_id = $1 AND a.city = $2
        ORDER BY a.id
          FOR UPDATE OF a`,
      [programId, city, ...keyParams(keys)],
    );
    return rows.map(toLocked);
  }

  /** Creates whichever of `keys` do not exist yet (under the city lock, so nobody races us; the unique indexes would decide). */
  async createAccounts(tx: Tx, programId: string, city: string, keys: AccountKey[]): Promise<void> {
    await tx.query(
      `INSERT INTO ledger_accounts (program_id, city, kind, retailer_id, slot)
       SELECT $1, $2, k.kind, k.retailer_id, k.slot FROM ${KEYS_JOIN}
       ORDER BY k.slot, k.kind
       ON CONFLICT DO NOTHING`,
      [programId, city, ...keyParams(keys)],
    );
  }

  /**
   * Creates the city's slot accounts 1..`count` that do not exist yet, zero. Inserted slot by slot, `available`
   * before `reserved`, so within a slot the available account always has the lower id: the order the rush's
   * statement (`reserveInSlot`) updates them in, and the order `lockSlots` locks them in.
   */
  async createSlots(tx: Tx, programId: string, city: string, count: number): Promise<void> {
    await tx.query(
      `INSERT INTO ledger_accounts (program_id, city, kind, slot)
       SELECT $1, $2, k.kind, s FROM generate_series(1, $3::int) s CROSS JOIN (VALUES (1, 'available'), (2, 'reserved')) k(o, kind)
        ORDER BY s, k.o
       ON CONFLICT DO NOTHING`,
      [programId, city, count],
    );
  }

  /** `createSlots` on its own connection, committed at once: it holds nothing while anything else runs. */
  async createSlotsNow(programId: string, city: string, count: number): Promise<void> {
    await this.createSlots(this.db.manager, programId, city, count);
  }

  /** The city's slot accounts, unlocked (a choice made from them is checked again once locked, where it can change). */
  async slotAccounts(tx: Tx, programId: string, city: string): Promise<SlotAccount[]> {
    const rows: AccountRow[] = await tx.query(
      `SELECT a.id::text AS id, a.kind, a.retailer_id, a.slot, a.balance_fen::text AS balance_fen
         FROM ledger_accounts a
        WHERE a.program_id = $1 AND a.city = $2 AND a.slot > 0
        ORDER BY a.slot, a.id`,
      [programId, city],
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind as SlotAccount['kind'], slot: r.slot, balanceFen: r.balance_fen }));
  }

  /**
   * Locks whole slots — both accounts of each of `slots` (all of the city's slots when null) — in id order, and
   * answers them with their balances. `skipLocked`: leaves out accounts another transaction holds instead of
   * waiting for them.
   */
  async lockSlots(tx: Tx, programId: string, city: string, slots: number[] | null, skipLocked = false): Promise<SlotAccount[]> {
    const rows: AccountRow[] = await tx.query(
      `SELECT a.id::text AS id, a.kind, a.retailer_id, a.slot, a.balance_fen::text AS balance_fen
         FROM ledger_accounts a
        WHERE a.program_id = $1 AND a.city = $2 AND a.slot > 0 AND ($3::smallint[] IS NULL OR a.slot = ANY($3::smallint[]))
        ORDER BY a.id
          FOR UPDATE OF a ${skipLocked ? 'SKIP LOCKED' : ''}`,
      [programId, city, slots],
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind as SlotAccount['kind'], slot: r.slot, balanceFen: r.balance_fen }));
  }

  /**
   * A voucher's reservation from one slot, in one statement and without the city lock: `available` of the slot
   * −amount and `reserved` of the slot +amount, with the transaction and its two entries — or nothing at all
   * (no row updated) when the slot's `available` holds less than the amount or the slot has no accounts. It
   * updates the slot's `available` before its `reserved` (their id order, see `createSlots`). Beware: when it
   * updates nothing because another transaction had just spent the slot, PostgreSQL may still keep the row
   * locked (READ COMMITTED locks the newest version before re-checking the condition): a transaction it answers
   * undefined to must not wait for anything before it ends, unless it holds the city lock already.
   */
  async reserveInSlot(tx: Tx, t: TransactionInsert, slot: number, amountFen: number): Promise<string | undefined> {
    const rows: { id: string }[] = await queryPrepared(tx,
      `WITH debit AS (
         UPDATE ledger_accounts
            SET balance_fen = balance_fen - $8::bigint
          WHERE program_id = $1 AND city = $2 AND kind = 'available' AND slot = $7 AND retailer_id IS NULL
            AND balance_fen >= $8::bigint
            AND EXISTS (SELECT 1 FROM ledger_accounts r
                         WHERE r.program_id = $1 AND r.city = $2 AND r.kind = 'reserved' AND r.slot = $7 AND r.retailer_id IS NULL)
         RETURNING id
       ), credit AS (
         UPDATE ledger_accounts a
            SET balance_fen = a.balance_fen + $8::bigint
           FROM debit
          WHERE a.program_id = $1 AND a.city = $2 AND a.kind = 'reserved' AND a.slot = $7 AND a.retailer_id IS NULL
         RETURNING a.id
       ), t AS (
         INSERT INTO ledger_transactions (program_id, city, kind, reference, note, actor_id)
         SELECT $1, $2, $3, $4, $5, $6 FROM credit
         RETURNING id
       ), entries AS (
         INSERT INTO ledger_entries (transaction_id, account_id, amount_fen)
         SELECT t.id, debit.id, -$8::bigint FROM t, debit
         UNION ALL
         SELECT t.id, credit.id, $8::bigint FROM t, credit
       )
       SELECT id::text AS id FROM t`,
      [t.programId, t.city, t.kind, t.reference, t.note, t.actorId, slot, String(amountFen)],
    );
    return rows[0]?.id;
  }

  /**
   * For a trade-in posting in its voucher's slot without the city lock (`LedgerService.commitInSlot`): locks the
   * retailer's `payable` account (when `retailerId` is given) and then slot `slot`'s two accounts, in that order
   * (the ORDER BY is the order FOR UPDATE locks in), and answers them with their balances. Accounts that do not
   * exist are simply absent: the caller then takes the city path, which creates them.
   */
  async lockForSlotMove(tx: Tx, programId: string, city: string, retailerId: string | null, slot: number): Promise<LockedAccount[]> {
    const rows: AccountRow[] = await queryPrepared(tx,
      `SELECT a.id::text AS id, a.kind, a.retailer_id, a.slot, a.balance_fen::text AS balance_fen
         FROM ledger_accounts a
        WHERE a.program_id = $1 AND a.city = $2
          AND ((a.kind = 'payable' AND a.retailer_id = $3::uuid AND a.slot = 0)
            OR (a.kind IN ('available', 'reserved') AND a.retailer_id IS NULL AND a.slot = $4))
        ORDER BY a.kind = 'payable' DESC, a.id
          FOR UPDATE OF a`,
      [programId, city, retailerId, slot],
    );
    return rows.map(toLocked);
  }

  /** The slots (of every programme and city) whose `available` account holds money, read from the pool. */
  async slotsWithMoney(): Promise<SlotBalance[]> {
    const rows: { program_id: string; city: string; slot: number }[] = await this.db.manager.query(
      `SELECT DISTINCT program_id, city, slot FROM ledger_accounts WHERE slot > 0 AND kind = 'available' AND balance_fen <> 0 ORDER BY program_id, city, slot`,
    );
    return rows.map((r) => ({ programId: r.program_id, city: r.city, slot: r.slot }));
  }

  /**
   * One statement: the transaction, its entries, and one set-based balance update over the (already
   * locked) accounts. The CHECK constraints on ledger_accounts refuse the whole statement if any guarded
   * balance would go negative.
   */
  async write(tx: Tx, t: TransactionInsert, legs: Leg[]): Promise<string> {
    const rows: { id: string }[] = await queryPrepared(tx,
      `WITH t AS (
         INSERT INTO ledger_transactions (program_id, city, kind, reference, note, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id
       ), legs AS (
         SELECT * FROM unnest($7::bigint[], $8::bigint[]) AS l(account_id, amount_fen)
       ), entries AS (
         INSERT INTO ledger_entries (transaction_id, account_id, amount_fen)
         SELECT t.id, legs.account_id, legs.amount_fen FROM t, legs
       ), balances AS (
         UPDATE ledger_accounts a
            SET balance_fen = a.balance_fen + v.delta
           FROM (SELECT account_id AS id, sum(amount_fen)::bigint AS delta FROM legs GROUP BY account_id) v
          WHERE a.id = v.id
       )
       SELECT id::text AS id FROM t`,
      [
        t.programId, t.city, t.kind, t.reference, t.note, t.actorId,
        legs.map((l) => l.accountId), legs.map((l) => String(l.amountFen)),
      ],
    );
    return rows[0].id;
  }

  async totals(programId: string, city?: string): Promise<KindTotal[]> {
    return this.totalsOn(this.db.manager, programId, city);
  }

  /** `totals` on the read replica (ReadDatabase: the primary when there is none, or it is behind or down): seconds old. */
  async totalsOnReplica(programId: string, city?: string): Promise<KindTotal[]> {
    return this.read.run((m) => this.totalsOn(m, programId, city));
  }

  async totalsOn(on: Tx, programId: string, city?: string): Promise<KindTotal[]> {
    const rows: { city: string; kind: AccountKind; balance_fen: string }[] = await on.query(
      `SELECT city, kind, sum(balance_fen)::text AS balance_fen
         FROM ledger_accounts
        WHERE program_id = $1 AND ($2::text IS NULL OR city = $2)
        GROUP BY city, kind
        ORDER BY city, kind`,
      [programId, city ?? null],
    );
    return rows.map((r) => ({ city: r.city, kind: r.kind, balanceFen: r.balance_fen }));
  }

  /** Transactions of a programme that name one of `references` (a claim id, a voucher code), in posting order. */
  async transactionsByReference(programId: string, references: string[]): Promise<TransactionRow[]> {
    return this.db.manager.query(
      `${TRANSACTION_SELECT}
        WHERE t.reference = ANY($2::text[]) AND t.program_id = $1
        GROUP BY t.id
        ORDER BY t.id`,
      [programId, references],
    );
  }

  /** Net movement of the `kind` accounts in the programme's transactions naming each of `references` (int8 text). */
  async netByReference(programId: string, kind: AccountKind, references: string[]): Promise<{ reference: string; netFen: string }[]> {
    return this.db.manager.query(
      `SELECT t.reference, sum(e.amount_fen)::text AS "netFen"
         FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = $3
        WHERE t.program_id = $1 AND t.reference = ANY($2::text[])
        GROUP BY t.reference`,
      [programId, references, kind],
    );
  }

  async findTransaction(tx: Tx, id: string): Promise<TransactionRow | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows = await tx.query(
      `${TRANSACTION_SELECT}
        WHERE t.id = $1::bigint
        GROUP BY t.id`,
      [id],
    );
    return rows[0];
  }

  /**
   * Every invariant of DESIGN.md "Money" in one statement, so all checks read one snapshot while posts go on:
   * each transaction's entries sum to zero and stay inside its programme and city; each account's balance is
   * the sum of its entries and has its sign; each programme-and-city's balances sum to zero (i.e.
   * available + reserved + payable + paid − receivable = granted).
   */
  async invariantProblems(programId: string | undefined, limit: number): Promise<string[]> {
    return this.invariantProblemsOn(this.db.manager, programId, limit);
  }

  /** `invariantProblems` on the read replica (one snapshot of it; the primary when there is none, or it is behind or down). */
  async invariantProblemsOnReplica(programId: string | undefined, limit: number): Promise<string[]> {
    return this.read.run((m) => this.invariantProblemsOn(m, programId, limit));
  }

  private async invariantProblemsOn(on: Tx, programId: string | undefined, limit: number): Promise<string[]> {
    const rows: { problem: string }[] = await on.query(
      `WITH tx AS (
         SELECT t.id, t.program_id, t.city, coalesce(sum(e.amount_fen), 0) AS total
           FROM ledger_transactions t
           LEFT JOIN ledger_entries e ON e.transaction_id = t.id
          WHERE $1::uuid IS NULL OR t.program_id = $1
          GROUP BY t.id
       ), acct AS (
         SELECT a.id, a.program_id, a.city, a.kind, a.retailer_id, a.slot, a.balance_fen,
                coalesce((SELECT sum(e.amount_fen) FROM ledger_entries e WHERE e.account_id = a.id), 0) AS entries_sum
           FROM ledger_accounts a
          WHERE $1::uuid IS NULL OR a.program_id = $1
       ), city AS (
         SELECT program_id, city, sum(balance_fen) AS total,
                -sum(balance_fen) FILTER (WHERE kind = 'granted') AS granted
           FROM acct
          GROUP BY program_id, city
       )
       SELECT format('transaction %s: entries sum to %s fen, not 0', id, total) AS problem FROM tx WHERE total <> 0

       UNION ALL
       SELECT format('transaction %s (programme %s, %s) has an entry on account %s of programme %s, %s',
                     t.id, t.program_id, t.city, a.id, a.program_id, a.city)
         FROM tx t
         JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id
        WHERE a.program_id <> t.program_id OR a.city <> t.city
       UNION ALL
       SELECT format('account %s (%s %s%s%s): balance %s fen but its entries sum to %s fen',
                     id, city, kind, coalesce(' retailer ' || retailer_id, ''), CASE WHEN slot > 0 THEN ' slot ' || slot ELSE '' END,
                     balance_fen, entries_sum)
         FROM acct WHERE balance_fen <> entries_sum
       UNION ALL
       SELECT format('account %s (%s %s%s%s): balance %s fen has the wrong sign',
                     id, city, kind, coalesce(' retailer ' || retailer_id, ''), CASE WHEN slot > 0 THEN ' slot ' || slot ELSE '' END,
                     balance_fen)
         FROM acct
        WHERE (kind = 'granted' AND balance_fen > 0)
           OR (kind NOT IN ('granted', 'receivable') AND balance_fen < 0)
       UNION ALL
       SELECT format('programme %s, %s: available + reserved + payable + paid - receivable = %s fen but granted = %s fen',
                     program_id, city, total + coalesce(granted, 0), coalesce(granted, 0))
         FROM city WHERE total <> 0
       LIMIT $2`,
      [programId ?? null, limit],
    );
    return rows.map((r) => r.problem);
  }
}
