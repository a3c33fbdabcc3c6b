import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';
import { AuthService } from '@huanxin/auth';
import { createApp } from './create-app';

/** The API process on its own: `npm run start:api` (DATABASE_URL should be set when several run). */
export async function startApi(opts: { seed?: (app: Awaited<ReturnType<typeof createApp>>) => Promise<void> } = {}) {
  const config = loadConfig();
  const db = await resolveDatabase(config);
  if (config.migrateOnStart) await runMigrations({ url: db.url });
  const app = await createApp({ config, databaseUrl: db.url });
  await app.get(AuthService).bootstrapAdmin();
  if (opts.seed) await opts.seed(app);
  await app.listen(config.port, config.host);
  const stop = async () => {
    await app.close();
    await db.stop();
  };
  return { app, config, db, stop };
}

if (require.main === module) {
  startApi()
    .then(({ config, stop }) => {
      console.log(`Huanxin API listening on ${config.publicUrl}`);
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
