import { Actor, DomainError, requireAccess } from '@huanxin/core';

/** Certification is the programme office's (admins, or the system for seeding); controllers also check roles. */
export function assertProgrammeOffice(actor: Actor): void {
  requireAccess(actor, 'programme.manage');
}

export function recyclerNotFound(): DomainError {
  return new DomainError('not_found', 'No recycler with this id');
}
