import type { Actor } from './actor';
import { DomainError } from './errors';

/**
 * Who may do what, in one table (immich's `requireAccess` is the model): every service method that changes or
 * reveals data starts with `requireAccess(actor, permission)`, whatever controller or job calls it. The
 * controllers' `@Roles` say the same at the edge; this is the rule a new caller cannot bypass. The worker's
 * system actor may run the programme office's jobs (payout runs, seeding), nothing else.
 */
export const PERMISSIONS = {
  'programme.manage': { roles: ['admin'], system: true, refusal: 'Only the programme office manages programmes, organisations, the catalogue and payouts' },
  'accounts.list': { roles: ['admin'], system: false, refusal: 'Only the programme office lists accounts' },
  'claims.review': { roles: ['auditor'], system: false, refusal: 'Only auditors review claims and read the reports' },
  'claims.appeal': { roles: ['household', 'retailer'], system: false, refusal: 'Only the household or the retailer of a claim appeals its rejection' },
  'auditlog.read': { roles: ['auditor', 'admin'], system: false, refusal: 'Only auditors and admins read the audit log' },
  'till.use': { roles: ['retailer'], system: false, refusal: 'Only a retailer works the till' },
  'catalogue.search': { roles: ['retailer', 'admin'], system: false, refusal: 'Only retailers search the catalogue at the till' },
  'vouchers.take': { roles: ['household'], system: false, refusal: 'Only households take vouchers' },
  'receipts.manage': { roles: ['recycler'], system: false, refusal: 'Only a recycler sees or revokes its own receipts' },
} as const satisfies Record<string, { roles: readonly string[]; system: boolean; refusal: string }>;

export type Permission = keyof typeof PERMISSIONS;

export function hasAccess(actor: Actor, permission: Permission): boolean {
  const p = PERMISSIONS[permission];
  if (actor.kind === 'system') return p.system;
  if (!actor.role || !(p.roles as readonly string[]).includes(actor.role)) return false;
  // a retailer's or recycler's actor must say which one it is
  if (actor.role === 'retailer' && !actor.retailerId) return false;
  if (actor.role === 'recycler' && !actor.recyclerId) return false;
  return true;
}

/** 403 `forbidden` unless the actor holds the permission. */
export function requireAccess(actor: Actor, permission: Permission): void {
  if (!hasAccess(actor, permission)) throw new DomainError('forbidden', PERMISSIONS[permission].refusal);
}
