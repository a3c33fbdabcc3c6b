import { Injectable } from '@nestjs/common';
import { Actor, DomainError, Fen, isCityCode, isUuid } from '@huanxin/core';
import { isCheckViolation, Tx } from '@huanxin/database';
import { AccountKey, LedgerRepository, LockedAccount, TransactionRow } from './ledger.repository';
import {
  AccountKind,
  AccountRef,
  AmountMovement,
  CityBalances,
  CommitInput,
  GrantInput,
  InvariantReport,
  LedgerPostInput,
  LedgerTransaction,
  LedgerScope,
  RetailerMovement,
} from './ledger.types';

const CITY_KINDS: ReadonlySet<string> = new Set(['granted', 'available', 'reserved', 'paid']);
const RETAILER_KINDS: ReadonlySet<string> = new Set(['payable', 'receivable']);
const MAX_PROBLEMS = 1000;

const keyOf = (k: AccountKey) => `${k.kind}:${k.retailerId ?? ''}`;

/** bigint text from pg → number, refusing anything a number cannot hold exactly. */
function fen(text: string | null | undefined): Fen {
  const n = Number(text ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`ledger amount ${text} is beyond 2^53 fen`);
  return n === 0 ? 0 : n;
}

function accountName(k: AccountKey): string {
  return k.retailerId ? `${k.kind} (retailer ${k.retailerId})` : k.kind;
}

function toKey(ref: AccountRef): AccountKey {
  if (typeof ref === 'string') {
    if (!CITY_KINDS.has(ref)) throw new RangeError(`ledger: unknown city account ${JSON.stringify(ref)}`);
    return { kind: ref, retailerId: null };
  }
  if (!ref || !RETAILER_KINDS.has(ref.kind) || typeof ref.retailerId !== 'string' || !isUuid(ref.retailerId)) {
    throw new RangeError(`ledger: a ${String(ref?.kind)} account needs a retailer id, got ${JSON.stringify(ref)}`);
  }
  return { kind: ref.kind, retailerId: ref.retailerId.toLowerCase() };
}

function toRef(kind: AccountKind, retailerId: string | null): AccountRef {
  return kind === 'payable' || kind === 'receivable' ? { kind, retailerId: retailerId! } : (kind as AccountRef);
}

function toTransaction(row: TransactionRow): LedgerTransaction {
  return {
    id: row.id, programId: row.program_id, city: row.city, kind: row.kind, reference: row.reference, note: row.note,
    actorId: row.actor_id, createdAt: row.created_at,
    entries: row.entries.map((e) => ({ accountId: e.account_id, account: toRef(e.kind, e.retailer_id), amountFen: fen(e.amount_fen) })),
  };
}

function integer(amountFen: Fen, what: string): void {
  if (!Number.isSafeInteger(amountFen)) throw new RangeError(`ledger: ${what} must be an integer number of fen, got ${String(amountFen)}`);
}

function nonNegative(amountFen: Fen, what: string): void {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) throw new RangeError(`ledger: ${what} must be a non-negative integer number of fen, got ${String(amountFen)}`);
}

function positive(amountFen: Fen, what: string): void {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) {
    throw new RangeError(`ledger: ${what} must be a positive integer number of fen, got ${String(amountFen)}`);
  }
}

