import { Injectable } from '@nestjs/common';
import { isUuid } from '@huanxin/core';
import { queryPrepared, TransactionService, Tx } from '@huanxin/database';
import type { PolicyRules } from '@huanxin/policy';
import type { Program, PublishedPolicyVersion, Quota } from './programs.types';

interface ProgramRow {
  id: string;
  code: string;
  name: string;
  starts_at: Date;
  ends_at: Date;
  voucher_validity_days: number;
  per_household_limit: number;
  created_at: Date;
}

interface VersionRow {
  program_id: string;
  version: number;
  effective_from: Date;
  rules: PolicyRules;
  created_at: Date;
}

interface QuotaRow {
  program_id: string;
  city: string;
  daily_vouchers: number;
  release_time: string;
  updated_at: Date;
  allocation: Quota['allocation'];
  entry_opens: string | null;
  entry_closes: string | null;
}

const PROGRAM_COLUMNS = `id, code, name, starts_at, ends_at, voucher_validity_days, per_household_limit, created_at`;
const VERSION_COLUMNS = `program_id, version, effective_from, rules, created_at`;
const QUOTA_COLUMNS = `program_id, city, daily_vouchers, release_time, updated_at, allocation, entry_opens, entry_closes`;

function toProgram(r: ProgramRow): Program {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    voucherValidityDays: Number(r.voucher_validity_days),
    perHouseholdLimit: Number(r.per_household_limit),
    createdAt: r.created_at,
  };
}

function toVersion(r: VersionRow): PublishedPolicyVersion {
  return { programId: r.program_id, version: Number(r.version), effectiveFrom: r.effective_from, rules: r.rules, createdAt: r.created_at };
}

function toQuota(r: QuotaRow): Quota {
  return {
    programId: r.program_id, city: r.city, dailyVouchers: Number(r.daily_vouchers), releaseTime: r.release_time, updatedAt: r.updated_at,
    allocation: r.allocation ?? 'first_come', entryOpens: r.entry_opens ?? null, entryCloses: r.entry_closes ?? null,
  };
}

/** Programmes, their policy versions (append-only) and their daily quotas per city. */
@Injectable()
export class ProgramsRepository {
  constructor(private readonly db: TransactionService) {}

