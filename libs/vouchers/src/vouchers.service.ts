import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import {
  Actor, addDays, Clock, DomainError, LIVE_CLAIMS, LiveClaims, newId, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR, toShanghaiIso, requireAccess,
  ZHEJIANG_CITIES,
} from '@huanxin/core';
import { AnswerInTransaction, isUniqueViolation, ReadDatabase, TransactionService, Tx } from '@huanxin/database';
import { LedgerService, SlotUnfunded } from '@huanxin/ledger';
import { selectVersion } from '@huanxin/policy';
import { Program, ProgramsRepository, PublishedPolicyVersion, Quota } from '@huanxin/programs';
import { newVoucherCode, normaliseVoucherCode } from './voucher-code';
import { ExpiredVoucher, NewVoucher, QuotaDay, TakenSlot, Voucher, VouchersRepository } from './vouchers.repository';

export interface VoucherView {
  code: string;
  programCode: string;
  status: 'open' | 'used' | 'expired';
  city: string;
  issuedAt: string;
  expiresAt: string;
  reservedFen: number;
  policyVersion: number;
  usedAt: string | null;
}

export interface CityAvailability {
  city: string;
  vouchersLeftToday: number;
  nextReleaseAt: string | null;
  budget: 'open' | 'paused';
  /** Only in a lottery city (issue 13): vouchers are drawn at `nextReleaseAt` among the entries of the window. */
  allocation?: 'lottery';
  entryOpens?: string | null;
  entryCloses?: string | null;
}

/** `programCode`: the code of the voucher's programme (`v.programId`), which the caller has in hand. */
export function toVoucherView(v: Voucher, programCode: string): VoucherView {
  return {
    code: v.code,
    programCode,
    status: v.status === 'open' && v.expiresAt <= new Date() ? 'expired' : v.status,
    city: v.city,
    issuedAt: toShanghaiIso(v.issuedAt),
    expiresAt: toShanghaiIso(v.expiresAt),
    reservedFen: v.reservedFen,
    policyVersion: v.policyVersion,
    usedAt: v.usedAt ? toShanghaiIso(v.usedAt) : null,
  };
}

/** A programme with its policy versions, oldest first. */
interface ProgramWithVersions extends Program {
  versions: PublishedPolicyVersion[];
}

/**
 * Vouchers (DESIGN.md "The flow", step 2): taken from a city's daily quota, at most one open per household
 * and programme, each reserving the largest subsidy it could become so the budget can never be overspent.
 * The quota counter, the ledger and the unique open-voucher index are the database's promises; nothing
 * here reads a count and then writes on the strength of it.
 *
 * No hot row on the rush (issue 11): a city's day is released over `VOUCHER_SLOTS` quota slot rows, and the
 * voucher taken from slot k reserves its money in the city's ledger slot k (`LedgerService.reserveFromSlot`),
 * so concurrent requests of one city spread over K counters and K pairs of balance rows instead of queueing on
 * one of each. Exactness stays with PostgreSQL: each quota slot's CHECK (issued <= released, the slots summing
 * to the day's quota) and each ledger account's CHECK (balance >= 0); a request says `quota_exhausted` or
 * `budget_exhausted` only after waiting for every slot (quota) or locking every slot (money).
 */
