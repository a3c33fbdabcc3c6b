import { Injectable } from '@nestjs/common';
import { Actor, DomainError, toShanghaiIso, requireAccess } from '@huanxin/core';
import { CityBalances, LedgerService } from '@huanxin/ledger';
import { resolveClaimFilter } from '@huanxin/claims';
import { ProgramsRepository } from '@huanxin/programs';
import { DismantlingRow, ReportsRepository, SummaryGroupBy, SummaryRow } from './reports.repository';

export interface SummaryFigures extends Omit<SummaryRow, 'key' | 'label'> {
  /** The share of `grade1Claims` in `claims`, in basis points (rounded half up). */
  grade1ShareBp: number;
}

export interface SummaryRowView extends SummaryFigures {
  /** City code, retailer id or Shanghai date (YYYY-MM-DD). */
  key: string;
  /** What a person reads: the city code, the retailer's name, the date. */
  label: string;
}

export interface SummaryReport {
  programCode: string;
  groupBy: SummaryGroupBy;
  from: string | null;
  to: string | null;
  rows: SummaryRowView[];
  totals: SummaryFigures;
}

export interface LedgerReport {
  programCode: string;
  balanced: boolean;
  cities: CityBalances[];
  /** What checkInvariants found wrong; empty when balanced. */
  problems: string[];
}

function shareBp(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.floor((2 * part * 10000 + whole) / (2 * whole));
}

function toRow(r: SummaryRow): SummaryRowView {
  return { ...r, grade1ShareBp: shareBp(r.grade1Claims, r.claims) };
}

function total(rows: SummaryRowView[]): SummaryFigures {
  const t: SummaryFigures = {
    claims: 0, subsidyFen: 0, paidFen: 0, claims4k: 0, claims8k: 0, subsidy4kFen: 0, subsidy8kFen: 0, grade1Claims: 0,
    grade1ShareBp: 0, rejectedClaims: 0, rejections: [],
  };
  const reasons = new Map<string, number>();
  for (const r of rows) {
    for (const k of ['claims', 'subsidyFen', 'paidFen', 'claims4k', 'claims8k', 'subsidy4kFen', 'subsidy8kFen', 'grade1Claims', 'rejectedClaims'] as const) {
      t[k] += r[k];
    }
    for (const x of r.rejections) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + x.count);
  }
  t.grade1ShareBp = shareBp(t.grade1Claims, t.claims);
  t.rejections = [...reasons].map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  return t;
}

export interface DismantlingReport {
  programCode: string;
  from: string | null;
  to: string | null;
  /** worst confirmation rate first, then the longest median delay */
  rows: (DismantlingRow & { confirmationRateBp: number })[];
}

/** Aggregates for the provincial and city offices: set-based SQL, read-only. */
@Injectable()
export class ReportsService {
  constructor(private readonly repo: ReportsRepository, private readonly ledger: LedgerService, private readonly programs: ProgramsRepository) {}

  async summary(actor: Actor, q: { programCode: string; from?: string; to?: string; groupBy?: SummaryGroupBy }): Promise<SummaryReport> {
    requireAccess(actor, 'claims.review');
    const { from, to } = resolveClaimFilter({ from: q.from, to: q.to });
    const programId = await this.program(q.programCode);
    const groupBy = q.groupBy ?? 'city';
    const rows = (await this.repo.summary(programId, groupBy, from, to)).map(toRow);
    return {
      programCode: q.programCode, groupBy, from: from ? toShanghaiIso(from) : null, to: to ? toShanghaiIso(to) : null,
      rows, totals: total(rows),
    };
  }

  /** Recyclers by dismantling confirmation rate and median delay (issue 13). */
  async dismantling(actor: Actor, q: { programCode: string; from?: string; to?: string }): Promise<DismantlingReport> {
    requireAccess(actor, 'claims.review');
    const { from, to } = resolveClaimFilter({ from: q.from, to: q.to });
    const programId = await this.program(q.programCode);
    const rows = (await this.repo.dismantling(programId, from, to))
      .map((r) => ({ ...r, confirmationRateBp: shareBp(r.confirmed, r.claims) }))
      .sort((a, b) => a.confirmationRateBp - b.confirmationRateBp || (b.medianDelayHours ?? -1) - (a.medianDelayHours ?? -1)
        || (a.recyclerId < b.recyclerId ? -1 : 1));
    return { programCode: q.programCode, from: from ? toShanghaiIso(from) : null, to: to ? toShanghaiIso(to) : null, rows };
  }

  /**
   * Each city's position and whether the whole programme's ledger checks out (LedgerService.checkInvariants), read
   * from the read replica like the summaries.
   */
  async ledgerReport(actor: Actor, programCode: string): Promise<LedgerReport> {
    requireAccess(actor, 'claims.review');
    const programId = await this.program(programCode);
    const [cities, invariants] = await Promise.all([this.ledger.balancesOnReplica(programId), this.ledger.checkInvariantsOnReplica(programId)]);
    return { programCode, balanced: invariants.balanced && cities.every((c) => c.balanced), cities, problems: invariants.problems };
  }

  private async program(code: string): Promise<string> {
    const id = await this.programs.idByCode(code);
    if (!id) throw new DomainError('not_found', `No programme ${code}`);
    return id;
  }
}
