import type { AuditHistoryEvent } from '@huanxin/audit-log';
import { Claim, ClaimKey, ClaimView, isClaimKey, toClaimView } from '@huanxin/claims';
import { toShanghaiIso } from '@huanxin/core';
import type { LedgerTransaction } from '@huanxin/ledger';

export interface DecisionView {
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

/** A claim in the auditor's list: the retailer's view plus what review needs. */
export interface ReviewClaimView extends ClaimView {
  retailerName: string;
  resolution: string;
  energyGrade: number;
  /** Why the claim went to review: its flags, `first_claims`, `sample`. Empty for claims approved automatically. */
  reviewReasons: string[];
  /** The auditor's decision; null while pending and for claims approved automatically. */
  decision: DecisionView | null;
}

export interface CheckView {
  check: string;
  result: string;
}

export interface HistoryEventView {
  id: string;
  at: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  actor: Record<string, string>;
  details: Record<string, unknown>;
}

export interface MovementView {
  id: string;
  kind: string;
  reference: string | null;
  note: string | null;
  actorId: string | null;
  at: string;
  entries: { account: string; retailerId: string | null; amountFen: number }[];
}

export interface ReviewClaimDetail extends ReviewClaimView {
  household: { id: string; phone: string; idNumberLast4: string | null };
  /** `dismantling` (issue 13): held from payout for unconfirmed dismantling, or how the hold ended; null: never held */
  receipt: { issuer: string; rid: string; issuedAt: string; dismantling: 'held' | 'confirmed' | 'released' | null };
  checks: CheckView[];
  history: HistoryEventView[];
  ledgerMovements: MovementView[];
}

/** What review shows beside a claim, read from the tables' owners (retailers, catalogue). */
export interface ReviewContext {
  retailerName: string;
  resolution: string;
  energyGrade: number;
}

export function toReviewClaimView(c: Claim, ctx: ReviewContext): ReviewClaimView {
  return {
    ...toClaimView(c),
    retailerName: ctx.retailerName,
    resolution: ctx.resolution,
    energyGrade: ctx.energyGrade,
    reviewReasons: c.reviewReasons,
    decision: c.decidedAt
      ? { decidedBy: c.decidedBy, decidedAt: toShanghaiIso(c.decidedAt), reason: c.decisionReason }
      : null,
  };
}

export function toChecks(checks: unknown): CheckView[] {
  if (!Array.isArray(checks)) return [];
  return checks.map((c) => ({ check: String(c?.check ?? ''), result: String(c?.result ?? '') }));
}

export function toHistory(e: AuditHistoryEvent): HistoryEventView {
  return {
    id: e.id, at: toShanghaiIso(e.occurredAt), action: e.action, subjectType: e.subjectType, subjectId: e.subjectId,
    actor: e.actor, details: e.details,
  };
}

export function toMovement(m: LedgerTransaction): MovementView {
  return {
    id: m.id, kind: m.kind, reference: m.reference, note: m.note, actorId: m.actorId, at: toShanghaiIso(m.createdAt),
    entries: m.entries.map((e) => ({
      account: typeof e.account === 'string' ? e.account : e.account.kind,
      retailerId: typeof e.account === 'string' ? null : e.account.retailerId,
      amountFen: e.amountFen,
    })),
  };
}

export function householdView(h: { id: string; maskedPhone: string | null; idNumberLast4: string | null }) {
  return { id: h.id, phone: h.maskedPhone ?? '', idNumberLast4: h.idNumberLast4 };
}

/** The list cursor carries its sort order, so a cursor cannot be replayed against the other direction. */
export function encodeReviewCursor(k: ClaimKey, order: 'asc' | 'desc'): string {
  return Buffer.from(JSON.stringify([k.createdKey, k.id, order])).toString('base64url');
}

export function decodeReviewCursor(s: string, order: 'asc' | 'desc'): ClaimKey | 'invalid' {
  try {
    const [createdKey, id, o] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    const key = { createdKey, id };
    return o === order && isClaimKey(key) ? key : 'invalid';
  } catch {
    return 'invalid';
  }
}
