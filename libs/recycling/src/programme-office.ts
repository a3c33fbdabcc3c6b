import { Actor, DomainError } from '@huanxin/core';

/** Certification is the programme office's (admins, or the system for seeding); controllers also check roles. */
export function assertProgrammeOffice(actor: Actor): void {
  if (actor.kind === 'system' || actor.role === 'admin') return;
  throw new DomainError('forbidden', 'Only the programme office manages recyclers');
}

export function recyclerNotFound(): DomainError {
  return new DomainError('not_found', 'No recycler with this id');
}
