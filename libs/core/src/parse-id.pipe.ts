import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { DomainError } from './errors';
import { isUuid } from './ids';

/**
 * Route parameters that are ids (claims, retailers, recyclers, payout runs, API keys: the UUIDs this API mints)
 * go through this one pipe: `@Param('id', ParseIdPipe) id: string`. Ids are opaque strings to clients (API.md),
 * so one this API could never have given out is simply not found: 404 `not_found`, answered here at the edge,
 * before any service or database is asked. A well-formed id the service does not know is the service's 404.
 * The id comes on in lower case, the form the database stores.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, meta: ArgumentMetadata): string {
    if (typeof value === 'string' && isUuid(value)) return value.toLowerCase();
    const field = meta.data ?? 'id';
    throw new DomainError('not_found', `No such ${field === 'id' ? 'resource' : field}: not an id this API gives out`);
  }
}