@Injectable()
export class VouchersService {
  /** Days this process has released, or is releasing (`releaseDay` is idempotent; this spares its statements). */
  private readonly released = new Map<string, Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly read: ReadDatabase,
    private readonly repo: VouchersRepository,
    private readonly programs: ProgramsRepository,
    private readonly users: UsersRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async issue(actor: Actor, programCode: string, idempotent?: AnswerInTransaction): Promise<VoucherView> {
    requireAccess(actor, 'vouchers.take');
    // Reads of other rows that nothing here locks or changes, taken before the transaction opens: the household's
    // city — its access token's, signed from its user row (a household's city never changes), or that row's — then
    // the programme with its policy versions and its quota there (one statement).
    const city = actor.kind === 'user' && actor.role === 'household' && actor.city ? actor.city : await this.users.householdCity(actor.id);
    const program = await this.programs.findForVoucher(programCode, city);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const now = this.clock.now();
    if (now < program.startsAt || now >= program.endsAt) throw new DomainError('program_not_active', 'The programme is not running now');
    const version = selectVersion(program.versions, now);
    if (!version) throw new DomainError('program_not_active', 'No policy is in force yet');
    const capFen = version.rules.capFen;
    if (city === undefined) throw new DomainError('forbidden', 'Only households take vouchers');
    const quota = program.quota;
    // a lottery city gives its vouchers by draw only (issue 13, LotteryService)
    if (quota?.allocation === 'lottery') throw new DomainError('allocation_by_lottery', `Vouchers in ${city} are drawn by lottery: enter tomorrow's draw`);
    const day = shanghaiDate(now);
    const release = quota && quota.dailyVouchers > 0 ? shanghaiInstant(day, quota.releaseTime) : undefined;
    // the day's release (quota slots, slot accounts, their money), committed on its own before anything else
    if (release && now >= release) await this.releaseDay(program.id, city, day, quota!.dailyVouchers, capFen);

    const expiresAt = new Date(now.getTime() + program.voucherValidityDays * 86400_000);
    const voucher: NewVoucher = {
      id: newId(), code: newVoucherCode(), programId: program.id, city, householdId: actor.id, reservedFen: capFen, policyVersion: version.version,
      issuedAt: now, expiresAt,
    };
    const soldOut = () => new DomainError('quota_exhausted', `Today's vouchers are gone; the next release is at ${toShanghaiIso(shanghaiInstant(addDays(day, 1), quota!.releaseTime))}`);

    // The refusals first, from the pool and without a transaction (most of a rush is refused): the household's
    // live claims, its open voucher, the quota. Each is a snapshot that a transaction could only confirm: a sold-out
    // day stays sold out, and a claim needs an open voucher of the household, so none can appear in between
    // unless the household's open voucher does (which the transaction's lock and the unique index then catch).
    // Every claim is made with a voucher of its household in its programme, one claim a voucher (claims_voucher):
    // a household that has held fewer vouchers than the limit has fewer live claims, and its claims are not counted
    // (a rush of first-time households reads two statements, not three).
    const seen = await this.repo.openAndSoldOut(program.id, actor.id, city, day);
    const liveClaims = seen.held < program.perHouseholdLimit ? 0 : await this.liveClaims.countForHousehold(this.db.manager, program.id, actor.id);
    if (liveClaims >= program.perHouseholdLimit) {
      throw new DomainError('household_limit_reached', 'This household has used its vouchers for the programme');
    }
    if (seen.open && seen.open.expiresAt > now) throw new DomainError('voucher_already_open', `Voucher ${seen.open.code} is still open`);
    if (!quota || !release) throw new DomainError('quota_exhausted', `No vouchers are released in ${city}`);
    if (now < release) throw new DomainError('quota_exhausted', `Today's vouchers are released at ${toShanghaiIso(release)}`);
    if (seen.soldOut) throw soldOut();

    // Twice at most: a first run that finds its ledger slot short rolls back, and the second funds the slot first.
    for (let fundFirst = false; ; fundFirst = true) {
      try {
        return await this.db.run(async (tx) => {
          // the open voucher (locked: an expired one is expired below), a quota slot and the new voucher, one statement
          const first = await this.repo.takeSlot(tx, { programId: program.id, city, day, start: 1 + randomInt(this.config.voucherSlots) }, { lockOpenOf: actor.id, insert: voucher });
          const open = first.open;
          if (open && open.expiresAt > now) throw new DomainError('voucher_already_open', `Voucher ${open.code} is still open`);
          const { taken, inserted } = await this.takeSlot(tx, first, voucher, quota.dailyVouchers, open ? undefined : voucher);
          if (taken === 'sold_out') throw soldOut();
          // An old voucher past its expiry gives its reservation back first. Only after the quota slot is held:
          // every issue takes its quota slot before the city's ledger accounts (LedgerService, "Locking"), so two
          // issues in a city (one expiring inline, one not) can never wait for each other in opposite orders.
          if (open) await this.expire(tx, SYSTEM_ACTOR, now, 1, open.id);
          // the money of this voucher and of the slot's remaining vouchers today (what the slot is funded with); an
          // inline expiry holds the city lock already, so the slot may as well be funded first
          await this.ledger.reserveFromSlot(tx, actor, {
            programId: program.id, city, reference: voucher.code, amountFen: capFen, slot: taken.slot, slotNeedFen: (taken.left + 1) * capFen,
            fundFirst: fundFirst || open !== undefined,
          });
          if (!inserted) await this.repo.insert(tx, { ...voucher, slot: taken.slot });
          await this.audit.append(tx, actor, {
            action: 'voucher.issued', subjectType: 'voucher', subjectId: voucher.code,
            details: { programCode, city, reservedFen: capFen, policyVersion: version.version, expiresAt: toShanghaiIso(expiresAt) },
          });
          return {
            code: voucher.code, programCode, status: 'open' as const, city, issuedAt: toShanghaiIso(now), expiresAt: toShanghaiIso(expiresAt),
            reservedFen: capFen, policyVersion: version.version, usedAt: null,
          };
        }, idempotent);
      } catch (err) {
        if (err instanceof SlotUnfunded && !fundFirst) continue;
        if (isUniqueViolation(err, 'vouchers_one_open')) throw new DomainError('voucher_already_open', 'This household already holds an open voucher');
        throw err;
      }
    }
  }

