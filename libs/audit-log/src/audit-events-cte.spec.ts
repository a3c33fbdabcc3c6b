import { auditEventsCte } from './audit.service';

describe('auditEventsCte: set-based audit events, SQL written by the audit log', () => {
  it('builds one insert per source row with the named details', () => {
    const sql = auditEventsCte({ from: 'moved m', actorParam: '$1', actionParam: '$2', subjectType: 'claim', subjectId: 'm.id', details: { from: '$3::text', amountFen: 'm.amount_fen' } });
    expect(sql.replace(/\s+/g, ' ').trim()).toBe(
      "INSERT INTO audit_events (actor, action, subject_type, subject_id, details) SELECT $1::jsonb, $2, 'claim', (m.id)::text, jsonb_build_object('from', $3::text, 'amountFen', m.amount_fen) FROM moved m",
    );
  });

  it('refuses a detail that looks like a secret, or a name that is not plain', () => {
    const base = { from: 'x', actorParam: '$1', actionParam: '$2', subjectType: 'claim', subjectId: 'x.id' };
    expect(() => auditEventsCte({ ...base, details: { refreshToken: 'x.t' } })).toThrow(/secret/);
    expect(() => auditEventsCte({ ...base, details: { idNumber: 'x.n' } })).toThrow(/secret/);
    expect(() => auditEventsCte({ ...base, details: { "a', 'b": 'x.n' } })).toThrow(/plain/);
    expect(() => auditEventsCte({ ...base, subjectType: "claim'; DROP", details: {} })).toThrow(/plain/);
    expect(auditEventsCte({ ...base, details: { idNumberLast4: 'x.l' } })).toContain("'idNumberLast4', x.l");
  });
});
