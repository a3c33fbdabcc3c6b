import {
  checkDistribution, DISTRIBUTION, DISTRIBUTION_EXCEPTIONS, DistributionDesign, ForeignKeyFacts, SchemaFacts, UniqueFacts,
} from './distribution';

/**
 * The check over a made-up schema (pure: no database), so it is seen to fail as well as to pass. The live schema is
 * checked in test/service/distribution.service-spec.ts.
 */
const design: DistributionDesign = {
  reference: { programs: 'small', stores: 'routing' },
  byCity: { vouchers: 'city', claims: 'city' },
  provinceWide: { subsidy_keys: { column: 'key', why: 'a serial anywhere' } },
  local: { users: 'log-in', payouts: 'settlement' },
};

const table = (name: string, ...columns: string[]) => ({ name, columns: columns.map((c) => ({ name: c, notNull: true })) });
const unique = (t: string, name: string, columns: (string | null)[], more: Partial<UniqueFacts> = {}): UniqueFacts =>
  ({ table: t, name, kind: 'unique', columns, partial: false, definition: `CREATE UNIQUE INDEX ${name} …`, ...more });
const fk = (t: string, name: string, columns: string[], refTable: string, refColumns: string[]): ForeignKeyFacts =>
  ({ table: t, name, columns, refTable, refColumns });

/** A schema that keeps to `design` in every respect. */
function goodSchema(): SchemaFacts {
  return {
    tables: [
      table('programs', 'id'), table('stores', 'id', 'city'), table('users', 'id', 'phone_hash'), table('payouts', 'id', 'program_id'),
      table('vouchers', 'city', 'id', 'code', 'program_id'), table('claims', 'city', 'id', 'voucher_id', 'serial_number', 'store_id'),
      table('subsidy_keys', 'key', 'claim_id'),
    ],
    uniques: [
      unique('programs', 'programs_pkey', ['id'], { kind: 'primary key' }),
      unique('users', 'users_phone_hash_key', ['phone_hash']), // local: any unique index is fine
      unique('vouchers', 'vouchers_pkey', ['city', 'id'], { kind: 'primary key' }),
      unique('vouchers', 'vouchers_code', ['code', 'city']),
      unique('claims', 'claims_pkey', ['city', 'id'], { kind: 'primary key' }),
      unique('claims', 'claims_one_per_voucher', ['city', 'voucher_id'], { partial: true }),
      unique('claims', 'claims_no_overlap', ['city', 'store_id'], { kind: 'exclusion', operators: ['=', '='] }),
      unique('subsidy_keys', 'subsidy_keys_pkey', ['key'], { kind: 'primary key' }),
    ],
    foreignKeys: [
      fk('vouchers', 'vouchers_program_id_fkey', ['program_id'], 'programs', ['id']), // byCity → reference
      fk('claims', 'claims_voucher_fkey', ['city', 'voucher_id'], 'vouchers', ['city', 'id']), // co-located, carries city
      fk('claims', 'claims_store_id_fkey', ['store_id'], 'stores', ['id']),
      fk('payouts', 'payouts_program_id_fkey', ['program_id'], 'programs', ['id']), // local → reference
    ],
  };
}

