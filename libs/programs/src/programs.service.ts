import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, decodeCursor, DomainError, encodeCursor, FieldError, newId, pageSize, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { parsePolicyRules, PolicyRules } from '@huanxin/policy';

import { cityBudgetView, policyVersionView, programView, quotaView } from './program-views';
import { ProgramsRepository } from './programs.repository';
import {
  MAX_PER_HOUSEHOLD_LIMIT,
  MAX_VOUCHER_VALIDITY_DAYS,
  NewProgram,
  Page,
  Program,
  PROGRAM_CODE_RE,
  ProgramDetailView,
  ProgramListQuery,
  ProgramView,
  PublicProgramView,
} from './programs.types';

const isInstant = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/** `parsePolicyRules` or a validation_failed naming each field (`rules.capFen`, …). */
export function rulesOrThrow(input: unknown): PolicyRules {
  const parsed = parsePolicyRules(input);
  if (!parsed.ok) {
    throw new DomainError('validation_failed', 'The policy rules are invalid', parsed.errors.map((e) => ({
      field: e.field.startsWith('rules') ? e.field : `rules.${e.field}`,
      message: e.message,
    })));
  }
  return parsed.rules;
}

function check(p: NewProgram): FieldError[] {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  if (typeof p.code !== 'string' || !PROGRAM_CODE_RE.test(p.code)) bad('code', 'code must be 2-40 characters of a-z, 0-9 and "-"');
  if (typeof p.name !== 'string' || !p.name.trim()) bad('name', 'name must not be empty');
  if (!isInstant(p.startsAt)) bad('startsAt', 'startsAt must be a valid time');
  if (!isInstant(p.endsAt)) bad('endsAt', 'endsAt must be a valid time');
  else if (isInstant(p.startsAt) && p.endsAt.getTime() <= p.startsAt.getTime()) bad('endsAt', 'endsAt must be after startsAt');
  if (!Number.isInteger(p.voucherValidityDays) || p.voucherValidityDays < 1 || p.voucherValidityDays > MAX_VOUCHER_VALIDITY_DAYS) {
    bad('voucherValidityDays', `voucherValidityDays must be an integer from 1 to ${MAX_VOUCHER_VALIDITY_DAYS}`);
  }
  if (!Number.isInteger(p.perHouseholdLimit) || p.perHouseholdLimit < 1 || p.perHouseholdLimit > MAX_PER_HOUSEHOLD_LIMIT) {
    bad('perHouseholdLimit', `perHouseholdLimit must be an integer from 1 to ${MAX_PER_HOUSEHOLD_LIMIT}`);
  }
  return errors;
}

/**
 * Programmes: their period, per-household limit and voucher validity, with the policy versions that
 * price their sales. Creating one publishes its rules as version 1, in force from `startsAt`.
 * Also the read side other domains use (vouchers, claims): `find`, `versions`, `versionAt`.
 */
@Injectable()
export class ProgramsService {
  constructor(
    private readonly db: TransactionService,
    private readonly programs: ProgramsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: NewProgram): Promise<ProgramView> {
    requireAccess(actor, 'programme.manage');
    const p = { ...input, name: typeof input.name === 'string' ? input.name.trim() : input.name };
    const errors = check(p);
    const parsed = parsePolicyRules(p.rules);
    if (!parsed.ok) errors.push(...parsed.errors);
    if (errors.length || !parsed.ok) throw new DomainError('validation_failed', 'The programme has invalid fields', errors);
    const rules = parsed.rules;

    const program: Program = {
      id: newId(), code: p.code, name: p.name, startsAt: p.startsAt, endsAt: p.endsAt,
      voucherValidityDays: p.voucherValidityDays, perHouseholdLimit: p.perHouseholdLimit, createdAt: this.clock.now(),
    };
    try {
      const v1 = await this.db.run(async (tx) => {
        await this.programs.insert(tx, program);
        const version = await this.programs.insertVersion(tx, { programId: program.id, version: 1, effectiveFrom: program.startsAt, rules });
        await this.audit.append(tx, actor, {
          action: 'program.created',
          subjectType: 'program',
          subjectId: program.id,
          details: {
            code: program.code, name: program.name, startsAt: toShanghaiIso(program.startsAt), endsAt: toShanghaiIso(program.endsAt),
            voucherValidityDays: program.voucherValidityDays, perHouseholdLimit: program.perHouseholdLimit,
          },
        });
        // Every version's rules enter the log the same way, version 1 included, so an auditor can tell
        // which rules priced any sale from the log alone.
        await this.audit.append(tx, actor, {
          action: 'policy.version_published',
          subjectType: 'program',
          subjectId: program.id,
          details: { programCode: program.code, version: 1, effectiveFrom: toShanghaiIso(version.effectiveFrom), rules: version.rules },
        });
        return version;
      });
      return programView(program, [v1]);
    } catch (err) {
      if (isUniqueViolation(err, 'programs_code_key')) {
        throw new DomainError('duplicate', `A programme with code ${program.code} already exists`, [{ field: 'code', message: 'code is already taken' }]);
      }
      throw err;
    }
  }

  async get(actor: Actor, code: string): Promise<ProgramDetailView> {
    requireAccess(actor, 'programme.manage');
    const program = await this.require(code);
    const [versions, quotas, budgets] = await Promise.all([
      this.programs.versions(this.db.manager, [program.id]),
      this.programs.quotas(this.db.manager, program.id),
      this.ledger.balances(program.id),
    ]);
    const { policyVersions: _summary, ...view } = programView(program, []);
    return {
      ...view,
      policyVersions: versions.map(policyVersionView),
      quotas: quotas.map((q) => quotaView(program.code, q)),
      budgets: budgets.map(cityBudgetView),
    };
  }

  async list(actor: Actor, query: ProgramListQuery): Promise<Page<ProgramView>> {
    requireAccess(actor, 'programme.manage');
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.programs.list({ after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const versions = await this.programs.versions(this.db.manager, page.map((p) => p.id));
    return {
      items: page.map((p) => programView(p, versions.filter((v) => v.programId === p.id))),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].code) : null,
    };
  }

  /** Programmes running or announced (not ended): what anyone may see, for the portal's household pages. */
  async current(): Promise<PublicProgramView[]> {
    const rows = await this.programs.current(this.clock.now(), 50);
    return rows.map((p) => {
      const v = programView(p, []);
      return { code: v.code, name: v.name, startsAt: v.startsAt, endsAt: v.endsAt, voucherValidityDays: v.voucherValidityDays, perHouseholdLimit: v.perHouseholdLimit };
    });
  }

  /** The programme by code, or 404 not_found. */
  private async require(code: string): Promise<Program> {
    const program = await this.programs.findByCode(this.db.manager, code);
    if (!program) throw new DomainError('not_found', `No programme ${code}`);
    return program;
  }
}
