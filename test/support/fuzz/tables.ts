import type { DataSource } from 'typeorm';

export interface TableState {
  rows: number;
  md5: string;
  /** largest id, for append-only tables with a serial `id` */
  maxId?: string;
}

/** Every table of the public schema: exact row count and an md5 over every row's text, in a stable order. */
export async function snapshotTables(db: DataSource): Promise<Record<string, TableState>> {
  const tables: { name: string; serial: boolean }[] = await db.query(`
    SELECT c.relname AS name,
           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'id' AND a.atttypid = 'int8'::regtype) AS serial
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
     ORDER BY c.relname`);
  const out: Record<string, TableState> = {};
  for (const { name, serial } of tables) {
    const q = `SELECT count(*)::text AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5
                 ${serial ? ', max(id)::text AS max_id' : ''} FROM public."${name}" t`;
    const [r] = await db.query(q);
    out[name] = { rows: Number(r.rows), md5: r.md5, ...(serial ? { maxId: r.max_id ?? '0' } : {}) };
  }
  return out;
}

/** The same rows as before, for an append-only table: the md5 of the rows up to the old largest id. */
export async function prefixMd5(db: DataSource, table: string, maxId: string): Promise<string> {
  const [r] = await db.query(
    `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM public."${table}" t WHERE id <= $1`,
    [maxId],
  );
  return r.md5;
}
