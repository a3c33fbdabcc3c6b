import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import {
  Actor, addDays, Clock, DomainError, LIVE_CLAIMS, LiveClaims, newId, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR, toShanghaiIso, requireAccess,
  ZHEJIANG_CITIES,
} from '@huanxin/core';
import { isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { selectVersion } from '@huanxin/policy';
import { Program, ProgramsRepository, PublishedPolicyVersion, Quota } from '@huanxin/programs';
import { newVoucherCode } from './voucher-code';
import { ExpiredVoucher, QuotaDay, Voucher, VouchersRepository } from './vouchers.repository';

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
 */
@Injectable()
export class VouchersService {
  constructor(
    private readonly db: TransactionService,
    private readonly repo: VouchersRepository,
    private readonly programs: ProgramsRepository,
    private readonly users: UsersRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async issue(actor: Actor, programCode: string): Promise<VoucherView> {
    requireAccess(actor, 'vouchers.take');
    const program = await this.program(programCode);
    const now = this.clock.now();
    if (now < program.startsAt || now >= program.endsAt) throw new DomainError('program_not_active', 'The programme is not running now');
    const version = selectVersion(program.versions, now);
    if (!version) throw new DomainError('program_not_active', 'No policy is in force yet');
    const capFen = version.rules.capFen;
    // Reads of other libs' rows that nothing here locks or changes, taken before the transaction opens.
    const city = await this.users.householdCity(actor.id);
    if (city === undefined) throw new DomainError('forbidden', 'Only households take vouchers');
    const quota = await this.programs.quota(this.db.manager, program.id, city);

    try {
      return await this.db.run(async (tx) => {
        if ((await this.liveClaims.countForHousehold(tx, program.id, actor.id)) >= program.perHouseholdLimit) {
          throw new DomainError('household_limit_reached', 'This household has used its vouchers for the programme');
        }
        const open = await this.repo.lockOpen(tx, program.id, actor.id);
        if (open && open.expiresAt > now) throw new DomainError('voucher_already_open', `Voucher ${open.code} is still open`);

        const day = shanghaiDate(now);
        if (!quota || quota.dailyVouchers === 0) throw new DomainError('quota_exhausted', `No vouchers are released in ${city}`);
        const release = shanghaiInstant(day, quota.releaseTime);
        if (now < release) throw new DomainError('quota_exhausted', `Today's vouchers are released at ${toShanghaiIso(release)}`);
        if (!(await this.repo.takeFromQuota(tx, program.id, city, day, quota.dailyVouchers))) {
          const next = shanghaiInstant(addDays(day, 1), quota.releaseTime);
          throw new DomainError('quota_exhausted', `Today's vouchers are gone; the next release is at ${toShanghaiIso(next)}`);
        }
        // An old voucher past its expiry gives its reservation back first. Only after the quota row is held:
        // every issue takes the day's quota row before the city's ledger accounts, so two issues in a city
        // (one expiring inline, one not) can never wait for each other in opposite orders.
        if (open) await this.expire(tx, SYSTEM_ACTOR, now, 1, open.id);

        const id = newId();
        const code = newVoucherCode();
        await this.ledger.reserve(tx, actor, { programId: program.id, city, reference: code, amountFen: capFen });
        const expiresAt = new Date(now.getTime() + program.voucherValidityDays * 86400_000);
        await this.repo.insert(tx, {
          id, code, programId: program.id, city, householdId: actor.id, reservedFen: capFen, policyVersion: version.version, issuedAt: now, expiresAt,
        });
        await this.audit.append(tx, actor, {
          action: 'voucher.issued', subjectType: 'voucher', subjectId: code,
          details: { programCode, city, reservedFen: capFen, policyVersion: version.version, expiresAt: toShanghaiIso(expiresAt) },
        });
        return {
          code, programCode, status: 'open' as const, city, issuedAt: toShanghaiIso(now), expiresAt: toShanghaiIso(expiresAt),
          reservedFen: capFen, policyVersion: version.version, usedAt: null,
        };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'vouchers_one_open')) throw new DomainError('voucher_already_open', 'This household already holds an open voucher');
      throw err;
    }
  }

  async listMine(actor: Actor): Promise<{ items: VoucherView[] }> {
    const vouchers = await this.repo.listForHousehold(actor.id);
    const programs = await this.programs.findByIds([...new Set(vouchers.map((v) => v.programId))]);
    const codes = new Map(programs.map((p) => [p.id, p.code]));
    return { items: vouchers.map((v) => toVoucherView(v, codes.get(v.programId)!)) };
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

  async availability(programCode: string): Promise<{ programCode: string; cities: CityAvailability[] }> {
    const program = await this.program(programCode);
    const now = this.clock.now();
    const day = shanghaiDate(now);
    const quotas = new Map((await this.programs.quotas(this.db.manager, program.id)).map((q) => [q.city, q]));
    const released = new Map((await this.repo.quotaDays(program.id, day)).map((d) => [d.city, d]));
    const balances = new Map((await this.ledger.balances(program.id)).map((b) => [b.city, b]));
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
  private async program(code: string): Promise<ProgramWithVersions> {
    const program = await this.programs.findByCode(this.db.manager, code);
    if (!program) throw new DomainError('not_found', `No programme ${code}`);
    return { ...program, versions: await this.programs.versions(this.db.manager, [program.id]) };
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
  return { city, vouchersLeftToday: Math.max(0, left), nextReleaseAt: next < program.endsAt ? toShanghaiIso(next) : null, budget };
}
