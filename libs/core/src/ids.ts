import { randomUUID } from 'node:crypto';

/** Opaque ids (API.md): UUIDs, v4. */
export function newId(): string {
  return randomUUID();
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