  /**
   * A voucher of the day's quota (VouchersRepository.takeSlot), or `sold_out` — said only once a snapshot shows
   * no voucher left on any slot. While every slot with vouchers left is held by another transaction, it looks
   * again after a short, growing pause (it never waits for a slot row, see takeSlot): those holders commit or roll
   * back within a transaction's time. `insert`: the voucher to insert with the slot (none while an expired open
   * voucher still has to be expired).
   */
  private async takeSlot(
    tx: Tx, first: { taken: TakenSlot; inserted: boolean }, v: NewVoucher, dailyVouchers: number, insert: NewVoucher | undefined,
  ): Promise<{ taken: { slot: number; left: number } | 'sold_out'; inserted: boolean }> {
    const slots = this.config.voucherSlots;
    const q = { programId: v.programId, city: v.city, day: shanghaiDate(v.issuedAt) };
    let releasedHere = false;
    for (let attempt = 0, next = first; ; attempt++) {
      const taken = next.taken;
      if (typeof taken === 'object' || taken === 'sold_out') return { taken, inserted: next.inserted };
      if (taken === 'unreleased') {
        if (releasedHere) throw new Error(`vouchers: the release of ${q.day} in ${q.city} left no quota slots`);
        // not released before the transaction (this process believed it was): release it in this transaction
        this.released.delete(`${q.programId}|${q.city}|${q.day}`);
        await this.repo.releaseDay(tx, q.programId, q.city, q.day, dailyVouchers, slots);
        releasedHere = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 20) + randomInt(5)));
      }
      next = await this.repo.takeSlot(tx, { ...q, start: 1 + randomInt(slots) }, { insert });
    }
  }

  /**
   * The day's release, once per process and day (concurrent first requests share it): the city's ledger slot
   * accounts 1..K, the day's quota over K slot rows, and each slot funded with its quota's money from the city's
   * main account (`LedgerService.fundSlots`) — each step idempotent and committed on its own, before the request's
   * transaction opens, so the rush's transactions find quota and money in their slot and take no city lock.
   */
  private releaseDay(programId: string, city: string, day: string, dailyVouchers: number, capFen: number): Promise<void> {
    const key = `${programId}|${city}|${day}`;
    let release = this.released.get(key);
    if (!release) {
      if (this.released.size > 10_000) this.released.clear();
      // its own transactions, not the request's (they are not given the request's idempotency answer)
      release = this.release(programId, city, day, dailyVouchers, capFen);
      release.catch(() => this.released.delete(key));
      this.released.set(key, release);
    }
    return release;
  }

  private async release(programId: string, city: string, day: string, dailyVouchers: number, capFen: number): Promise<void> {
    const slots = this.config.voucherSlots;
    await this.ledger.prepareSlots(programId, city, slots);
    await this.repo.releaseDay(this.db.manager, programId, city, day, dailyVouchers, slots);
    const needs = (await this.repo.slotsLeft(programId, city, day)).map((s) => ({ slot: s.slot, needFen: s.left * capFen }));
    await this.db.run((tx) => this.ledger.fundSlots(tx, SYSTEM_ACTOR, { programId, city, needs }));
  }

  /**
   * The end of the day, and the end of a sold-out day: money left in ledger slots whose quota slot has no voucher
   * left today goes back to the city's main accounts (`LedgerService.sweepSlots`), one transaction a city. Views
   * do not change (a slot's money is the city's money); what changes is that every other movement finds it in
   * the main account again, and tomorrow's release funds the slots afresh. Answers how many cities were swept.
   */
  async sweepSlots(): Promise<number> {
    const now = this.clock.now();
    const busy = new Set((await this.repo.openSlots(shanghaiDate(now))).map((s) => `${s.programId}|${s.city}|${s.slot}`));
    const byCity = new Map<string, { programId: string; city: string; slots: number[] }>();
    for (const s of await this.ledger.slotsWithMoney()) {
      if (busy.has(`${s.programId}|${s.city}|${s.slot}`)) continue;
      const key = `${s.programId}|${s.city}`;
      const g = byCity.get(key) ?? { programId: s.programId, city: s.city, slots: [] };
      g.slots.push(s.slot);
      byCity.set(key, g);
    }
    let swept = 0;
    for (const g of byCity.values()) {
      if (await this.db.run((tx) => this.ledger.sweepSlots(tx, SYSTEM_ACTOR, g))) swept++;
    }
    return swept;
  }

  async listMine(actor: Actor): Promise<{ items: VoucherView[] }> {
    const vouchers = await this.repo.listForHousehold(actor.id);
    const programs = await this.programs.findByIds(this.db.manager, [...new Set(vouchers.map((v) => v.programId))]);
    const codes = new Map(programs.map((p) => [p.id, p.code]));
    return { items: vouchers.map((v) => toVoucherView(v, codes.get(v.programId)!)) };
  }

  /**
   * The household gives up its open voucher (issue 13): the voucher ends as `expired` (now), its reservation goes
   * back to the city's pool — where the waitlist (first come) or the next draw (lottery) finds it, as it finds an
   * expiry's — and `voucher.given_up` is logged. One transaction, the voucher locked first (LedgerService,
   * "Locking"). Another household's code is `voucher_not_found`, as an unknown one is.
   */
  async giveUp(actor: Actor, code: string): Promise<VoucherView> {
    requireAccess(actor, 'vouchers.take');
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      const v = await this.repo.lockByCode(tx, normaliseVoucherCode(code));
      if (!v || v.householdId !== actor.id) throw new DomainError('voucher_not_found', 'No voucher with this code');
      if (v.status === 'used') throw new DomainError('voucher_used', 'The voucher was used in a trade-in');
      if (v.status === 'expired' || v.expiresAt <= now) throw new DomainError('voucher_expired', 'The voucher has expired already');
      await this.repo.giveUp(tx, v.id, now);
      await this.ledger.release(tx, actor, { programId: v.programId, city: v.city, reference: v.code, note: 'voucher given up', amountFen: v.reservedFen });
      await this.audit.append(tx, actor, {
        action: 'voucher.given_up', subjectType: 'voucher', subjectId: v.code, details: { city: v.city, releasedFen: v.reservedFen },
      });
      const [program] = await this.programs.findByIds(tx, [v.programId]);
      return toVoucherView({ ...v, status: 'expired', expiredAt: now }, program.code);
    });
  }

  /** One batch of the expiry job: expired vouchers give their reservations back, one ledger movement a city. */
  async expireBatch(limit = 500): Promise<number> {
    const now = this.clock.now();
    return this.db.run(async (tx) => (await this.expire(tx, SYSTEM_ACTOR, now, limit)).length);
  }

  private async expire(tx: Tx, actor: Actor, now: Date, limit: number, onlyId?: string): Promise<ExpiredVoucher[]> {
    const expired = await this.repo.expireDue(tx, now, limit, onlyId);
    const byCity = new Map<string, { programId: string; city: string; total: number; codes: string[] }>();
    for (const v of expired) {
      const key = `${v.programId}/${v.city}`;
      const g = byCity.get(key) ?? { programId: v.programId, city: v.city, total: 0, codes: [] };
      g.total += v.reservedFen;
      g.codes.push(v.code);
      byCity.set(key, g);
    }
    // cities in a fixed order: two batches posting to the same cities can never deadlock (LedgerService)
    for (const g of [...byCity.values()].sort((a, b) => `${a.programId}/${a.city}`.localeCompare(`${b.programId}/${b.city}`))) {
      if (g.total === 0) continue;
      await this.ledger.release(tx, actor, {
        programId: g.programId, city: g.city, reference: g.codes.length === 1 ? g.codes[0] : `voucher-expiry:${g.codes.length}`,
        note: 'vouchers expired', amountFen: g.total,
      });
    }
    await this.audit.appendMany(tx, actor, expired.map((v) => ({
      action: 'voucher.expired', subjectType: 'voucher', subjectId: v.code, details: { city: v.city, releasedFen: v.reservedFen },
    })));
    return expired;
  }

  /**
   * Public: each city's vouchers left today and whether its budget is open, read from the read replica (ReadDatabase:
   * at most DATABASE_READ_MAX_LAG_MS old; the primary when there is none, or it is behind or down). A voucher request
   * itself decides on the primary: this is only what the page shows.
   */
  async availability(programCode: string): Promise<{ programCode: string; cities: CityAvailability[] }> {
    const now = this.clock.now();
    const day = shanghaiDate(now);
    const { program, quotaRows, dayRows } = await this.read.run(async (m) => {
      const program = await this.programOn(m, programCode);
      return { program, quotaRows: await this.programs.quotas(m, program.id), dayRows: await this.repo.quotaDays(m, program.id, day) };
    });
    const quotas = new Map(quotaRows.map((q) => [q.city, q]));
    const released = new Map(dayRows.map((d) => [d.city, d]));
    const balances = new Map((await this.ledger.balancesOnReplica(program.id)).map((b) => [b.city, b]));
    const cap = (selectVersion(program.versions, now) ?? program.versions[0])?.rules.capFen ?? 0;
    const running = now < program.endsAt;
    return {
      programCode,
      cities: ZHEJIANG_CITIES.map((city) => cityAvailability(
        city, now, day, quotas.get(city), released.get(city), balances.get(city)?.availableFen ?? 0, cap, running, program,
      )),
    };
  }

  /** The programme by code with its policy versions, or 404 not_found. */
  private program(code: string): Promise<ProgramWithVersions> {
    return this.programOn(this.db.manager, code);
  }

  /** `program`, read where `on` says (the primary's pool, or the read replica for availability). */
  private async programOn(on: Tx, code: string): Promise<ProgramWithVersions> {
    const program = await this.programs.findByCode(on, code);
    if (!program) throw new DomainError('not_found', `No programme ${code}`);
    return { ...program, versions: await this.programs.versions(on, [program.id]) };
  }
}

