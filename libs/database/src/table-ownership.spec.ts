import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { READ_ONLY_EXCEPTIONS, sqlTableUses, TABLE_OWNERS, TableUse } from './table-ownership';

const ROOT = resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('one owner per table', () => {
  it('reads the SQL verbs: writes, reads, and nothing in comments', () => {
    const uses = sqlTableUses(`
      // SELECT * FROM payouts  (a comment)
      await tx.query(\`INSERT INTO claims (id) SELECT v.id FROM vouchers v JOIN stores s ON s.id = v.store_id\`);
      /* UPDATE users SET name = 'x' */
      await tx.query('UPDATE programs SET name = $1'); await q('DELETE FROM quotas WHERE 1 = 0');`);
    expect(Object.fromEntries([...uses].map(([t, u]) => [t, [...u].sort()]))).toEqual({
      claims: ['write'], vouchers: ['read'], stores: ['read'], programs: ['write'], quotas: ['write'],
    });
  });

  it('every table in the migrations has an owner', () => {
    const created = readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(ROOT, 'migrations', f), 'utf8').matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]));
    expect(created.filter((t) => !TABLE_OWNERS[t])).toEqual([]);
  });

  it("no library's SQL names a table it does not own, beyond the listed read-only exceptions (which only shrink)", () => {
    const found = new Map<string, Map<string, Set<TableUse>>>();
    const where = new Map<string, string[]>();
    for (const lib of readdirSync(join(ROOT, 'libs'))) {
      for (const file of sources(join(ROOT, 'libs', lib, 'src'))) {
        for (const [table, uses] of sqlTableUses(readFileSync(file, 'utf8'))) {
          if (TABLE_OWNERS[table] === lib) continue;
          const byTable = found.get(lib) ?? new Map<string, Set<TableUse>>();
          for (const u of uses) {
            byTable.set(table, (byTable.get(table) ?? new Set()).add(u));
            const key = `${lib} ${u}s ${table}`;
            where.set(key, [...(where.get(key) ?? []), relative(ROOT, file)]);
          }
          found.set(lib, byTable);
        }
      }
    }
    const unexpected: string[] = [];
    for (const [lib, byTable] of found) {
      for (const [table, uses] of byTable) {
        for (const u of uses) {
          const allowed = u === 'read' && READ_ONLY_EXCEPTIONS[lib]?.includes(table);
          if (!allowed) unexpected.push(`${lib} ${u}s ${table} (owner: ${TABLE_OWNERS[table]}) in ${where.get(`${lib} ${u}s ${table}`)?.join(', ')}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
    // an exception no longer used is removed from the list, so it cannot come back unnoticed
    const unusedExceptions = Object.entries(READ_ONLY_EXCEPTIONS).flatMap(([lib, tables]) =>
      tables.filter((t) => !found.get(lib)?.get(t)?.has('read')).map((t) => `${lib} reads ${t}`));
    expect(unusedExceptions).toEqual([]);
  });
});
