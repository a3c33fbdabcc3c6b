import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { UsersRepository } from '@huanxin/auth';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import {
  Actor, addDays, Clock, DomainError, isCityCode, LIVE_CLAIMS, LiveClaims, newId, requireAccess, shanghaiDate, shanghaiInstant, SYSTEM_ACTOR,
  toShanghaiIso,
} from '@huanxin/core';
import { AnswerInTransaction, isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { selectVersion } from '@huanxin/policy';
import { Program, PROGRAM_CODE_RE, ProgramsRepository, Quota } from '@huanxin/programs';
import {
  DRAW_ALGORITHM, drawCommitment, DrawExport, drawSecret, drawSeed, drawWinners, entriesRoot, lotteryEntryId,
} from './lottery-draw';
import { LotteryEntryStatus, LotteryRepository } from './lottery.repository';
import { newVoucherCode } from './voucher-code';
import { VouchersRepository } from './vouchers.repository';

export interface LotteryEntryView {
  programCode: string;
  city: string;
  drawDate: string;
  drawAt: string;
  /** The pseudonymous id the public draw lists (a keyed hash: it names no one). */
  entryId: string;
  status: LotteryEntryStatus;
  /** Carried over from an earlier draw the household was not drawn in. */
  carried: boolean;
  /** `won`: the voucher the draw issued. */
  voucherCode: string | null;
  /** `not_drawn`: the draw the entry was carried into (null: none — the programme ends, or the city left the lottery). */
  carriedTo: string | null;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** YYYY-MM-DD naming a real day (2026-02-30 is not one). */
function isCalendarDate(s: string): boolean {
  if (!DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** The entry window on `entryDay` of a lottery city, and the draw it feeds (the next day, at the release time). */
function windowOf(q: Quota, entryDay: string): { opensAt: Date; closesAt: Date; drawDate: string; drawAt: Date } {
  const drawDate = addDays(entryDay, 1);
  return {
    opensAt: shanghaiInstant(entryDay, q.entryOpens!), closesAt: shanghaiInstant(entryDay, q.entryCloses!), drawDate, drawAt: shanghaiInstant(drawDate, q.releaseTime),
  };
}

/**
 * Allocation by lottery (issue 13, API.md "Allocation: lottery and waitlist"). A lottery city's households enter
 * during the day's window; at the next day's release time the worker draws the day's quota of winners with
 * huanxin-draw-v1 (lottery-draw.ts) and issues their vouchers in one transaction of set-based statements.
 *
 * - Commit–reveal: the draw's secret is derived from LOTTERY_SECRET (never stored before the draw); its SHA-256 is
 *   logged (`lottery.committed`) when the window opens — or with the first entry, whichever comes first — and the
 *   secret itself at the draw (`lottery.drawn`). The seed also takes the root of the first signed tree head after
 *   the close (a value no one controlled while entries were made: the worker logs `lottery.window_closed`, so such a
 *   head always follows), the entries' Merkle root, and the programme, city and day.
 * - Money: the winners' vouchers reserve the cap in force, as every voucher does, in one `reserve` movement of
 *   K × cap under the city's ledger lock; K is at most what the city's available budget covers (fewer win when it
 *   covers fewer — the export says `limitedBy: "budget"`), so the ledger stays exact and never overspends. The day's
 *   quota slots are released with K vouchers, all issued, so the day reads sold out.
 * - Once: the draw row moves open → drawn by a conditional update, under a row lock taken with SKIP LOCKED, so two
 *   workers never both draw it.
 * - Not drawn: a household not drawn is carried into the next day's draw automatically (a new pseudonymous entry,
 *   `carried: true`) until it wins or the programme ends; entering again while an entry is undrawn is
 *   `already_entered`. Returned money (expiries, rejected or cancelled claims) flows back to the city's pool and so
 *   to the next draw.
 */
@Injectable()
export class LotteryService {
  private readonly logger = new Logger(LotteryService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly repo: LotteryRepository,
    private readonly vouchers: VouchersRepository,
    private readonly programs: ProgramsRepository,
    private readonly users: UsersRepository,
    @Inject(LIVE_CLAIMS) private readonly liveClaims: LiveClaims,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** POST /v1/household/lottery-entries: the household enters tomorrow's draw of its city. */
  async enter(actor: Actor, programCode: string, idempotent?: AnswerInTransaction): Promise<{ programCode: string; drawDate: string; drawAt: string; city: string; entryId: string; status: 'entered' }> {
    requireAccess(actor, 'vouchers.take');
    const city = actor.kind === 'user' && actor.role === 'household' && actor.city ? actor.city : await this.users.householdCity(actor.id);
    if (city === undefined) throw new DomainError('forbidden', 'Only households enter draws');
    const program = await this.programs.findForVoucher(programCode, city);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const quota = program.quota;
    if (!quota || quota.allocation !== 'lottery') throw new DomainError('not_a_lottery_city', `Vouchers in ${city} are given first come, first served: there is no draw to enter`);
    const now = this.clock.now();
    if (now >= program.endsAt) throw new DomainError('program_not_active', 'The programme has ended');
    const day = shanghaiDate(now);
    const w = windowOf(quota, day);
    if (now < w.opensAt || now >= w.closesAt) {
      const next = now < w.opensAt ? w.opensAt : shanghaiInstant(addDays(day, 1), quota.entryOpens!);
      throw new DomainError('entry_window_closed', `Entries for ${city}'s draw are taken from ${quota.entryOpens} to ${quota.entryCloses}; the next window opens at ${toShanghaiIso(next)}`);
    }
    if (w.drawAt >= program.endsAt || w.drawAt < program.startsAt) throw new DomainError('entry_window_closed', 'There is no draw tomorrow: the programme is not running then');
    if (await this.liveClaims.countForHousehold(this.db.manager, program.id, actor.id) >= program.perHouseholdLimit) {
      throw new DomainError('household_limit_reached', 'This household has used its vouchers for the programme');
    }
    const { open } = await this.vouchers.openAndSoldOut(program.id, actor.id, city, day);
    if (open && open.expiresAt > now) throw new DomainError('voucher_already_open', `Voucher ${open.code} is still open`);

    const entryId = lotteryEntryId(this.config.lotterySecret, program.id, city, w.drawDate, actor.id);
    const answer = { programCode, drawDate: w.drawDate, drawAt: toShanghaiIso(w.drawAt), city, entryId, status: 'entered' as const };
    try {
      // the transaction's result is the answer: an Idempotency-Key replays it (TransactionService.run saves it)
      return await this.db.run(async (tx) => {
        await this.ensureCommitment(tx, program, quota, day);
        // the draw keeps the window it was committed with (an admin may have moved the quota's since)
        const draw = await this.repo.findDraw(tx, program.id, city, w.drawDate);
        if (!draw || draw.status !== 'open' || now < draw.entryOpensAt || now >= draw.entryClosesAt) {
          throw new DomainError('entry_window_closed', `Entries for ${city}'s draw of ${w.drawDate} are closed`);
        }
        await this.repo.insertEntries(tx, { programId: program.id, city, drawDate: w.drawDate, entries: [{ householdId: actor.id, entryId }], carried: false, at: now });
        await this.audit.append(tx, actor, {
          action: 'lottery.entered', subjectType: 'lottery_entry', subjectId: entryId, details: { programCode, city, drawDate: w.drawDate },
        });
        return answer;
      }, idempotent);
    } catch (err) {
      if (isUniqueViolation(err, 'lottery_entries_pkey') || isUniqueViolation(err, 'lottery_entries_one_pending') || isUniqueViolation(err, 'lottery_entries_entry_id')) {
        throw new DomainError('already_entered', 'This household is already in a draw of this programme that has not been drawn yet');
      }
      throw err;
    }
  }

  /** GET /v1/household/lottery-entries: the household's entries, newest draw first. */
  async listMine(actor: Actor): Promise<{ items: LotteryEntryView[] }> {
    requireAccess(actor, 'vouchers.take');
    const entries = await this.repo.entriesOfHousehold(actor.id);
    const codes = new Map((await this.programs.findByIds(this.db.manager, [...new Set(entries.map((e) => e.programId))])).map((p) => [p.id, p.code]));
    const has = new Set(entries.map((e) => `${e.programId}|${e.drawDate}`));
    return {
      items: entries.map((e) => {
        const next = addDays(e.drawDate, 1);
        return {
          programCode: codes.get(e.programId) ?? '', city: e.city, drawDate: e.drawDate, drawAt: toShanghaiIso(e.drawAt), entryId: e.entryId, status: e.status,
          carried: e.carried, voucherCode: e.voucherCode, carriedTo: e.status === 'not_drawn' && has.has(`${e.programId}|${next}`) ? next : null,
        };
      }),
    };
  }

  /** GET /v1/public/programs/{code}/draws/{city}/{date}: everything needed to recompute the draw (draw:verify). */
  async publicDraw(programCode: string, city: string, drawDate: string): Promise<DrawExport> {
    if (!PROGRAM_CODE_RE.test(programCode) || !isCityCode(city) || !isCalendarDate(drawDate)) throw new DomainError('not_found', 'No such draw');
    const program = await this.programs.findByCode(this.db.manager, programCode);
    if (!program) throw new DomainError('not_found', `No programme ${programCode}`);
    const draw = await this.repo.findDraw(this.db.manager, program.id, city, drawDate);
    if (!draw) throw new DomainError('not_found', `No draw in ${city} on ${drawDate}`);
    const drawn = draw.status === 'drawn';
    const entries = await this.repo.entryIds(this.db.manager, program.id, city, drawDate, drawn ? ['won', 'not_drawn'] : ['entered']);
    const winners = drawn ? await this.repo.winnerIds(this.db.manager, program.id, city, drawDate) : [];
    const possible = drawn ? Math.min(draw.quota!, draw.entriesCount!) : 0;
    return {
      algorithm: DRAW_ALGORITHM, programCode: program.code, city, drawDate, status: draw.status,
      entryOpensAt: toShanghaiIso(draw.entryOpensAt), entryClosesAt: toShanghaiIso(draw.entryClosesAt), drawAt: toShanghaiIso(draw.drawAt),
      commitment: draw.commitment, reveal: draw.reveal, treeHead: draw.treeHead, entriesRoot: draw.entriesRoot, seed: draw.seed, quota: draw.quota,
      limitedBy: !drawn ? null : draw.winnersCount! < possible ? 'budget' : draw.entriesCount! < draw.quota! ? 'entries' : null,
      entries, winners,
    };
  }

  /**
   * Worker: logs the commitment of every lottery city whose entry window is open now (once: the draw row's primary
   * key). Answers how many commitments it logged.
   */
  async commitOpenWindows(): Promise<number> {
    const now = this.clock.now();
    const day = shanghaiDate(now);
    let created = 0;
    for (const q of await this.programs.lotteryQuotas(now)) {
      const w = windowOf(q, day);
      if (now < w.opensAt || now >= w.closesAt || w.drawAt >= q.program.endsAt || w.drawAt < q.program.startsAt) continue;
      if (await this.db.run((tx) => this.ensureCommitment(tx, q.program, q, day))) created++;
    }
    return created;
  }

  /**
   * Worker: for each draw whose window has closed, logs `lottery.window_closed` with the number of entries — an
   * audit event after the close, so the sealer signs a tree head after it (the seed's outside input).
   */
  async closeWindows(): Promise<number> {
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      const closed = await this.repo.closeDue(tx, now, 100);
      if (!closed.length) return 0;
      const codes = new Map((await this.programs.findByIds(tx, [...new Set(closed.map((c) => c.programId))])).map((p) => [p.id, p.code]));
      await this.audit.appendMany(tx, SYSTEM_ACTOR, closed.map((c) => ({
        action: 'lottery.window_closed', subjectType: 'lottery_draw', subjectId: `${codes.get(c.programId)}/${c.city}/${c.drawDate}`,
        details: { programCode: codes.get(c.programId), city: c.city, drawDate: c.drawDate, entries: c.entries },
      })));
      return closed.length;
    });
  }

  /** Worker: runs the draws whose time has come (each once); answers how many it drew. */
  async runDueDraws(): Promise<number> {
    let drawn = 0;
    let failed: unknown;
    for (const d of await this.repo.dueDraws(this.clock.now(), 20)) {
      // one draw that fails (rolled back whole) does not hold up the others; it is tried again on the next tick
      try {
        if (await this.draw(d.programId, d.city, d.drawDate)) drawn++;
      } catch (err) {
        this.logger.error({ err, city: d.city, drawDate: d.drawDate }, 'lottery draw failed; it runs again on the next tick');
        failed ??= err;
      }
    }
    if (failed !== undefined && drawn === 0) throw failed;
    return drawn;
  }

  /**
   * One draw, in one transaction: false when it is not due, is drawn already, is being drawn by another worker, or
   * waits for the first tree head signed after its window closed.
   */
  async draw(programId: string, city: string, drawDate: string): Promise<boolean> {
    const now = this.clock.now();
    return this.db.run(async (tx) => {
      const draw = await this.repo.lockOpenDraw(tx, programId, city, drawDate);
      if (!draw || draw.drawAt > now) return false;
      const head = await this.audit.firstHeadSignedAtOrAfter(tx, draw.entryClosesAt);
      if (!head) return false;
      const [program] = await this.programs.findByIds(tx, [programId]);
      const version = selectVersion(await this.programs.versions(tx, [programId]), now);
      const quota = await this.programs.quota(tx, programId, city);
      const capFen = version?.rules.capFen ?? 0;
      const running = now >= program.startsAt && now < program.endsAt && version !== undefined && capFen > 0;
      // a city switched back to first come since the window opened draws no one (its day is the rush's again)
      const draws = quota?.allocation === 'lottery';
      const quotaN = running && draws ? quota.dailyVouchers : 0;

      // the list: every entry still in the draw, less households that now hold an open voucher of the programme
      await this.repo.withdrawVoucherHolders(tx, programId, city, drawDate, now);
      const entries = await this.repo.entryIds(tx, programId, city, drawDate, ['entered']);
      const [balance] = await this.ledger.balancesIn(tx, programId, city);
      const affordable = capFen > 0 ? Math.floor(Math.max(0, balance.availableFen) / capFen) : 0;
      const k = Math.min(quotaN, entries.length, affordable);

      const reveal = drawSecret(this.config.lotterySecret, programId, city, drawDate).toString('hex');
      const root = entriesRoot(entries);
      const seed = drawSeed({ reveal, entriesRoot: root, treeRootHash: head.rootHash, programCode: program.code, city, drawDate });
      const winners = drawWinners(seed, entries, k).map((entryId, i) => ({ entryId, rank: i + 1, voucherId: newId(), code: newVoucherCode() }));
      const expiresAt = new Date(now.getTime() + program.voucherValidityDays * 86400_000);

      // voucher rows, then the day's quota slots, then the ledger (the lock order of LedgerService, "Locking")
      const { issued, notDrawn } = await this.repo.settle(tx, {
        programId, city, drawDate, winners, reservedFen: capFen, policyVersion: version?.version ?? 0, at: now, expiresAt,
      });
      if (issued !== k) throw new Error(`lottery: the draw of ${city} on ${drawDate} issued ${issued} vouchers for ${k} winners`);
      // the day's quota is the draw's only while the city draws: one switched back to first come keeps its day for
      // the first-come release (released by its first request, or already half taken) — the draw leaves it alone
      if (draws) {
        await this.vouchers.releaseDay(tx, programId, city, drawDate, k, this.config.voucherSlots);
        await this.repo.exhaustDay(tx, programId, city, drawDate);
      }
      const reference = `lottery:${program.code}:${city}:${drawDate}`;
      if (k > 0) await this.ledger.reserve(tx, SYSTEM_ACTOR, { programId, city, reference, note: `lottery draw: ${k} vouchers`, amountFen: k * capFen });

      const treeHead = { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp, signature: head.signature, keyId: head.keyId };
      const moved = await this.repo.markDrawn(tx, {
        programId, city, drawDate, reveal, seed, entriesRoot: root, treeHead, quota: quotaN, capFen, entriesCount: entries.length, winnersCount: k, at: now,
      });
      if (!moved) throw new Error(`lottery: the draw of ${city} on ${drawDate} was drawn by another transaction`);

      // not drawn: into the next day's draw, while the city draws and the programme runs
      const nextDate = addDays(drawDate, 1);
      let carried = 0;
      if (notDrawn.length && draws && shanghaiInstant(nextDate, quota.releaseTime) < program.endsAt) {
        await this.ensureCommitment(tx, program, quota, drawDate);
        const next = notDrawn.map((householdId) => ({ householdId, entryId: lotteryEntryId(this.config.lotterySecret, programId, city, nextDate, householdId) }));
        carried = await this.repo.insertEntries(tx, { programId, city, drawDate: nextDate, entries: next, carried: true, at: now });
        await this.audit.appendMany(tx, SYSTEM_ACTOR, next.map((e) => ({
          action: 'lottery.entered', subjectType: 'lottery_entry', subjectId: e.entryId, details: { programCode: program.code, city, drawDate: nextDate, carried: true },
        })));
      }

      await this.audit.appendMany(tx, SYSTEM_ACTOR, [
        ...winners.map((w) => ({
          action: 'voucher.issued', subjectType: 'voucher', subjectId: w.code,
          details: { programCode: program.code, city, reservedFen: capFen, policyVersion: version?.version ?? 0, expiresAt: toShanghaiIso(expiresAt), allocation: 'lottery', drawDate },
        })),
        {
          action: 'lottery.drawn', subjectType: 'lottery_draw', subjectId: `${program.code}/${city}/${drawDate}`,
          details: {
            algorithm: DRAW_ALGORITHM, programCode: program.code, city, drawDate, commitment: draw.commitment, reveal, seed, entriesRoot: root,
            treeHead: { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp }, entries: entries.length, quota: quotaN,
            winners: k, reservedFen: k * capFen, carriedOver: carried,
          },
        },
      ]);
      return true;
    });
  }

  /**
   * The draw fed by `entryDay`'s window, with its commitment, unless it exists; logs `lottery.committed` when this
   * call created it. Answers whether it did.
   */
  private async ensureCommitment(tx: Tx, program: Program, quota: Quota, entryDay: string): Promise<boolean> {
    const w = windowOf(quota, entryDay);
    const commitment = drawCommitment(drawSecret(this.config.lotterySecret, program.id, quota.city, w.drawDate));
    const created = await this.repo.ensureDraw(tx, {
      programId: program.id, city: quota.city, drawDate: w.drawDate, entryOpensAt: w.opensAt, entryClosesAt: w.closesAt, drawAt: w.drawAt, commitment,
    });
    if (created) {
      await this.audit.append(tx, SYSTEM_ACTOR, {
        action: 'lottery.committed', subjectType: 'lottery_draw', subjectId: `${program.code}/${quota.city}/${w.drawDate}`,
        details: {
          algorithm: DRAW_ALGORITHM, programCode: program.code, city: quota.city, drawDate: w.drawDate, commitment,
          entryOpensAt: toShanghaiIso(w.opensAt), entryClosesAt: toShanghaiIso(w.closesAt), drawAt: toShanghaiIso(w.drawAt),
        },
      });
    }
    return created;
  }
}