function cityAvailability(
  city: string, now: Date, day: string, q: Quota | undefined, d: QuotaDay | undefined,
  availableFen: number, capFen: number, running: boolean, program: Program,
): CityAvailability {
  const budget = availableFen >= capFen && capFen > 0 ? 'open' : 'paused';
  if (!q || !running) return { city, vouchersLeftToday: 0, nextReleaseAt: null, budget };
  const todayRelease = shanghaiInstant(day, q.releaseTime);
  const releasedToday = now >= todayRelease;
  let next = releasedToday ? shanghaiInstant(addDays(day, 1), q.releaseTime) : todayRelease;
  if (next < program.startsAt) next = shanghaiInstant(shanghaiDate(program.startsAt), q.releaseTime);
  const left = releasedToday ? (d?.released ?? q.dailyVouchers) - (d?.issued ?? 0) : q.dailyVouchers;
  const a: CityAvailability = { city, vouchersLeftToday: Math.max(0, left), nextReleaseAt: next < program.endsAt ? toShanghaiIso(next) : null, budget };
  // a lottery city says so, with its entry window (issue 13); a first-come city's answer keeps its shape
  if (q.allocation === 'lottery') Object.assign(a, { allocation: 'lottery', entryOpens: q.entryOpens, entryCloses: q.entryCloses });
  return a;
}
