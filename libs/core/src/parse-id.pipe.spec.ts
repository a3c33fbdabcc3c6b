import 'reflect-metadata';
import { DomainError } from './errors';
import { ParseIdPipe } from './parse-id.pipe';
import { COMMON_PROBLEMS, DeclareProblems, declaredProblems } from './problems';

const meta = (data?: string) => ({ type: 'param' as const, data });

describe('ParseIdPipe', () => {
  const pipe = new ParseIdPipe();

  it('passes a UUID through, in the lower case the database stores', () => {
    expect(pipe.transform('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b', meta('id'))).toBe('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b');
    expect(pipe.transform('6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B', meta('id'))).toBe('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b');
  });

  it.each(['', 'not-a-uuid', '123', '00000000-0000-0000-0000-00000000000g', '{00000000-0000-0000-0000-000000000000}', 'x'.repeat(5000)])(
    'answers %j as not found (ids are opaque: one this API never gave out names nothing), without echoing it',
    (value) => {
      let thrown: unknown;
      try {
        pipe.transform(value, meta('keyId'));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect(thrown).toMatchObject({ code: 'not_found', status: 404 });
      expect((thrown as Error).message).not.toContain(value || '\u0000');
    },
  );
});

describe('declaredProblems', () => {
  class Routes {
    @DeclareProblems('not_found', 'claim_not_paid')
    declared(): void {}

    bare(): void {}
  }

  it('is the route\'s own codes plus the common ones; a route declaring nothing has the common ones only', () => {
    expect([...declaredProblems(Routes.prototype.declared)].sort()).toEqual([...COMMON_PROBLEMS, 'not_found', 'claim_not_paid'].sort());
    expect([...declaredProblems(Routes.prototype.bare)].sort()).toEqual([...COMMON_PROBLEMS].sort());
  });
});
