import { DomainError } from './errors';

/**
 * The programme's time zone is Asia/Shanghai (API.md). China has kept UTC+8 with no daylight saving
 * since 1991, so a fixed offset is exact for every date the programme can see.
 */
export const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** RFC 3339 with the +08:00 offset, as API.md shows times. */
export function toShanghaiIso(d: Date): string {
  const local = new Date(d.getTime() + SHANGHAI_OFFSET_MS);
  return local.toISOString().replace(/\.\d{3}Z$/, '+08:00').replace('Z', '+08:00');
}

/** The Shanghai calendar date (YYYY-MM-DD) of an instant. */
export function shanghaiDate(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant of HH:MM on a Shanghai calendar date. */
export function shanghaiInstant(date: string, hhmm: string): Date {
  return new Date(Date.parse(`${date}T${hhmm}:00+08:00`));
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * When a certification began (`certifiedFrom` of a retailer or recycler, issue 13): the instant given, or `now`; a
 * time in the future is refused as validation_failed on the field, since certification happens before onboarding.
 */
export function certificationStart(certifiedFrom: Date | undefined, now: Date): Date {
  if (certifiedFrom === undefined) return now;
  if (certifiedFrom.getTime() > now.getTime()) {
    throw new DomainError('validation_failed', 'The request has invalid fields', [{ field: 'certifiedFrom', message: 'certifiedFrom must not be in the future' }]);
  }
  return certifiedFrom;
}
