import { DomainError } from '@huanxin/core';

export function recyclerNotFound(): DomainError {
  return new DomainError('not_found', 'No recycler with this id');
}
