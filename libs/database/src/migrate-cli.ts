import { loadConfig } from '@huanxin/config';
import { resolveDatabase } from './resolve-database';
import { runMigrations } from './data-source';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await resolveDatabase(config);
  try {
    const applied = await runMigrations({ url: db.url });
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
