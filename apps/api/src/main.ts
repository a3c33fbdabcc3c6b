import cluster from 'node:cluster';
import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';
import { AuthService } from '@huanxin/auth';
import { createApp } from './create-app';
import { ApiCluster } from './process/api-cluster';
import { onStopSignal, stopGracefully } from './process/graceful-stop';

/** Who is speaking in a log line: the primary, one of several API processes, or the only one. */
export function processLabel(): string {
  return cluster.isWorker ? `api ${cluster.worker!.id}, pid ${process.pid}` : `api, pid ${process.pid}`;
}

/** One API process: `npm run start:api` with API_PROCESSES=1, or each worker of a cluster (DATABASE_URL should be set when several run). */
export async function startApi(opts: { seed?: (app: Awaited<ReturnType<typeof createApp>>) => Promise<void> } = {}) {
  const config = loadConfig();
  const db = await resolveDatabase(config);
  if (config.migrateOnStart) await runMigrations({ url: db.url });
  const app = await createApp({ config, databaseUrl: db.url });
  await app.get(AuthService).bootstrapAdmin();
  if (opts.seed) await opts.seed(app);
  await app.listen(config.port, config.host);
  const log = (msg: string) => console.log(`[huanxin ${processLabel()}] ${msg}`);
  const stop = async () => {
    await stopGracefully(app, config.shutdownGraceMs, log);
    await db.stop();
  };
  return { app, config, db, stop };
}

/**
 * `npm run start:api`. API_PROCESSES=1: this process is the API. More: this process is the cluster's primary — it
 * starts the embedded PostgreSQL if there is no DATABASE_URL and applies the migrations once, then forks the API
 * processes (this same script, as workers, with MIGRATE_ON_START=false) and supervises them.
 */
async function main(): Promise<void> {
  if (cluster.isWorker) {
    const { config, stop } = await startApi();
    console.log(`[huanxin ${processLabel()}] listening on ${config.publicUrl}`);
    onStopSignal(stop, (msg) => console.log(`[huanxin ${processLabel()}] ${msg}`));
    return;
  }
  const config = loadConfig();
  if (config.apiProcesses === 1) {
    const { stop } = await startApi();
    console.log(`Huanxin API listening on ${config.publicUrl}`);
    onStopSignal(stop, (msg) => console.log(`[huanxin ${processLabel()}] ${msg}`));
    return;
  }
  const log = (msg: string) => console.log(`[huanxin primary, pid ${process.pid}] ${msg}`);
  const db = await resolveDatabase(config);
  if (config.migrateOnStart) await runMigrations({ url: db.url });
  const api = new ApiCluster({
    processes: config.apiProcesses,
    graceMs: config.shutdownGraceMs,
    exec: __filename,
    env: { DATABASE_URL: db.url, MIGRATE_ON_START: 'false' },
    log,
  });
  onStopSignal(async () => {
    await api.stop();
    await db.stop();
  }, log);
  try {
    await api.start();
  } catch (err) {
    await api.stop();
    await db.stop();
    throw err;
  }
  console.log(`Huanxin API listening on ${config.publicUrl} (${config.apiProcesses} processes)`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
