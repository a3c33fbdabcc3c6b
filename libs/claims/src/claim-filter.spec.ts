import { DomainError } from '@huanxin/core';
import { claimFilterSql, isClaimKey, resolveClaimFilter, TIME_BOUND_RE } from './claim-filter';

describe('resolveClaimFilter', () => {
  it('takes a date as the whole Shanghai day: from at its 00:00, to at the next 00:00 (exclusive)', () => {
    const f = resolveClaimFilter({ from: '2026-11-01', to: '2026-11-30' });
    expect(f.from?.toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(f.to?.toISOString()).toBe('2026-11-30T16:00:00.000Z');
    const day = resolveClaimFilter({ from: '2026-03-02', to: '2026-03-02' });
    expect(day.to!.getTime() - day.from!.getTime()).toBe(86400e3);
  });

  it('takes instants as given', () => {
    const f = resolveClaimFilter({ from: '2026-11-11T10:00:00+08:00', to: '2026-11-11T02:00:01Z' });
    expect(f.from?.toISOString()).toBe('2026-11-11T02:00:00.000Z');
    expect(f.to?.toISOString()).toBe('2026-11-11T02:00:01.000Z');
  });

  it.each([
    [{ to: '2026-02-30' }],
    [{ from: '2026-11-02', to: '2026-11-01' }],
    [{ from: '2026-11-11T10:00:00+08:00', to: '2026-11-11T10:00:00+08:00' }],
  ])('refuses %j as validation_failed', (input) => {
    let error: unknown;
    try {
      resolveClaimFilter(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('validation_failed');
  });

  it('accepts dates and RFC 3339 times only', () => {
    for (const ok of ['2026-11-11', '2026-11-11T10:00:00+08:00', '2026-11-11T02:00:00.123Z']) expect(TIME_BOUND_RE.test(ok)).toBe(true);
    for (const bad of ['2026-11-11 10:00', 'yesterday', '20261111', '2026-11-11T10:00:00']) expect(TIME_BOUND_RE.test(bad)).toBe(false);
  });
});

describe('claimFilterSql', () => {
  it('binds every value as a parameter', () => {
    const params: unknown[] = ['x'];
    const programId = '00000000-0000-4000-8000-000000000001';
    const conds = claimFilterSql({ programCode: 'p', programId, status: 'pending_review', city: "hz'; drop", flag: 'store_burst' }, params);
    expect(conds).toEqual([
      'c.program_id = $2::uuid', 'c.status = $3', "c.phase = 'pending_review'", 'c.city = $4', 'c.flags @> ARRAY[$5::text]',
    ]);
    expect(params).toEqual(['x', programId, 'pending_review', "hz'; drop", 'store_burst']);
  });

  it('matches nothing for an unknown programme, and refuses a code nobody resolved', () => {
    expect(claimFilterSql({ programCode: 'nope', programId: null }, [])).toEqual(['false']);
    expect(() => claimFilterSql({ programCode: 'p' }, [])).toThrow(/resolve programCode/);
  });
});

describe('isClaimKey', () => {
  it('accepts only the microsecond UTC form and a lower-case uuid', () => {
    expect(isClaimKey({ createdKey: '2026-11-11T02:00:00.123456Z', id: '00000000-0000-4000-8000-000000000000' })).toBe(true);
    expect(isClaimKey({ createdKey: '2026-11-11T02:00:00Z', id: '00000000-0000-4000-8000-000000000000' })).toBe(false);
    expect(isClaimKey({ createdKey: "2026-11-11T02:00:00.123456Z'", id: '00000000-0000-4000-8000-000000000000' })).toBe(false);
    expect(isClaimKey({ createdKey: '2026-11-11T02:00:00.123456Z', id: 'x' })).toBe(false);
  });
});
