import { Injectable } from '@nestjs/common';
import { Actor, DomainError, Fen, isCityCode, isUuid } from '@huanxin/core';
import { isCheckViolation, Tx } from '@huanxin/database';
import { AccountKey, KindTotal, Leg, LedgerRepository, LockedAccount, SlotAccount, TransactionRow } from './ledger.repository';
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
/** The most slot accounts a city's `available` and `reserved` money may be split over (VOUCHER_SLOTS). */
export const MAX_SLOTS = 256;

const keyOf = (k: AccountKey) => `${k.kind}:${k.retailerId ?? ''}:${k.slot ?? 0}`;
const richestFirst = (a: SlotAccount, b: SlotAccount) => fen(b.balanceFen) - fen(a.balanceFen) || a.slot - b.slot;

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
 *   rebalance available(slot) ±X, available(main) ∓X (and reserved likewise)   money moves between a city's
 *             main account and its slot accounts; no balance of the city changes (`reserveFromSlot`, `sweepSlots`)
 *
 * Slots. A city's `available` and `reserved` money may be split over its main account (slot 0) and slot
 * accounts 1..K (`createSlots`), so that the voucher rush does not queue on one balance row: each slot account
 * has its own CHECK (balance ≥ 0), and every view (`balances`, the invariants, the reports) sums the slots, so
 * a slot's money is the city's available (or reserved) money like any other. `reserveFromSlot` reserves in the
 * slot the voucher's quota slot names; every other movement credits the main accounts and debits them first,
 * reaching into the slots only for what they cannot cover (`fromSlots`), so a city without slots behaves
 * exactly as before.
 *
 * Locking: a movement first locks its city's `granted` account (the programme-and-city's ledger mutex),
 * then its accounts in id order, and holds them to the end of the caller's transaction. Movements of one
 * city therefore queue; a transaction that posts in several cities must visit them in one order (sorted by
 * city code), or two such transactions can deadlock. DESIGN.md keeps money movements to one city anyway.
 *
 * Two exceptions take no city lock. The rush's `reserveFromSlot`: one statement updates its slot's `available`
 * (only if it covers the amount) and then its `reserved`, or updates nothing. And the trade-in's `commitInSlot`:
 * it locks the retailer's `payable` and then its voucher's slot accounts (in id order), checks them, writes, and
 * from then on waits for no lock (its idempotency answer and COMMIT follow); if the slot cannot cover it, it throws
 * and its transaction rolls back without ever asking for the city lock. Why nothing can
 * deadlock with it — the ranks, in the order every transaction takes them: (1) voucher rows, (2) the day's quota
 * slot rows (VouchersRepository.takeSlot; taken with SKIP LOCKED and never waited for, so no wait ends there),
 * (3) the city lock, (4) ledger accounts.
 *  - A rush transaction holds a voucher row and quota slot rows, then either succeeds at once (and from then on
 *    waits for no lock: it inserts its audit event and commits), or fails and rolls back entirely (its failed
 *    update may have kept a slot row locked), and its second run takes the city lock before any slot account
 *    (`fundFirst`). So no transaction ever waits for the city lock while holding a slot account, and a rush
 *    transaction that holds slot accounts without the city lock waits for nothing anyone else holds.
 *  - Holders of the city lock (every other movement, `fundSlot`, `sweepSlots`) wait only for accounts of their
 *    city — main accounts, which nobody without the city lock touches, and slot accounts, whose other holders
 *    are rush transactions that wait for nothing — and never for a voucher row or a quota slot after it.
 *  - Within a slot, `available` has the lower id (`createSlots`): the rush's statement updates it first, and a
 *    city-lock holder locks whole slots in id order (`lockSlots`), so the two never hold one account each of a
 *    slot while waiting for the other.
 *  - A `commitInSlot` transaction holds a voucher row (and share locks on its retailer and store, taken before any
 *    account), then `payable(r)`, then its slot's accounts. City-lock holders lock `payable(r)` (with the other
 *    main accounts) before any slot account, so none of them holds a slot account while waiting for `payable(r)`;
 *    and the rush never touches `payable`. A city-lock holder waiting for `payable(r)` waits for a transaction
 *    that waits only for slot accounts, whose holders are rush transactions (waiting for nothing), city-lock
 *    holders that already hold `payable(r)` if they need it, or other `commitInSlot` transactions — finishing.
 * Every wait therefore ends at a transaction that waits for nothing, and no cycle can close.
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
    const placed = (await this.fromSlots(tx, programId, city, accounts, legs, idOf))
      ?? legs.map((l) => ({ accountId: idOf.get(keyOf(l.key))!, amountFen: l.amountFen }));
    try {
      return await this.repo.write(tx, transaction, placed);
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

  /**
   * A voucher's reservation on the rush path: the same movement as `reserve` (available −X, reserved +X, kind
   * `reserve`, one transaction per voucher), posted to slot `slot`'s two accounts — the slot of the day's quota
   * the caller holds — in one statement and without the city lock.
   *
   * When the slot's `available` cannot cover it, it throws `SlotUnfunded` and the caller rolls its transaction
   * back and runs it again with `fundFirst` (its failed statement may have left a slot row locked, and nothing may
   * wait for the city lock holding one). With `fundFirst` (a transaction holding the city lock already may pass it
   * at once) the slot is first funded under the city lock (`fundSlot`): `slotNeedFen` (what the slot's remaining quota
   * needs, this voucher included) from the main account if it has it, at least the shortfall from the other
   * slots if it has not; only when the city's whole `available` (main and every slot, all locked) cannot cover X
   * is it budget_exhausted.
   */
  async reserveFromSlot(tx: Tx, actor: Actor, input: AmountMovement & { slot: number; slotNeedFen: Fen; fundFirst?: boolean }): Promise<string> {
    positive(input.amountFen, 'a reservation');
    nonNegative(input.slotNeedFen, "a slot's need");
    this.scope(input.programId, input.city);
    slotNumber(input.slot);
    const transaction = {
      programId: input.programId, city: input.city, kind: 'reserve', reference: input.reference ?? null, note: input.note ?? null, actorId: actor.id,
    };
    if (input.fundFirst) await this.fundSlot(tx, actor, input);
    const id = await this.repo.reserveInSlot(tx, transaction, input.slot, input.amountFen);
    if (id) return id;
    if (input.fundFirst) throw new Error(`ledger: slot ${input.slot} of ${input.city} was funded but could not cover ${input.amountFen} fen`);
    throw new SlotUnfunded(input.city, input.slot);
  }

  /**
   * The day's release, set-based: each slot of `needs` gets what its remaining quota needs (`needFen`, from the
   * main account, slot by slot while the main account has money), under the city lock, as one `rebalance`
   * transaction — so the rush's reservations find their money in their slot and never wait for the city lock.
   * Slots already holding their need get nothing (a second process releasing the same day moves nothing).
   * Balances per kind do not change. Answers the transaction's id, or undefined when nothing moved.
   */
  async fundSlots(tx: Tx, actor: Actor, input: { programId: string; city: string; needs: { slot: number; needFen: Fen }[] }): Promise<string | undefined> {
    this.scope(input.programId, input.city);
    for (const n of input.needs) {
      slotNumber(n.slot);
      nonNegative(n.needFen, "a slot's need");
    }
    if (!input.needs.length) return undefined;
    const [main] = await this.lockAccounts(tx, input.programId, input.city, [{ kind: 'available', retailerId: null }]);
    const held = new Map((await this.repo.lockSlots(tx, input.programId, input.city, input.needs.map((n) => n.slot)))
      .filter((a) => a.kind === 'available').map((a) => [a.slot, a]));
    let left = fen(main.balanceFen);
    const legs: Leg[] = [];
    for (const n of [...input.needs].sort((a, b) => a.slot - b.slot)) {
      const lane = held.get(n.slot);
      if (!lane || left === 0) continue;
      const give = Math.min(left, n.needFen - fen(lane.balanceFen));
      if (give <= 0) continue;
      legs.push({ accountId: lane.id, amountFen: give });
      left -= give;
    }
    if (!legs.length) return undefined;
    legs.unshift({ accountId: main.id, amountFen: -legs.reduce((sum, l) => sum + l.amountFen, 0) });
    return this.repo.write(tx, {
      programId: input.programId, city: input.city, kind: 'rebalance', reference: 'voucher-slots:funded', note: 'slots funded for the day', actorId: actor.id,
    }, legs);
  }

  /**
   * Creates the city's slot accounts 1..`count` that do not exist yet (zero balances), in `tx` — the transaction
   * that sets the city's quota, say.
   */
  async createSlots(tx: Tx, programId: string, city: string, count: number): Promise<void> {
    this.scope(programId, city);
    slotNumber(count);
    await this.repo.createSlots(tx, programId, city, count);
  }

  /**
   * `createSlots` in its own, immediately committed statement, for the rush to call before its transaction opens:
   * creating accounts inside a transaction would hold their unique-index entries until it commits.
   */
  async prepareSlots(programId: string, city: string, count: number): Promise<void> {
    this.scope(programId, city);
    slotNumber(count);
    await this.repo.createSlotsNow(programId, city, count);
  }

  /** Every programme-and-city slot whose accounts hold money, from the pool: what `sweepSlots` may take back. */
  slotsWithMoney(): Promise<{ programId: string; city: string; slot: number }[]> {
    return this.repo.slotsWithMoney();
  }

  /**
   * Gives the `available` money of `slots` back to the city's main account, one `rebalance` transaction, once the
   * caller knows no quota is left on them (the day is over, or sold out). A slot's `reserved` money stays where it
   * is: it holds the reservations of the slot's open vouchers, which their trade-ins turn into claims in the slot
   * (`commitInSlot`); expiries and other movements reach it through `fromSlots`. Balances per kind do not change. Slot accounts another transaction holds are skipped (the next
   * sweep takes them). Answers the transaction's id, or undefined when nothing moved.
   */
  async sweepSlots(tx: Tx, actor: Actor, input: { programId: string; city: string; slots: number[] }): Promise<string | undefined> {
    this.scope(input.programId, input.city);
    input.slots.forEach(slotNumber);
    if (!input.slots.length) return undefined;
    const main = await this.lockAccounts(tx, input.programId, input.city, [
      { kind: 'available', retailerId: null }, { kind: 'reserved', retailerId: null },
    ]);
    const held = await this.repo.lockSlots(tx, input.programId, input.city, input.slots, true);
    const legs: Leg[] = [];
    const back = new Map<string, number>();
    for (const a of held) {
      const b = fen(a.balanceFen);
      // a slot's `reserved` stays: it is the reservation of the slot's open vouchers, which their trade-ins spend there
      if (b === 0 || a.kind !== 'available') continue;
      legs.push({ accountId: a.id, amountFen: -b });
      back.set(a.kind, (back.get(a.kind) ?? 0) + b);
    }
    for (const a of main) if (back.get(a.kind)) legs.push({ accountId: a.id, amountFen: back.get(a.kind)! });
    if (!legs.length) return undefined;
    const swept = [...new Set(held.filter((a) => a.kind === 'available' && fen(a.balanceFen) !== 0).map((a) => a.slot))].sort((x, y) => x - y);
    return this.repo.write(tx, {
      programId: input.programId, city: input.city, kind: 'rebalance', reference: 'voucher-slots:swept',
      note: `slots ${swept.join(', ')} swept back to the city pool`, actorId: actor.id,
    }, legs);
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

  /**
   * `commit` (with `retailerId`: the claim is approved) or `holdForReview` (without: it waits for an auditor) of a
   * voucher whose reservation sits in slot `slot`'s accounts (vouchers.slot), posted there without the city lock
   * (issue 11: the trade-ins of a city no longer queue on one row):
   *
   *   commit    reserved(s) −R, payable(r) +A, available(s) +(R − A)
   *   hold      reserved(s) −(R − A), available(s) +(R − A)
   *
   * It locks the retailer's `payable` first, then the slot's two accounts in id order (LedgerRepository
   * .lockForSlotMove), and checks the locked balances. Where the slot cannot cover the movement (its `reserved`
   * was spent by another movement reaching into the slots, or a later policy's higher cap needs more than the
   * slot's `available` holds) or an account does not exist yet, it writes nothing and throws `SlotUnfunded`: the
   * caller must roll its transaction back (it holds accounts now, and nobody may wait for the city lock holding
   * one) and post with `commit` / `holdForReview` in a fresh one. See "Locking" above for why no cycle can close.
   */
  async commitInSlot(tx: Tx, actor: Actor, input: LedgerScope & { reservedFen: Fen; amountFen: Fen; slot: number; retailerId?: string }): Promise<string> {
    positive(input.reservedFen, 'a committed reservation');
    nonNegative(input.amountFen, 'a claim amount');
    this.scope(input.programId, input.city);
    slotNumber(input.slot);
    const retailerId = input.retailerId === undefined ? null : toKey({ kind: 'payable', retailerId: input.retailerId }).retailerId;
    const held = await this.repo.lockForSlotMove(tx, input.programId, input.city, retailerId, input.slot);
    const account = (kind: string) => held.find((a) => a.kind === kind);
    const [reserved, available, payable] = [account('reserved'), account('available'), account('payable')];
    const { reservedFen: r, amountFen: a } = input;
    const legs: Leg[] = [];
    if (reserved && available && (retailerId === null || payable)) {
      if (payable) legs.push({ accountId: reserved.id, amountFen: -r }, { accountId: payable.id, amountFen: a }, { accountId: available.id, amountFen: r - a });
      else legs.push({ accountId: reserved.id, amountFen: a - r }, { accountId: available.id, amountFen: r - a });
    }
    const covered = legs.length > 0 && legs.every((l) => {
      const acc = held.find((x) => x.id === l.accountId)!;
      return acc.kind === 'payable' || fen(acc.balanceFen) + l.amountFen >= 0;
    });
    if (!covered) throw new SlotUnfunded(input.city, input.slot);
    return this.repo.write(tx, {
      programId: input.programId, city: input.city, kind: 'commit', reference: input.reference ?? null, note: input.note ?? null, actorId: actor.id,
    }, legs.filter((l) => l.amountFen !== 0));
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
    return cityBalances(await this.repo.totals(programId, city), city);
  }

  /** `balances` read in `tx` (a worker's draw or waitlist decides in it; a pool read there would need a second connection). */
  async balancesIn(tx: Tx, programId: string, city: string): Promise<CityBalances[]> {
    this.scope(programId, city);
    return cityBalances(await this.repo.totalsOn(tx, programId, city), city);
  }

  /**
   * `balances` read from the read replica (DATABASE_READ_URL; the primary when there is none, or it is behind or
   * down): for reports and public availability, which may be seconds old — never for a decision that moves money.
   */
  async balancesOnReplica(programId: string, city?: string): Promise<CityBalances[]> {
    if (!isUuid(programId)) return city ? [emptyCity(city)] : [];
    return cityBalances(await this.repo.totalsOnReplica(programId, city), city);
  }

  /** `checkInvariants` of one programme on the read replica (as `balancesOnReplica`): for the ledger report. */
  async checkInvariantsOnReplica(programId: string): Promise<InvariantReport> {
    if (!isUuid(programId)) throw new RangeError(`ledger: programId must be a UUID, got ${programId}`);
    const problems = await this.repo.invariantProblemsOnReplica(programId, MAX_PROBLEMS);
    return { balanced: problems.length === 0, problems };
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

  /** Refuses a programme id or city `post` would refuse, as a programming error. */
  private scope(programId: string, city: string): void {
    if (typeof programId !== 'string' || !isUuid(programId)) throw new RangeError(`ledger: programId must be a UUID, got ${String(programId)}`);
    if (!isCityCode(city)) throw new RangeError(`ledger: unknown city ${String(city)}`);
  }

  /**
   * Where the main account (slot 0, locked, so its balance is exact) cannot cover a debit of `available` or
   * `reserved`, the city's slot accounts cover it: one slot that holds it all (the richest), else the main
   * account and then every slot, richest first, each locked. Answers the movement's legs with their accounts,
   * or undefined when the main accounts cover every debit (or the city has no slots: the CHECK then refuses, as
   * it always did). Exact: it is budget_exhausted only when main and all slots together, locked, fall short.
   *
   * Under the city lock, main accounts move only with their holder, `reserved` slots only grow (the rush credits
   * them) and `available` slots only shrink (the rush spends them) — so a `reserved` slot read unlocked still
   * holds at least what was read, and an `available` slot is read again once locked.
   */
  private async fromSlots(
    tx: Tx, programId: string, city: string, accounts: LockedAccount[], legs: { key: AccountKey; amountFen: Fen }[], idOf: Map<string, string>,
  ): Promise<Leg[] | undefined> {
    const short: { account: LockedAccount; needFen: Fen }[] = [];
    for (const a of accounts) {
      if (a.slot !== 0 || a.retailerId !== null || (a.kind !== 'available' && a.kind !== 'reserved')) continue;
      const delta = legs.filter((l) => keyOf(l.key) === keyOf(a)).reduce((sum, l) => sum + l.amountFen, 0);
      if (delta < 0 && fen(a.balanceFen) + delta < 0) short.push({ account: a, needFen: -delta });
    }
    if (!short.length) return undefined;
    const slots = await this.repo.slotAccounts(tx, programId, city);
    if (!slots.length) return undefined;
    const shortKeys = new Set(short.map((x) => keyOf(x.account)));
    const out: Leg[] = legs.filter((l) => !shortKeys.has(keyOf(l.key))).map((l) => ({ accountId: idOf.get(keyOf(l.key))!, amountFen: l.amountFen }));
    for (const { account, needFen } of short) {
      const kind = account.kind;
      const [richest] = slots.filter((x) => x.kind === kind).sort(richestFirst);
      if (richest && fen(richest.balanceFen) >= needFen) {
        const held = (await this.repo.lockSlots(tx, programId, city, [richest.slot])).find((x) => x.kind === kind)!;
        if (fen(held.balanceFen) >= needFen) {
          out.push({ accountId: held.id, amountFen: -needFen });
          continue;
        }
      }
      const all = (await this.repo.lockSlots(tx, programId, city, null)).filter((x) => x.kind === kind).sort(richestFirst);
      const mainFen = Math.max(0, fen(account.balanceFen));
      const total = all.reduce((sum, x) => sum + fen(x.balanceFen), mainFen);
      if (total < needFen) throw new DomainError('budget_exhausted', `The ${city} budget cannot cover this: ${kind} holds ${total} fen, the movement needs ${needFen} fen`);
      let left = needFen;
      if (mainFen > 0) {
        out.push({ accountId: account.id, amountFen: -Math.min(mainFen, left) });
        left -= Math.min(mainFen, left);
      }
      for (const x of all) {
        if (left === 0) break;
        const take = Math.min(fen(x.balanceFen), left);
        if (take > 0) out.push({ accountId: x.id, amountFen: -take });
        left -= take;
      }
    }
    return out;
  }

  /**
   * Gives slot `slot` enough `available` for `amountFen` under the city lock, as one `rebalance` transaction
   * (available −Y elsewhere, available of the slot +Y: the city's balances do not move). From the main account:
   * up to `slotNeedFen` (the slot's remaining day), at least the shortfall. If the main account cannot cover the
   * shortfall: all of it, and the rest from the other slots, richest first, every slot locked so the
   * budget_exhausted it may answer is exact.
   */
  private async fundSlot(tx: Tx, actor: Actor, input: AmountMovement & { slot: number; slotNeedFen: Fen }): Promise<void> {
    const { programId, city, slot, amountFen } = input;
    const accounts = await this.lockAccounts(tx, programId, city, [
      { kind: 'available', retailerId: null }, { kind: 'available', retailerId: null, slot }, { kind: 'reserved', retailerId: null, slot },
    ]);
    const main = accounts.find((a) => a.kind === 'available' && a.slot === 0)!;
    const lane = accounts.find((a) => a.kind === 'available' && a.slot === slot)!;
    const have = fen(lane.balanceFen);
    if (have >= amountFen) return; // funded by another transaction while this one waited for the city lock
    const shortfall = amountFen - have;
    const mainFen = Math.max(0, fen(main.balanceFen));
    const legs: Leg[] = [];
    let moved = 0;
    if (mainFen >= shortfall) {
      moved = Math.min(mainFen, Math.max(shortfall, input.slotNeedFen - have));
      legs.push({ accountId: main.id, amountFen: -moved });
    } else {
      const others = (await this.repo.lockSlots(tx, programId, city, null)).filter((a) => a.kind === 'available' && a.slot !== slot).sort(richestFirst);
      const total = others.reduce((sum, a) => sum + fen(a.balanceFen), have + mainFen);
      if (total < amountFen) {
        throw new DomainError('budget_exhausted', `The ${city} budget cannot cover this: available holds ${total} fen, the movement needs ${amountFen} fen`);
      }
      if (mainFen > 0) legs.push({ accountId: main.id, amountFen: -mainFen });
      moved = mainFen;
      for (const a of others) {
        if (moved >= shortfall) break;
        const take = Math.min(fen(a.balanceFen), shortfall - moved);
        if (take > 0) legs.push({ accountId: a.id, amountFen: -take });
        moved += take;
      }
    }
    legs.push({ accountId: lane.id, amountFen: moved });
    await this.repo.write(tx, {
      programId, city, kind: 'rebalance', reference: `voucher-slot:${slot}`, note: 'slot funded from the city pool', actorId: actor.id,
    }, legs);
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

/**
 * `reserveFromSlot` found its slot short, without the city lock: roll the transaction back and run it again with
 * `fundFirst`. Not an answer to anyone: the caller retries.
 */
export class SlotUnfunded extends Error {
  constructor(readonly city: string, readonly slot: number) {
    super(`ledger: slot ${slot} of ${city} cannot cover the reservation; fund it first`);
  }
}

function slotNumber(slot: number): void {
  if (!Number.isSafeInteger(slot) || slot < 1 || slot > MAX_SLOTS) throw new RangeError(`ledger: a slot is an integer from 1 to ${MAX_SLOTS}, got ${String(slot)}`);
}

/** Each city's position from the sums per city and kind (the repository's `totals`). */
function cityBalances(rows: KindTotal[], city?: string): CityBalances[] {
  const byCity = new Map<string, CityBalances>();
  for (const row of rows) {
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

function emptyCity(city: string): CityBalances {
  return { city, grantedFen: 0, availableFen: 0, reservedFen: 0, payableFen: 0, paidFen: 0, receivableFen: 0, balanced: true };
}
