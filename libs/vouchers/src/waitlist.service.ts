import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import {
  Actor, addDays, Clock, DomainError, LIVE_CLAIMS, LiveClaims, newId, requireAccess, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR, toShanghaiIso,
} from '@huanxin/core';
import { AnswerInTransaction, isUniqueViolation, TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { selectVersion } from '@huanxin/policy';
import { ProgramsRepository } from '@huanxin/programs';
import { newVoucherCode } from './voucher-code';
import { VouchersRepository } from './vouchers.repository';
import { WaitlistRepository, WaitlistServing, WaitlistStatus } from './waitlist.repository';

export interface WaitlistView {
  programCode: string;
  city: string;
  day: string;
  /** `lapsed`: the day ended before the household's turn came. */
  status: WaitlistStatus | 'lapsed';
  position: number | null;
  voucherCode: string | null;
  joinedAt: string;
  servedAt: string | null;
}

/**
 * The waitlist from returned budget (issue 13, API.md "Allocation: lottery and waitlist"). In a first-come city,
 * a household that met "sold out" joins the day's waitlist; the worker gives vouchers in joining order as places
 * come back during the day.
 *
 * Returned capacity of a city's day: the programme's vouchers in the city that expired that day (the expiry job
 * gives their reservation back) plus its claims rejected or cancelled that day (their money goes back to the pool),
 * less what the waitlist has served that day. Never beyond the day's quota: the waitlist serves at most
 * `dailyVouchers` households a day. Never beyond the budget: at most what the city's available money covers at
 * the cap in force, reserved in one `reserve` movement under the city's ledger lock (exact: the CHECK refuses an
 * overspend, and the whole serving rolls back). Households that meanwhile hold an open voucher, or reached the
 * programme's limit, are skipped. A day's waitlist lapses at midnight (a new day is a new release).
 *
 * Two workers: the serving transaction locks the city's waiting rows in order (FOR UPDATE), so the second waits,
 * then finds the served rows gone and the served count grown; a row moves waiting → served only by a conditional
 * update, and its voucher goes in only for a row that moved. In lottery cities there is no waitlist: returned money
 * is in the pool for the next draw.
 */
@Injectable()
export class WaitlistService {
  constructor(
    private readonly db: TransactionService,
    private readonly repo: WaitlistRepository,
    private readonly vouchers: VouchersRepository,
    private readonly programs: ProgramsRepository,
    private readonly users: UsersRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** POST /v1/household/waitlist */
  async join(actor: Actor, programCode: string, idempotent?: AnswerInTransaction): Promise<{ programCode: string; city: string; day: string; status: 'waiting'; position: number }> {
    requireAccess(actor, 'vouchers.take');
    const city = actor.kind === 'user' && actor.role === 'household' && actor.city ? actor.city : await this.users.householdCity(actor.id);
    if (city === undefined) throw new DomainError('forbidden', 'Only households join the waitlist');
    const program = await this.programs.findForVoucher(programCode, city);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const quota = program.quota;
    if (quota?.allocation === 'lottery') throw new DomainError('allocation_by_lottery', `Vouchers in ${city} are drawn by lottery: enter tomorrow's draw instead`);
    const now = this.clock.now();
    if (now < program.startsAt || now >= program.endsAt) throw new DomainError('program_not_active', 'The programme is not running now');
    const day = shanghaiDate(now);
    if (await this.liveClaims.countForHousehold(this.db.manager, program.id, actor.id) >= program.perHouseholdLimit) {
      throw new DomainError('household_limit_reached', 'This household has used its vouchers for the programme');
    }
    const seen = await this.vouchers.openAndSoldOut(program.id, actor.id, city, day);
    if (seen.open && seen.open.expiresAt > now) throw new DomainError('voucher_already_open', `Voucher ${seen.open.code} is still open`);
    if (!quota || quota.dailyVouchers === 0) throw new DomainError('quota_not_exhausted', `No vouchers are released in ${city}: there is nothing to wait for`);
    if (!seen.soldOut) {
      const release = shanghaiInstant(day, quota.releaseTime);
      throw new DomainError('quota_not_exhausted', now < release
        ? `Today's vouchers are released at ${toShanghaiIso(release)}: ask for one then`
        : "Today's vouchers are not all taken: ask for one instead");
    }
    try {
      // the transaction's result is the answer: an Idempotency-Key replays it (TransactionService.run saves it)
      return await this.db.run(async (tx) => {
        const position = await this.repo.join(tx, { programId: program.id, city, day, householdId: actor.id, at: now });
        await this.audit.append(tx, actor, { action: 'waitlist.joined', subjectType: 'waitlist', subjectId: `${programCode}/${city}/${day}`, details: { programCode, city, day, position } });
        return { programCode, city, day, status: 'waiting' as const, position };
      }, idempotent);
    } catch (err) {
      if (isUniqueViolation(err, 'waitlist_entries_pkey')) throw new DomainError('already_waitlisted', "This household is already on today's waitlist");
      throw err;
    }
  }

  /** GET /v1/household/waitlist: its place today, or the voucher it was given (and earlier days). */
  async mine(actor: Actor): Promise<{ items: WaitlistView[] }> {
    requireAccess(actor, 'vouchers.take');
    const today = shanghaiDate(this.clock.now());
    const rows = await this.repo.ofHousehold(actor.id);
    const codes = new Map((await this.programs.findByIds(this.db.manager, [...new Set(rows.map((r) => r.programId))])).map((p) => [p.id, p.code]));
    return {
      items: rows.map((r) => ({
        programCode: codes.get(r.programId) ?? '', city: r.city, day: r.day,
        status: r.status === 'waiting' && r.day < today ? 'lapsed' : r.status,
        position: r.status === 'waiting' && r.day >= today ? r.position : null,
        voucherCode: r.voucherCode, joinedAt: toShanghaiIso(r.joinedAt), servedAt: r.servedAt ? toShanghaiIso(r.servedAt) : null,
      })),
    };
  }

  /** Worker: serves today's waitlists from returned capacity; answers how many households it served or skipped. */
  async serve(): Promise<number> {
    const day = shanghaiDate(this.clock.now());
    let handled = 0;
    for (const c of await this.repo.waitingCities(day)) handled += await this.serveCity(c.programId, c.city, day);
    return handled;
  }

  /** One city's day, in one transaction (see the class comment). */
  async serveCity(programId: string, city: string, day: string): Promise<number> {
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      const queue = await this.repo.lockQueue(tx, programId, city, day);
      if (!queue.length) return 0;
      const quota = await this.programs.quota(tx, programId, city);
      if (!quota || quota.allocation !== 'first_come') return 0;
      const [program] = await this.programs.findByIds(tx, [programId]);
      const version = selectVersion(await this.programs.versions(tx, [programId]), now);
      if (!program || !version || now >= program.endsAt || version.rules.capFen <= 0) return 0;
      const capFen = version.rules.capFen;
      const from = shanghaiInstant(day, '00:00');
      const to = shanghaiInstant(addDays(day, 1), '00:00');
      const returned = (await this.repo.expiredIn(tx, programId, city, from, to)) + (await this.liveClaims.endedInCity(tx, programId, city, from, to));
      const served = await this.repo.servedCount(tx, programId, city, day);
      const [balance] = await this.ledger.balancesIn(tx, programId, city);
      const places = Math.min(returned - served, quota.dailyVouchers - served, Math.floor(Math.max(0, balance.availableFen) / capFen));
      if (places <= 0) return 0;

      // in order, skipping households that can no longer take a voucher
      const open = await this.repo.openVoucherHolders(tx, programId, queue, now);
      const serving: WaitlistServing[] = [];
      const skipped: string[] = [];
      for (const householdId of queue) {
        if (serving.length >= places) break;
        if (open.has(householdId) || await this.liveClaims.countForHousehold(tx, programId, householdId) >= program.perHouseholdLimit) skipped.push(householdId);
        else serving.push({ householdId, voucherId: newId(), code: newVoucherCode() });
      }
      await this.repo.skip(tx, programId, city, day, skipped, now);
      const expiresAt = new Date(now.getTime() + program.voucherValidityDays * 86400_000);
      // voucher rows before the ledger's city lock (LedgerService, "Locking")
      const issued = await this.repo.serve(tx, { programId, city, day, serving, reservedFen: capFen, policyVersion: version.version, at: now, expiresAt });
      if (issued !== serving.length) throw new Error(`waitlist: ${issued} vouchers issued for ${serving.length} households in ${city}`);
      if (issued > 0) {
        await this.ledger.reserve(tx, SYSTEM_ACTOR, {
          programId, city, reference: `waitlist:${program.code}:${city}:${day}`, note: `waitlist: ${issued} vouchers`, amountFen: issued * capFen,
        });
      }
      await this.audit.appendMany(tx, SYSTEM_ACTOR, [
        ...serving.map((s) => ({
          action: 'voucher.issued', subjectType: 'voucher', subjectId: s.code,
          details: { programCode: program.code, city, reservedFen: capFen, policyVersion: version.version, expiresAt: toShanghaiIso(expiresAt), allocation: 'waitlist', day },
        })),
        ...(serving.length || skipped.length ? [{
          action: 'waitlist.served', subjectType: 'waitlist', subjectId: `${program.code}/${city}/${day}`,
          details: { programCode: program.code, city, day, served: serving.length, skipped: skipped.length, returned, servedBefore: served },
        }] : []),
      ]);
      return serving.length + skipped.length;
    });
  }
}
