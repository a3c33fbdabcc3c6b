import { toShanghaiIso } from '@huanxin/core';
import type { CityBalances } from '@huanxin/ledger';
import type {
  CityBudgetView,
  PolicyVersionView,
  Program,
  ProgramView,
  PublishedPolicyVersion,
  Quota,
  QuotaView,
} from './programs.types';

export function policyVersionView(v: PublishedPolicyVersion): PolicyVersionView {
  return { version: v.version, effectiveFrom: toShanghaiIso(v.effectiveFrom), rules: v.rules };
}

export function programView(p: Program, versions: PublishedPolicyVersion[]): ProgramView {
  return {
    id: p.id,
    code: p.code,
    name: p.name,
    startsAt: toShanghaiIso(p.startsAt),
    endsAt: toShanghaiIso(p.endsAt),
    voucherValidityDays: p.voucherValidityDays,
    perHouseholdLimit: p.perHouseholdLimit,
    createdAt: toShanghaiIso(p.createdAt),
    policyVersions: versions.map((v) => ({ version: v.version, effectiveFrom: toShanghaiIso(v.effectiveFrom) })),
  };
}

export function quotaView(programCode: string, q: Quota): QuotaView {
  const view: QuotaView = { programCode, city: q.city, dailyVouchers: q.dailyVouchers, releaseTime: q.releaseTime };
  // a lottery city says so; a first-come city's answer keeps the shape it always had
  if (q.allocation === 'lottery') Object.assign(view, { allocation: 'lottery', entryOpens: q.entryOpens, entryCloses: q.entryCloses });
  return view;
}

export function cityBudgetView(b: CityBalances): CityBudgetView {
  const { balanced: _balanced, ...budget } = b;
  return budget;
}