/**
 * The budget ledger (DESIGN.md "Money"): double entry in PostgreSQL, one programme and city per
 * transaction. `post` is the one primitive; the named movements below are the vocabulary the rest of the
 * platform speaks, so the sign conventions live in one place:
 *
 *   grant     granted −X,  available +X        the programme office funds a city
 *   reserve   available −X, reserved +X        a voucher holds its cap
 *   release   reserved −X, available +X        a voucher expires
 *   commit    reserved −R, payable(r) +A, available +(R − A)   a trade-in turns a reservation into an approved claim
 *   commit    reserved −(R − A), available +(R − A)   (holdForReview) the claim keeps A reserved while under review
 *   approve   reserved −A, payable(r) +A       an auditor approves a claim under review
 *   release   reserved −X, available +X        a voucher expires, a claim under review is rejected or cancelled
 *   uncommit  payable(r) −X, available +X      an approved claim is cancelled before payout
 *   pay       payable(r) −G, receivable(r) +N, paid +(G − N)   a payout reaches the retailer (N: clawbacks netted;
 *             negative for a credit given back)
 *   unpay     payable(r) +G, receivable(r) +(R − U), paid −(G + R − U)   the money came back (R: clawed-back claims
 *             returned with it, U: netting undone)
 *   recover   receivable(r) +X, paid −X        a clawback recovered by reversing an earlier transfer
 *   clawback  receivable(r) −X, available +X   a paid claim is reversed: the retailer owes X, the pool gets it back
 *
 * These are the only ways in: `post`, the primitive, is private (tests reach it as `ledger['post']`).
 *
 * `receivable` alone may end positive: a credit the programme owes the retailer back (the bank returned a
 * payout whose clawed-back claim had already been recovered elsewhere), given back with its next payout.
 *
 * Overspending is refused by the database (CHECK ledger_balance_non_negative), whichever process races
 * whichever; it surfaces as `budget_exhausted`. After that error the caller's transaction is aborted and
 * must roll back (TransactionService does), so the failed movement changes nothing.
 *
 * Locking: a movement first locks its city's `granted` account (the programme-and-city's ledger mutex),
 * then its accounts in id order, and holds them to the end of the caller's transaction. Movements of one
 * city therefore queue; a transaction that posts in several cities must visit them in one order (sorted by
 * city code), or two such transactions can deadlock. DESIGN.md keeps money movements to one city anyway.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly repo: LedgerRepository) {}

  /**
   * Posts one balanced transaction inside `tx` and returns its id. Entries may name an account more than
   * once and may be zero (dropped). Unbalanced, non-integer or malformed input is a programming error (a
   * plain Error, a 500), not a client's mistake.
   */
  private async post(tx: Tx, input: LedgerPostInput): Promise<string> {
    const { programId, city, kind } = input;
    if (typeof programId !== 'string' || !isUuid(programId)) throw new RangeError(`ledger: programId must be a UUID, got ${String(programId)}`);
    if (!isCityCode(city)) throw new RangeError(`ledger: unknown city ${String(city)}`);
    if (typeof kind !== 'string' || kind.trim() === '') throw new RangeError('ledger: a transaction needs a kind');
    if (!Array.isArray(input.entries)) throw new RangeError('ledger: entries must be an array');

    const legs: { key: AccountKey; amountFen: Fen }[] = [];
    let sum = 0n;
    for (const entry of input.entries) {
      const amount = entry?.amountFen;
      if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
        throw new RangeError(`ledger: amounts must be safe integers of fen, got ${String(amount)}`);
      }
      const key = toKey(entry.account);
      sum += BigInt(amount);
      if (amount !== 0) legs.push({ key, amountFen: amount });
    }
    if (input.entries.length < 2) throw new RangeError('ledger: a movement names at least two entries');
    if (sum !== 0n) throw new RangeError(`ledger: entries must sum to zero, they sum to ${sum} fen`);

    const transaction = { programId, city, kind, reference: input.reference ?? null, note: input.note ?? null, actorId: input.actorId ?? null };
    // Every leg zero (a claim worth exactly its reservation, say): recorded for the trail, nothing moves.
    if (legs.length === 0) return this.repo.write(tx, transaction, []);

    const keys = [...new Map(legs.map((l) => [keyOf(l.key), l.key])).values()];
    const accounts = await this.lockAccounts(tx, programId, city, keys);
    const idOf = new Map(accounts.map((a) => [keyOf(a), a.id]));
    try {
      return await this.repo.write(tx, transaction, legs.map((l) => ({ accountId: idOf.get(keyOf(l.key))!, amountFen: l.amountFen })));
    } catch (err) {
      if (isCheckViolation(err, 'ledger_balance_non_negative')) throw this.exhausted(city, accounts, legs);
      if (isCheckViolation(err, 'ledger_contra_non_positive')) {
        throw new Error(`ledger: transaction ${kind} would turn a granted balance positive`, { cause: err });
      }
      throw err;
    }
  }

  grant(tx: Tx, actor: Actor, input: GrantInput): Promise<string> {
    positive(input.amountFen, 'a grant');
    return this.move(tx, actor, 'grant', input, [
      ['granted', -input.amountFen],
      ['available', input.amountFen],
    ]);
  }

  reserve(tx: Tx, actor: Actor, input: AmountMovement): Promise<string> {
    positive(input.amountFen, 'a reservation');
    return this.move(tx, actor, 'reserve', input, [
      ['available', -input.amountFen],
      ['reserved', input.amountFen],
    ]);
  }

  release(tx: Tx, actor: Actor, input: AmountMovement): Promise<string> {
    positive(input.amountFen, 'a release');
    return this.move(tx, actor, 'release', input, [
      ['reserved', -input.amountFen],
      ['available', input.amountFen],
    ]);
  }

  /** A reservation of `reservedFen` becomes a claim of `amountFen` payable to the retailer. */
  commit(tx: Tx, actor: Actor, input: CommitInput): Promise<string> {
    positive(input.reservedFen, 'a committed reservation');
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen < 0) {
      throw new RangeError(`ledger: a claim amount must be a non-negative integer of fen, got ${String(input.amountFen)}`);
    }
    const payable = { kind: 'payable' as const, retailerId: input.retailerId };
    return this.move(tx, actor, 'commit', input, [
      ['reserved', -input.reservedFen],
      [payable, input.amountFen],
      ['available', input.reservedFen - input.amountFen],
    ]);
  }

  /** A claim under review keeps its amount reserved; the rest of the voucher's reservation goes back (or, if larger, comes from) `available`. */
  holdForReview(tx: Tx, actor: Actor, input: LedgerScope & { reservedFen: Fen; amountFen: Fen }): Promise<string> {
    positive(input.reservedFen, 'a held reservation');
    nonNegative(input.amountFen, 'a claim amount');
    return this.move(tx, actor, 'commit', input, [
      ['reserved', input.amountFen - input.reservedFen],
      ['available', input.reservedFen - input.amountFen],
    ]);
  }

  approve(tx: Tx, actor: Actor, input: RetailerMovement): Promise<string> {
    nonNegative(input.amountFen, 'an approved claim');
    return this.move(tx, actor, 'approve', input, [
      ['reserved', -input.amountFen],
      [{ kind: 'payable', retailerId: input.retailerId }, input.amountFen],
    ]);
  }

  uncommit(tx: Tx, actor: Actor, input: RetailerMovement): Promise<string> {
    positive(input.amountFen, 'an uncommitted claim');
    return this.move(tx, actor, 'uncommit', input, [
      [{ kind: 'payable', retailerId: input.retailerId }, -input.amountFen],
      ['available', input.amountFen],
    ]);
  }

  /** A payout of `amountFen` in claims reaches the retailer, `nettedFen` of its clawbacks kept back (negative: a credit given back). */
  pay(tx: Tx, actor: Actor, input: RetailerMovement & { nettedFen?: Fen }): Promise<string> {
    nonNegative(input.amountFen, 'a payment');
    const netted = input.nettedFen ?? 0;
    integer(netted, 'a netted amount');
    return this.move(tx, actor, 'pay', input, [
      [{ kind: 'payable', retailerId: input.retailerId }, -input.amountFen],
      [{ kind: 'receivable', retailerId: input.retailerId }, netted],
      ['paid', input.amountFen - netted],
    ]);
  }

  /** The money of a paid payout came back: its claims are payable again, returned clawbacks settled, netting undone. */
  unpay(tx: Tx, actor: Actor, input: LedgerScope & { retailerId: string; grossFen: Fen; returnedFen: Fen; undoneFen: Fen }): Promise<string> {
    nonNegative(input.grossFen, 'an unpaid amount');
    nonNegative(input.returnedFen, 'a returned clawback');
    integer(input.undoneFen, 'an undone netting');
    return this.move(tx, actor, 'unpay', input, [
      [{ kind: 'payable', retailerId: input.retailerId }, input.grossFen],
      [{ kind: 'receivable', retailerId: input.retailerId }, input.returnedFen - input.undoneFen],
      ['paid', -(input.grossFen + input.returnedFen - input.undoneFen)],
    ]);
  }

  /** A clawback recovered by reversing an earlier transfer: the receivable is settled, paid shrinks by the same. */
  recover(tx: Tx, actor: Actor, input: RetailerMovement): Promise<string> {
    positive(input.amountFen, 'a recovery');
    return this.move(tx, actor, 'recover', input, [
      [{ kind: 'receivable', retailerId: input.retailerId }, input.amountFen],
      ['paid', -input.amountFen],
    ]);
  }

  clawback(tx: Tx, actor: Actor, input: RetailerMovement): Promise<string> {
    positive(input.amountFen, 'a clawback');
    return this.move(tx, actor, 'clawback', input, [
      [{ kind: 'receivable', retailerId: input.retailerId }, -input.amountFen],
      ['available', input.amountFen],
    ]);
  }

  /**
   * Each city's position (all cities, or one). Asking for one city that has no accounts yet gives a row of
   * zeros rather than nothing. Read from the pool (a movement locks its accounts itself).
   */
  async balances(programId: string, city?: string): Promise<CityBalances[]> {
    if (!isUuid(programId)) return city ? [emptyCity(city)] : [];
    const byCity = new Map<string, CityBalances>();
    for (const row of await this.repo.totals(programId, city)) {
      const c = byCity.get(row.city) ?? emptyCity(row.city);
      const v = fen(row.balanceFen);
      switch (row.kind) {
        case 'granted': c.grantedFen = -v || 0; break;
        case 'available': c.availableFen = v; break;
        case 'reserved': c.reservedFen = v; break;
        case 'payable': c.payableFen = v; break;
        case 'paid': c.paidFen = v; break;
        case 'receivable': c.receivableFen = -v || 0; break;
      }
      byCity.set(row.city, c);
    }
    const out = [...byCity.values()];
    for (const c of out) c.balanced = c.availableFen + c.reservedFen + c.payableFen + c.paidFen - c.receivableFen === c.grantedFen;
    if (city && out.length === 0) out.push(emptyCity(city));
    return out;
  }

  /** Checks the whole ledger (or one programme's) with set-based SQL; see LedgerRepository.invariantProblems. */
  async checkInvariants(programId?: string): Promise<InvariantReport> {
    if (programId !== undefined && !isUuid(programId)) throw new RangeError(`ledger: programId must be a UUID, got ${programId}`);
    const problems = await this.repo.invariantProblems(programId, MAX_PROBLEMS);
    return { balanced: problems.length === 0, problems };
  }

  /** The movements of a programme that name one of `references` (a claim id, its voucher's code), in posting order. */
  async movementsFor(programId: string, references: string[]): Promise<LedgerTransaction[]> {
    return (await this.repo.transactionsByReference(programId, references)).map(toTransaction);
  }

  /**
   * Net movement of the `kind` accounts (e.g. `paid`) in the programme's transactions naming each reference (a payout
   * id), by reference; references with no such movement are absent. Read from the pool.
   */
  async netByReference(programId: string, kind: AccountKind, references: string[]): Promise<Map<string, Fen>> {
    if (!references.length) return new Map();
    const rows = await this.repo.netByReference(programId, kind, references);
    return new Map(rows.map((r) => [r.reference, fen(r.netFen)]));
  }

  /** A posted transaction with its legs; `tx` is where to read it (the posting transaction, or the pool's manager). */
  async findTransaction(tx: Tx, id: string): Promise<LedgerTransaction | undefined> {
    const row = await this.repo.findTransaction(tx, id);
    return row && toTransaction(row);
  }

  private move(tx: Tx, actor: Actor, kind: string, scope: { programId: string; city: string; reference?: string | null; note?: string | null }, legs: [AccountRef, Fen][]): Promise<string> {
    return this.post(tx, {
      programId: scope.programId,
      city: scope.city,
      kind,
      reference: scope.reference ?? null,
      note: scope.note ?? null,
      actorId: actor.id,
      entries: legs.map(([account, amountFen]) => ({ account, amountFen })),
    });
  }

  /**
   * Gets or creates the accounts and holds them locked until the caller's transaction ends. The city lock
   * comes first: creating an account inside a transaction holds its unique-index slot until commit, and
   * transactions that mixed that with row locks in different orders deadlocked (the property test below
   * found it). Under the city lock, account creation and row locks never interleave across transactions.
   */
  private async lockAccounts(tx: Tx, programId: string, city: string, keys: AccountKey[]): Promise<LockedAccount[]> {
    await this.repo.lockCity(tx, programId, city);
    let accounts = await this.repo.lockAccounts(tx, programId, city, keys);
    if (accounts.length < keys.length) {
      const have = new Set(accounts.map(keyOf));
      await this.repo.createAccounts(tx, programId, city, keys.filter((k) => !have.has(keyOf(k))));
      accounts = await this.repo.lockAccounts(tx, programId, city, keys);
    }
    if (accounts.length !== keys.length) throw new Error('ledger: could not create the accounts of a transaction');
    return accounts;
  }

  /** Names what could not be covered, from the balances we hold locked (so they are exact). */
  private exhausted(city: string, accounts: LockedAccount[], legs: { key: AccountKey; amountFen: Fen }[]): DomainError {
    const short: string[] = [];
    for (const a of accounts) {
      if (a.kind === 'granted' || a.kind === 'receivable') continue;
      const delta = legs.filter((l) => keyOf(l.key) === keyOf(a)).reduce((s, l) => s + l.amountFen, 0);
      const balance = fen(a.balanceFen);
      if (balance + delta < 0) short.push(`${accountName(a)} holds ${balance} fen, the movement needs ${-delta} fen`);
    }
    return new DomainError('budget_exhausted', `The ${city} budget cannot cover this: ${short.join('; ') || 'a balance would go negative'}`);
  }
}

function emptyCity(city: string): CityBalances {
  return { city, grantedFen: 0, availableFen: 0, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0, balanced: true };
}
