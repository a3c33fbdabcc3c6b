import { VerifiedTokenCache } from './guards';

describe('VerifiedTokenCache', () => {
  const actor = { kind: 'user' as const, id: 'u1', role: 'household' as const, familyId: 'f1' };

  it('answers a copy of the actor until the token expires (now >= exp is expired, as jsonwebtoken has it)', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('Bearer a', actor, 1000);
    const got = cache.get('Bearer a', 999);
    expect(got).toEqual(actor);
    got!.role = 'admin'; // a caller changing its copy changes nothing for the next request
    expect(cache.get('Bearer a', 999)?.role).toBe('household');
    expect(cache.get('Bearer a', 1000)).toBeUndefined();
    expect(cache.size).toBe(0); // and an expired entry is gone
  });

  it('knows only the exact header it verified', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('Bearer a', actor, 1000);
    expect(cache.get('Bearer  a', 1)).toBeUndefined();
    expect(cache.get('bearer a', 1)).toBeUndefined();
  });

  it('is bounded: the oldest entry goes first; size 0 remembers nothing', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('1', actor, 1000);
    cache.set('2', actor, 1000);
    cache.set('3', actor, 1000);
    expect(cache.get('1', 1)).toBeUndefined();
    expect(cache.get('3', 1)).toBeDefined();
    const off = new VerifiedTokenCache(0);
    off.set('1', actor, 1000);
    expect(off.get('1', 1)).toBeUndefined();
  });
});
