export type Role = 'household' | 'retailer' | 'recycler' | 'auditor' | 'admin';
export const ROLES: Role[] = ['household', 'retailer', 'recycler', 'auditor', 'admin'];

/** Who is acting: the first argument of every domain service method (STYLE.md). */
export interface Actor {
  kind: 'user' | 'api_key' | 'system' | 'anonymous';
  id: string;
  role?: Role;
  retailerId?: string;
  recyclerId?: string;
  city?: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system' };
export const ANONYMOUS_ACTOR: Actor = { kind: 'anonymous', id: 'anonymous' };

/** What the audit log records of an actor: never a secret. */
export function actorRef(a: Actor): Record<string, string> {
  const ref: Record<string, string> = { kind: a.kind, id: a.id };
  if (a.role) ref.role = a.role;
  if (a.retailerId) ref.retailerId = a.retailerId;
  if (a.recyclerId) ref.recyclerId = a.recyclerId;
  return ref;
}
