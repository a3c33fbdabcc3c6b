import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';
import { JobRunner } from './job-runner';
import { WorkerJobs } from './jobs';
import { WorkerModule } from './worker.module';

/** The background worker: `npm run start:worker`. Several can run against one database. */
export async function startWorker(databaseUrl?: string) {
  const config = loadConfig();
  const db = databaseUrl ? { url: databaseUrl, stop: async () => undefined } : await resolveDatabase(config);
  if (config.migrateOnStart) await runMigrations({ url: db.url });
  const app = await NestFactory.createApplicationContext(WorkerModule.register(config, db.url), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.get(JobRunner).start(app.get(WorkerJobs).list());
  return {
    app,
    stop: async () => {
      await app.close();
      await db.stop();
    },
  };
}

if (require.main === module) {
  startWorker()
    .then(({ stop }) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));
    })
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