describe('the distribution check (unit, made-up schemas)', () => {
  it('passes a schema that keeps to the design', () => {
    expect(checkDistribution(goodSchema(), design, {})).toEqual({ violations: [], unexplained: [], staleExceptions: [] });
  });

  it('reports a unique index on a city-distributed table without the city, naming the table, the index and the fix', () => {
    const s = goodSchema();
    s.uniques.push(unique('claims', 'claims_serial_live', ['serial_number'], { partial: true }));
    const report = checkDistribution(s, design, {});
    expect(report.violations.map((v) => v.id)).toEqual(['unique:claims.claims_serial_live']);
    expect(report.unexplained).toHaveLength(1);
    const [message] = report.unexplained;
    expect(message).toContain('unique (partial) claims_serial_live on claims (serial_number)');
    expect(message).toContain('does not include the distribution column city');
    expect(message).toContain('Include city in it if the rule is per city, or move the rule to a province-wide table');
    expect(message).toContain("DISTRIBUTION_EXCEPTIONS['unique:claims.claims_serial_live']");
  });

  it('an explained exception silences exactly that break, and an exception with no break left is stale', () => {
    const s = goodSchema();
    s.uniques.push(unique('claims', 'claims_serial_live', ['serial_number']));
    const exceptions = {
      'unique:claims.claims_serial_live': { why: 'a serial once, anywhere', citus: 'a guard table' },
      'unique:claims.claims_gone': { why: 'was there once', citus: '—' },
    };
    const report = checkDistribution(s, design, exceptions);
    expect(report.violations.map((v) => v.id)).toEqual(['unique:claims.claims_serial_live']);
    expect(report.unexplained).toEqual([]);
    expect(report.staleExceptions).toEqual([expect.stringContaining("DISTRIBUTION_EXCEPTIONS['unique:claims.claims_gone'] no longer matches the schema")]);
  });

  it('reads primary keys, expressions and exclusion operators: the city must be a plain column, under = for an exclusion', () => {
    const s = goodSchema();
    s.uniques.push(
      unique('vouchers', 'vouchers_id_only', ['id'], { kind: 'primary key' }),
      unique('vouchers', 'vouchers_lower_code', [null, 'program_id']),
      unique('claims', 'claims_overlap_any_city', ['city', 'store_id'], { kind: 'exclusion', operators: ['<>', '='] }),
      unique('subsidy_keys', 'subsidy_keys_claim', ['claim_id']),
    );
    const report = checkDistribution(s, design, {});
    expect(report.violations.map((v) => v.id)).toEqual([
      'unique:vouchers.vouchers_id_only', 'unique:vouchers.vouchers_lower_code', 'unique:claims.claims_overlap_any_city', 'unique:subsidy_keys.subsidy_keys_claim',
    ]);
    expect(report.unexplained[1]).toContain('vouchers_lower_code on vouchers ((expression), program_id)');
    expect(report.unexplained[3]).toContain('distribution column key of provinceWide (key) table subsidy_keys');
  });

  it('reports a new table until it is classified, a classified table that is gone, and a table classified twice', () => {
    const s = goodSchema();
    s.tables.push(table('lottery_entries', 'city', 'household_id'));
    s.tables = s.tables.filter((t) => t.name !== 'payouts');
    s.foreignKeys = s.foreignKeys.filter((f) => f.table !== 'payouts');
    const twice = { ...design, local: { ...design.local, programs: 'also here' } };
    const report = checkDistribution(s, twice, {});
    expect(report.violations.map((v) => v.id)).toEqual(['twice:programs', 'unclassified:lottery_entries', 'stale:payouts']);
    expect(report.unexplained[1]).toContain('table lottery_entries is not classified: add it to DISTRIBUTION');
    // these cannot be explained away by an exception
    const forgiving = Object.fromEntries(report.violations.map((v) => [v.id, { why: 'x', citus: 'y' }]));
    expect(checkDistribution(s, twice, forgiving).unexplained).toHaveLength(3);
  });

  it('requires the distribution column to exist and to be NOT NULL', () => {
    const s = goodSchema();
    s.tables = s.tables.map((t) => t.name === 'vouchers' ? { ...t, columns: t.columns.map((c) => c.name === 'city' ? { ...c, notNull: false } : c) }
      : t.name === 'claims' ? { ...t, columns: t.columns.filter((c) => c.name !== 'city') } : t);
    const report = checkDistribution(s, design, {});
    expect(report.violations.filter((v) => v.kind === 'nullable' || v.kind === 'column').map((v) => v.id))
      .toEqual(['nullable:vouchers.city', 'column:claims.city']);
    expect(report.unexplained.join('\n')).toContain('Citus refuses an INSERT with NULL in it');
  });

  it('checks foreign keys: co-located with the city on both sides, or to a reference table; never from a reference or local table into a shard', () => {
    const s = goodSchema();
    s.foreignKeys.push(
      fk('claims', 'claims_voucher_id_fkey', ['voucher_id'], 'vouchers', ['id']), // byCity → byCity without the city
      fk('claims', 'claims_city_mixed', ['voucher_id', 'city'], 'vouchers', ['city', 'id']), // city on both sides, not paired
      fk('claims', 'claims_household_fkey', ['id'], 'users', ['id']), // byCity → local
      fk('claims', 'claims_key_fkey', ['serial_number'], 'subsidy_keys', ['key']), // byCity → provinceWide: not co-located
      fk('stores', 'stores_city_voucher', ['id'], 'vouchers', ['id']), // reference → byCity
      fk('payouts', 'payouts_claim_fkey', ['id'], 'claims', ['id']), // local → byCity
      fk('payouts', 'payouts_user_fkey', ['id'], 'users', ['id']), // local → local: fine
    );
    const report = checkDistribution(s, design, {});
    expect(report.violations.map((v) => v.id)).toEqual([
      'fk:claims.claims_voucher_id_fkey', 'fk:claims.claims_city_mixed', 'fk:claims.claims_household_fkey', 'fk:claims.claims_key_fkey',
      'fk:stores.stores_city_voucher', 'fk:payouts.payouts_claim_fkey',
    ]);
    const [noCity, , toLocal, notColocated, fromReference, fromLocal] = report.unexplained;
    expect(noCity).toContain('foreign key claims_voucher_id_fkey: claims (voucher_id) → vouchers (id), byCity (city) → byCity (city)');
    expect(noCity).toContain('make it (city, …) → vouchers (city, …)');
    expect(toLocal).toContain('a distributed table cannot reference a coordinator (local) table');
    expect(notColocated).toContain('not co-located');
    expect(fromReference).toContain('a reference table is copied to every node');
    expect(fromLocal).toContain('a coordinator (local) table cannot reference a distributed table');
  });
});

describe('the design itself', () => {
  it('classifies each table once, and every exception names a kind the check reports and a classified table', () => {
    const classes = [Object.keys(DISTRIBUTION.reference), Object.keys(DISTRIBUTION.byCity), Object.keys(DISTRIBUTION.provinceWide), Object.keys(DISTRIBUTION.local)];
    const all = classes.flat();
    expect(all.filter((t, i) => all.indexOf(t) !== i)).toEqual([]);
    const malformed = Object.keys(DISTRIBUTION_EXCEPTIONS).filter((id) => {
      const m = /^(column|nullable|unique|fk):([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(id);
      return !m || !all.includes(m[2]);
    });
    expect(malformed).toEqual([]);
    for (const [id, e] of Object.entries(DISTRIBUTION_EXCEPTIONS)) expect([id, e.why.length > 0 && e.citus.length > 0]).toEqual([id, true]);
  });
});
