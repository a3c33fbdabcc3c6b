import { ClaimView, toClaimView } from '@huanxin/claims';
import { toShanghaiIso } from '@huanxin/core';
import { ClaimKey, isClaimKey } from './claim-filter';
import type { AuditEventRow, MovementRow, ReviewClaimRow } from './review.repository';

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
  receipt: { issuer: string; rid: string; issuedAt: string };
  checks: CheckView[];
  history: HistoryEventView[];
  ledgerMovements: MovementView[];
}

export function toReviewClaimView(r: ReviewClaimRow): ReviewClaimView {
  return {
    ...toClaimView(r),
    retailerName: r.retailer_name,
    resolution: r.resolution,
    energyGrade: Number(r.energy_grade),
    reviewReasons: r.review_reasons,
    decision: r.decided_at
      ? { decidedBy: r.decided_by, decidedAt: toShanghaiIso(r.decided_at), reason: r.decision_reason }
      : null,
  };
}

export function toChecks(checks: unknown): CheckView[] {
  if (!Array.isArray(checks)) return [];
  return checks.map((c) => ({ check: String(c?.check ?? ''), result: String(c?.result ?? '') }));
}

export function toHistory(e: AuditEventRow): HistoryEventView {
  return {
    id: e.id, at: toShanghaiIso(e.occurred_at), action: e.action, subjectType: e.subject_type, subjectId: e.subject_id,
    actor: e.actor, details: e.details,
  };
}

export function toMovement(m: MovementRow): MovementView {
  return {
    id: m.id, kind: m.kind, reference: m.reference, note: m.note, actorId: m.actor_id, at: toShanghaiIso(m.created_at),
    entries: m.entries.map((e) => ({ account: e.kind, retailerId: e.retailer_id, amountFen: Number(e.amount_fen) })),
  };
}

export function householdView(h: { id: string; masked_phone: string | null; id_number_last4: string | null }) {
  return { id: h.id, phone: h.masked_phone ?? '', idNumberLast4: h.id_number_last4 };
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
