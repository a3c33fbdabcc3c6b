import type { Actor } from './actor';
import { hasAccess, PERMISSIONS, Permission, requireAccess } from './access';
import { DomainError } from './errors';

const actors: Record<string, Actor> = {
  household: { kind: 'user', id: 'h', role: 'household', city: 'hangzhou' },
  retailer: { kind: 'api_key', id: 'k', role: 'retailer', retailerId: 'r' },
  'retailer without id': { kind: 'user', id: 'u', role: 'retailer' },
  recycler: { kind: 'api_key', id: 'k2', role: 'recycler', recyclerId: 'c' },
  'recycler without id': { kind: 'api_key', id: 'k3', role: 'recycler' },
  auditor: { kind: 'user', id: 'a', role: 'auditor' },
  admin: { kind: 'user', id: 'd', role: 'admin' },
  system: { kind: 'system', id: 'system' },
  anonymous: { kind: 'anonymous', id: 'anonymous' },
};

describe('requireAccess: one table of who may do what', () => {
  it('grants exactly this matrix', () => {
    const matrix = Object.fromEntries((Object.keys(PERMISSIONS) as Permission[]).map((p) => [p, Object.entries(actors).filter(([, a]) => hasAccess(a, p)).map(([name]) => name)]));
    expect(matrix).toEqual({
      'programme.manage': ['admin', 'system'],
      'accounts.list': ['admin'],
      'claims.review': ['auditor'],
      'claims.appeal': ['household', 'retailer'],
      'auditlog.read': ['auditor', 'admin'],
      'till.use': ['retailer'],
      'catalogue.search': ['retailer', 'admin'],
      'vouchers.take': ['household'],
      'receipts.manage': ['recycler'],
    });
  });

  it('refuses with 403 forbidden and a reason', () => {
    expect(() => requireAccess(actors.household, 'claims.review')).toThrow(DomainError);
    let refused: unknown;
    try {
      requireAccess(actors.anonymous, 'programme.manage');
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'forbidden', status: 403, message: PERMISSIONS['programme.manage'].refusal });
    expect(() => requireAccess(actors.admin, 'programme.manage')).not.toThrow();
  });
});