  async insert(tx: Tx, p: Program): Promise<void> {
    await tx.query(
      `INSERT INTO programs (id, code, name, starts_at, ends_at, voucher_validity_days, per_household_limit, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [p.id, p.code, p.name, p.startsAt, p.endsAt, p.voucherValidityDays, p.perHouseholdLimit, p.createdAt],
    );
  }

  /**
   * The programme by code, read in `tx` (a transaction, or the pool's manager: the caller always says which). To
   * hold it (policy publications of one programme are serialised on its row), `lockByCode`.
   */
  async findByCode(tx: Tx, code: string): Promise<Program | undefined> {
    const rows: ProgramRow[] = await tx.query(`SELECT ${PROGRAM_COLUMNS} FROM programs WHERE code = $1`, [code]);
    return rows[0] ? toProgram(rows[0]) : undefined;
  }

  /** The id of the programme with this code, from the pool (filters and reports name a programme by its code). */
  async idByCode(code: string): Promise<string | undefined> {
    return (await this.findByCode(this.db.manager, code))?.id;
  }

  /** The programme, held until `tx` ends (FOR UPDATE): a lock always names its transaction. */
  async lockByCode(tx: Tx, code: string): Promise<Program | undefined> {
    const rows: ProgramRow[] = await tx.query(`SELECT ${PROGRAM_COLUMNS} FROM programs WHERE code = $1 FOR UPDATE`, [code]);
    return rows[0] ? toProgram(rows[0]) : undefined;
  }

  async findById(tx: Tx, id: string): Promise<Program | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: ProgramRow[] = await tx.query(`SELECT ${PROGRAM_COLUMNS} FROM programs WHERE id = $1::uuid`, [id]);
    return rows[0] ? toProgram(rows[0]) : undefined;
  }

  /**
   * The programme with its policy versions, oldest first, in one statement (the trade-in's step 1): what
   * `findById` and `versions` answer together, as a prepared statement (`queryPrepared`).
   */
  async findWithVersions(tx: Tx, id: string): Promise<(Program & { versions: PublishedPolicyVersion[] }) | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: (ProgramRow & { v_version: number | null; v_effective_from: Date; v_rules: PolicyRules; v_created_at: Date })[] = await queryPrepared(tx,
      `SELECT p.id, p.code, p.name, p.starts_at, p.ends_at, p.voucher_validity_days, p.per_household_limit, p.created_at,
              v.version AS v_version, v.effective_from AS v_effective_from, v.rules AS v_rules, v.created_at AS v_created_at
         FROM programs p LEFT JOIN policy_versions v ON v.program_id = p.id
        WHERE p.id = $1::uuid
        ORDER BY v.version`,
      [id],
    );
    if (!rows[0]) return undefined;
    const versions = rows.filter((r) => r.v_version !== null).map((r) => toVersion({
      program_id: r.id, version: r.v_version!, effective_from: r.v_effective_from, rules: r.v_rules, created_at: r.v_created_at,
    }));
    return { ...toProgram(rows[0]), versions };
  }

  /**
   * The programme by code with its policy versions (oldest first) and its quota in `city`, in one statement from
   * the pool: what `findByCode`, `versions` and `quota` answer together (a voucher request's reads).
   */
  async findForVoucher(code: string, city: string | undefined): Promise<(Program & { versions: PublishedPolicyVersion[]; quota: Quota | undefined }) | undefined> {
    const rows: (ProgramRow & {
      v_version: number | null; v_effective_from: Date; v_rules: PolicyRules; v_created_at: Date;
      q_daily_vouchers: number | null; q_release_time: string; q_updated_at: Date;
      q_allocation: Quota['allocation']; q_entry_opens: string | null; q_entry_closes: string | null;
    })[] = await queryPrepared(this.db.manager,
      `SELECT p.id, p.code, p.name, p.starts_at, p.ends_at, p.voucher_validity_days, p.per_household_limit, p.created_at,
              v.version AS v_version, v.effective_from AS v_effective_from, v.rules AS v_rules, v.created_at AS v_created_at,
              q.daily_vouchers AS q_daily_vouchers, q.release_time AS q_release_time, q.updated_at AS q_updated_at,
              q.allocation AS q_allocation, q.entry_opens AS q_entry_opens, q.entry_closes AS q_entry_closes
         FROM programs p
         LEFT JOIN policy_versions v ON v.program_id = p.id
         LEFT JOIN quotas q ON q.program_id = p.id AND q.city = $2
        WHERE p.code = $1
        ORDER BY v.version`,
      [code, city ?? null],
    );
    const [r] = rows;
    if (!r) return undefined;
    const versions = rows.filter((x) => x.v_version !== null).map((x) => toVersion({
      program_id: x.id, version: x.v_version!, effective_from: x.v_effective_from, rules: x.v_rules, created_at: x.v_created_at,
    }));
    const quota = r.q_daily_vouchers === null ? undefined : toQuota({
      program_id: r.id, city: city!, daily_vouchers: r.q_daily_vouchers, release_time: r.q_release_time, updated_at: r.q_updated_at,
      allocation: r.q_allocation, entry_opens: r.q_entry_opens, entry_closes: r.q_entry_closes,
    });
    return { ...toProgram(r), versions, quota };
  }

  /** Several programmes at once, in no particular order (ids that are not programmes are left out). */
  async findByIds(db: Tx, ids: string[]): Promise<Program[]> {
    const wanted = ids.filter(isUuid);
    if (wanted.length === 0) return [];
    const rows: ProgramRow[] = await db.query(`SELECT ${PROGRAM_COLUMNS} FROM programs WHERE id = ANY($1::uuid[])`, [wanted]);
    return rows.map(toProgram);
  }

  /** Keyset page by code (one extra row tells whether another page follows). */
  async list(q: { after?: string; limit: number }): Promise<Program[]> {
    const rows: ProgramRow[] = await this.db.manager.query(
      `SELECT ${PROGRAM_COLUMNS} FROM programs WHERE ($1::text IS NULL OR code > $1) ORDER BY code LIMIT $2`,
      [q.after ?? null, q.limit],
    );
    return rows.map(toProgram);
  }

  /** Programmes' codes by id, read inside `tx` (ids that are not programmes are left out). */
  async codesByIds(tx: Tx, ids: string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter(isUuid))];
    if (wanted.length === 0) return new Map();
    const rows: { id: string; code: string }[] = await tx.query(`SELECT id, code FROM programs WHERE id = ANY($1::uuid[])`, [wanted]);
    return new Map(rows.map((r) => [r.id, r.code]));
  }

  /** Programmes that have started by `now` (ended ones too), in code order: the payout schedule's list. */
  async startedBy(now: Date): Promise<Program[]> {
    const rows: ProgramRow[] = await this.db.manager.query(`SELECT ${PROGRAM_COLUMNS} FROM programs WHERE starts_at <= $1 ORDER BY code`, [now]);
    return rows.map(toProgram);
  }

  /** Programmes that have not ended at `now`, soonest start first (a handful: the public list). */
  async current(now: Date, limit: number): Promise<Program[]> {
    const rows: ProgramRow[] = await this.db.manager.query(
      `SELECT ${PROGRAM_COLUMNS} FROM programs WHERE ends_at > $1 ORDER BY starts_at, code LIMIT $2`,
      [now, limit],
    );
    return rows.map(toProgram);
  }

  async insertVersion(tx: Tx, v: { programId: string; version: number; effectiveFrom: Date; rules: PolicyRules }): Promise<PublishedPolicyVersion> {
    const rows: VersionRow[] = await tx.query(
      `INSERT INTO policy_versions (program_id, version, effective_from, rules) VALUES ($1, $2, $3, $4)
       RETURNING ${VERSION_COLUMNS}`,
      [v.programId, v.version, v.effectiveFrom, JSON.stringify(v.rules)],
    );
    return toVersion(rows[0]);
  }

  async latestVersion(tx: Tx, programId: string): Promise<PublishedPolicyVersion | undefined> {
    const rows: VersionRow[] = await tx.query(
      `SELECT ${VERSION_COLUMNS} FROM policy_versions WHERE program_id = $1 ORDER BY version DESC LIMIT 1`,
      [programId],
    );
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  /** The versions of several programmes, oldest first. */
  async versions(tx: Tx, programIds: string[]): Promise<PublishedPolicyVersion[]> {
    if (programIds.length === 0) return [];
    const rows: VersionRow[] = await tx.query(
      `SELECT ${VERSION_COLUMNS} FROM policy_versions WHERE program_id = ANY($1::uuid[]) ORDER BY program_id, version`,
      [programIds],
    );
    return rows.map(toVersion);
  }

  /**
   * Every policy version with a dismantling deadline (`dismantleWithinDays`, issue 13): what the worker's dismantling
   * check walks. A handful of rows.
   */
  async dismantlingDeadlines(): Promise<{ programId: string; version: number; days: number }[]> {
    const rows: { program_id: string; version: number; days: number }[] = await this.db.manager.query(
      `SELECT program_id, version, (rules->>'dismantleWithinDays')::int AS days
         FROM policy_versions WHERE jsonb_typeof(rules->'dismantleWithinDays') = 'number' ORDER BY program_id, version`,
    );
    return rows.map((r) => ({ programId: r.program_id, version: r.version, days: r.days }));
  }

  /** The quota as it was, locked, so the audit event can say what changed. */
  async lockQuota(tx: Tx, programId: string, city: string): Promise<Quota | undefined> {
    const rows: QuotaRow[] = await tx.query(
      `SELECT ${QUOTA_COLUMNS} FROM quotas WHERE program_id = $1 AND city = $2 FOR UPDATE`,
      [programId, city],
    );
    return rows[0] ? toQuota(rows[0]) : undefined;
  }

  async upsertQuota(tx: Tx, q: {
    programId: string; city: string; dailyVouchers: number; releaseTime: string; at: Date;
    allocation?: Quota['allocation']; entryOpens?: string | null; entryCloses?: string | null;
  }): Promise<Quota> {
    const rows: QuotaRow[] = await tx.query(
      `INSERT INTO quotas (program_id, city, daily_vouchers, release_time, updated_at, allocation, entry_opens, entry_closes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (program_id, city)
       DO UPDATE SET daily_vouchers = EXCLUDED.daily_vouchers, release_time = EXCLUDED.release_time, updated_at = EXCLUDED.updated_at,
                     allocation = EXCLUDED.allocation, entry_opens = EXCLUDED.entry_opens, entry_closes = EXCLUDED.entry_closes
       RETURNING ${QUOTA_COLUMNS}`,
      [q.programId, q.city, q.dailyVouchers, q.releaseTime, q.at, q.allocation ?? 'first_come', q.entryOpens ?? null, q.entryCloses ?? null],
    );
    return toQuota(rows[0]);
  }

  async quotas(tx: Tx, programId: string): Promise<Quota[]> {
    const rows: QuotaRow[] = await tx.query(
      `SELECT ${QUOTA_COLUMNS} FROM quotas WHERE program_id = $1 ORDER BY city`,
      [programId],
    );
    return rows.map(toQuota);
  }

  /**
   * Every lottery city of every programme still running at `now` (with the programme), from the pool: what the
   * worker's lottery job walks to log commitments and run draws (issue 13).
   */
  async lotteryQuotas(now: Date): Promise<(Quota & { program: Program })[]> {
    const rows: (QuotaRow & ProgramRow & { p_id: string; p_created_at: Date; q_updated_at: Date })[] = await this.db.manager.query(
      `SELECT q.program_id, q.city, q.daily_vouchers, q.release_time, q.updated_at AS q_updated_at, q.allocation, q.entry_opens, q.entry_closes,
              p.id AS p_id, p.code, p.name, p.starts_at, p.ends_at, p.voucher_validity_days, p.per_household_limit, p.created_at AS p_created_at
         FROM quotas q JOIN programs p ON p.id = q.program_id
        WHERE q.allocation = 'lottery' AND p.ends_at > $1
        ORDER BY q.program_id, q.city`,
      [now],
    );
    return rows.map((r) => ({
      ...toQuota({ ...r, updated_at: r.q_updated_at }),
      program: toProgram({ ...r, id: r.p_id, created_at: r.p_created_at }),
    }));
  }

  async quota(tx: Tx, programId: string, city: string): Promise<Quota | undefined> {
    const rows: QuotaRow[] = await tx.query(
      `SELECT ${QUOTA_COLUMNS} FROM quotas WHERE program_id = $1 AND city = $2`,
      [programId, city],
    );
    return rows[0] ? toQuota(rows[0]) : undefined;
  }
}
