import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import {
  Actor, addDays, Clock, DomainError, newId, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR, toShanghaiIso, requireAccess, ZHEJIANG_CITIES, } from '@huanxin/core';
import { isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { selectVersion } from '@huanxin/policy';
import { ProgramFacts, ProgramFactsRepository } from './program-facts.repository';
import { newVoucherCode } from './voucher-code';
import { ExpiredVoucher, VoucherRow, VouchersRepository } from './vouchers.repository';

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

export function toVoucherView(v: VoucherRow): VoucherView {
  return {
    code: v.code,
    programCode: v.program_code,
    status: v.status === 'open' && v.expires_at <= new Date() ? 'expired' : v.status,
    city: v.city,
    issuedAt: toShanghaiIso(v.issued_at),
    expiresAt: toShanghaiIso(v.expires_at),
    reservedFen: Number(v.reserved_fen),
    policyVersion: v.policy_version,
    usedAt: v.used_at ? toShanghaiIso(v.used_at) : null,
  };
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
    private readonly programs: ProgramFactsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async issue(actor: Actor, programCode: string): Promise<VoucherView> {
    requireAccess(actor, 'vouchers.take');
    const program = await this.programs.byCode(programCode);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const now = this.clock.now();
    if (now < program.startsAt || now >= program.endsAt) throw new DomainError('program_not_active', 'The programme is not running now');
    const version = selectVersion(program.versions, now);
    if (!version) throw new DomainError('program_not_active', 'No policy is in force yet');
    const capFen = version.rules.capFen;

    try {
      return await this.db.run(async (tx) => {
        const [household] = await tx.query(`SELECT city FROM users WHERE id = $1 AND role = 'household'`, [actor.id]);
        if (!household) throw new DomainError('forbidden', 'Only households take vouchers');
        const city: string = household.city;

        if ((await this.repo.countLiveClaims(tx, program.id, actor.id)) >= program.perHouseholdLimit) {
          throw new DomainError('household_limit_reached', 'This household has used its vouchers for the programme');
        }
        const open = await this.repo.findOpen(tx, program.id, actor.id);
        if (open && open.expires_at > now) throw new DomainError('voucher_already_open', `Voucher ${open.code} is still open`);

        const quota = await this.repo.quota(tx, program.id, city);
        const day = shanghaiDate(now);
        if (!quota || quota.daily_vouchers === 0) throw new DomainError('quota_exhausted', `No vouchers are released in ${city}`);
        const release = shanghaiInstant(day, quota.release_time);
        if (now < release) throw new DomainError('quota_exhausted', `Today's vouchers are released at ${toShanghaiIso(release)}`);
        if (!(await this.repo.takeFromQuota(tx, program.id, city, day, quota.daily_vouchers))) {
          const next = shanghaiInstant(addDays(day, 1), quota.release_time);
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
    const rows = await this.repo.listForHousehold(actor.id);
    return { items: rows.map(toVoucherView) };
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
      const key = `${v.program_id}/${v.city}`;
      const g = byCity.get(key) ?? { programId: v.program_id, city: v.city, total: 0, codes: [] };
      g.total += Number(v.reserved_fen);
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
      action: 'voucher.expired', subjectType: 'voucher', subjectId: v.code, details: { city: v.city, releasedFen: Number(v.reserved_fen) },
    })));
    return expired;
  }

  async availability(programCode: string): Promise<{ programCode: string; cities: CityAvailability[] }> {
    const program = await this.programs.byCode(programCode);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const now = this.clock.now();
    const day = shanghaiDate(now);
    const quotas = new Map((await this.repo.availability(program.id, day)).map((q) => [q.city, q]));
    const balances = new Map((await this.ledger.balances(program.id)).map((b) => [b.city, b]));
    const cap = (selectVersion(program.versions, now) ?? program.versions[0])?.rules.capFen ?? 0;
    const running = now < program.endsAt;
    return {
      programCode,
      cities: ZHEJIANG_CITIES.map((city) => cityAvailability(city, now, day, quotas.get(city), balances.get(city)?.availableFen ?? 0, cap, running, program)),
    };
  }
}

function cityAvailability(
  city: string, now: Date, day: string,
  q: { daily_vouchers: number; release_time: string; released: number | null; issued: number | null } | undefined,
  availableFen: number, capFen: number, running: boolean, program: ProgramFacts,
): CityAvailability {
  const budget = availableFen >= capFen && capFen > 0 ? 'open' : 'paused';
  if (!q || !running) return { city, vouchersLeftToday: 0, nextReleaseAt: null, budget };
  const todayRelease = shanghaiInstant(day, q.release_time);
  const releasedToday = now >= todayRelease;
  let next = releasedToday ? shanghaiInstant(addDays(day, 1), q.release_time) : todayRelease;
  if (next < program.startsAt) next = shanghaiInstant(shanghaiDate(program.startsAt), q.release_time);
  const left = releasedToday ? (q.released ?? q.daily_vouchers) - (q.issued ?? 0) : q.daily_vouchers;
  return { city, vouchersLeftToday: Math.max(0, left), nextReleaseAt: next < program.endsAt ? toShanghaiIso(next) : null, budget };
}
