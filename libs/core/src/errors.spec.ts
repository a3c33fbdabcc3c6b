import { DomainError, statusOf } from './errors';

describe('DomainError', () => {
  it('carries its code, status, message and field errors, without capturing a stack', () => {
    const err = new DomainError('quota_exhausted', "Today's vouchers are gone", [{ field: 'programCode', message: 'x' }]);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('quota_exhausted');
    expect(err.status).toBe(409);
    expect(err.status).toBe(statusOf('quota_exhausted'));
    expect(err.message).toBe("Today's vouchers are gone");
    expect(err.errors).toEqual([{ field: 'programCode', message: 'x' }]);
    expect(err.name).toBe('DomainError');
    // a refusal is an answer: no frames were captured
    expect(err.stack).not.toMatch(/\n\s+at /);
    expect(new DomainError('not_found').message).toBe('not found');
  });

  it('leaves the stack depth of every other error as it was', () => {
    const before = Error.stackTraceLimit;
    new DomainError('conflict');
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('a bug').stack).toMatch(/\n\s+at /);
  });
});
