import { Injectable } from '@nestjs/common';
import type { PolicyRules, PolicyVersion } from '@huanxin/policy';
import { TransactionService, Tx } from '@huanxin/database';

export interface ProgramFacts {
  id: string;
  code: string;
  startsAt: Date;
  endsAt: Date;
  voucherValidityDays: number;
  perHouseholdLimit: number;
  versions: PolicyVersion[];
}

/** Read-side facts about a programme that vouchers and claims need, in one query. */
@Injectable()
export class ProgramFactsRepository {
  constructor(private readonly db: TransactionService) {}

  async byCode(code: string, tx?: Tx): Promise<ProgramFacts | undefined> {
    return this.one(`p.code = $1`, [code], tx);
  }

  async byId(id: string, tx?: Tx): Promise<ProgramFacts | undefined> {
    return this.one(`p.id = $1`, [id], tx);
  }

  private async one(where: string, params: unknown[], tx?: Tx): Promise<ProgramFacts | undefined> {
    const rows = await (tx ?? this.db.manager).query(
      `SELECT p.id, p.code, p.starts_at, p.ends_at, p.voucher_validity_days, p.per_household_limit,
              coalesce(json_agg(json_build_object('version', v.version, 'effectiveFrom', v.effective_from, 'rules', v.rules)
                       ORDER BY v.version) FILTER (WHERE v.version IS NOT NULL), '[]') AS versions
         FROM programs p LEFT JOIN policy_versions v ON v.program_id = p.id
        WHERE ${where} GROUP BY p.id`,
      params,
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      code: r.code,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      voucherValidityDays: r.voucher_validity_days,
      perHouseholdLimit: r.per_household_limit,
      versions: (r.versions as { version: number; effectiveFrom: string; rules: PolicyRules }[]).map((v) => ({
        version: v.version,
        effectiveFrom: new Date(v.effectiveFrom),
        rules: v.rules,
      })),
    };
  }
}
