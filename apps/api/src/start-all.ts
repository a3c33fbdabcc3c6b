import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AuthService } from '@huanxin/auth';
import { loadConfig } from '@huanxin/config';
import { resolveDatabase, runMigrations } from '@huanxin/database';
import { createApp } from './create-app';
import { ApiCluster } from './process/api-cluster';
import { onStopSignal, stopGracefully } from './process/graceful-stop';
import { DemoCredentials, DEMO_PROGRAM, seedDemo } from './seed/demo-seed';

/**
 * `npm start`: the whole platform on one machine — embedded PostgreSQL (unless DATABASE_URL is set),
 * migrations, the API, the worker beside it, and (outside production) demo data with printed log-ins.
 */
async function main(): Promise<void> {
  const step = (s: string) => console.log(`[huanxin] ${s}`);
  let config = loadConfig();
  step(config.databaseUrl ? 'using DATABASE_URL' : `starting embedded PostgreSQL in ${config.dataDir}/pg …`);
  const db = await resolveDatabase(config);
  step('applying migrations …');
  await runMigrations({ url: db.url });

  // The demo needs an admin to seed with: unless one is configured, make one and keep its password.
  if (config.seedDemo && !config.bootstrapAdminEmail) {
    const file = join(config.dataDir, 'demo-admin.json');
    const admin = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : { email: 'admin@huanxin.local', password: randomBytes(9).toString('base64url') };
    writeFileSync(file, JSON.stringify(admin), { mode: 0o600 });
    config = { ...config, bootstrapAdminEmail: admin.email, bootstrapAdminPassword: admin.password };
  }

  // API_PROCESSES > 1: this process is the cluster's primary (migrations above and the demo seed below run here,
  // once); each API process is main.js as a cluster worker, which makes the bootstrap admin under an advisory lock
  let stopApi: () => Promise<void>;
  if (config.apiProcesses > 1) {
    const api = new ApiCluster({
      processes: config.apiProcesses,
      graceMs: config.shutdownGraceMs,
      exec: join(__dirname, 'main.js'),
      env: {
        DATABASE_URL: db.url,
        MIGRATE_ON_START: 'false',
        ...(config.bootstrapAdminEmail && config.bootstrapAdminPassword
          ? { BOOTSTRAP_ADMIN_EMAIL: config.bootstrapAdminEmail, BOOTSTRAP_ADMIN_PASSWORD: config.bootstrapAdminPassword }
          : {}),
      },
      log: (msg) => step(msg),
    });
    stopApi = () => api.stop();
    try {
      await api.start();
    } catch (err) {
      await api.stop();
      await db.stop();
      throw err;
    }
  } else {
    const app = await createApp({ config, databaseUrl: db.url });
    await app.get(AuthService).bootstrapAdmin();
    await app.listen(config.port, config.host);
    stopApi = () => stopGracefully(app, config.shutdownGraceMs, step);
  }
  const base = config.publicUrl;
  step(`API listening on ${base}${config.apiProcesses > 1 ? ` (${config.apiProcesses} processes)` : ''}`);

  const worker = fork(join(__dirname, '../../worker/src/main.js'), [], {
    env: { ...process.env, DATABASE_URL: db.url, MIGRATE_ON_START: 'false' },
    stdio: 'inherit',
  });
  step(`worker started (pid ${worker.pid})`);

  let creds: DemoCredentials | undefined;
  if (config.seedDemo && config.bootstrapAdminEmail && config.bootstrapAdminPassword) {
    creds = await seedDemo(base, config.dataDir, { email: config.bootstrapAdminEmail, password: config.bootstrapAdminPassword }, step);
  }
  printWelcome(base, creds);

  onStopSignal(async () => {
    step('shutting down …');
    worker.kill('SIGTERM');
    await stopApi();
    await db.stop();
  }, step);
}

function printWelcome(base: string, c: DemoCredentials | undefined): void {
  const lines = [
    '',
    '  Huanxin is running.',
    `    Portal         ${base}/          (households, tills, recyclers, auditors, programme office)`,
    `    API            ${base}/v1`,
    `    OpenAPI        ${base}/docs   (JSON: ${base}/docs-json)`,
    `    Health         ${base}/health/ready      Metrics ${base}/metrics`,
  ];
  if (c) {
    lines.push(
      '',
      `  Demo log-ins (sign in at ${base}/sign-in, or POST ${base}/v1/auth/login {"username": …, "password": …}):`,
      `    admin          ${c.admin.email} / ${c.admin.password}`,
      `    auditor        ${c.auditor.email} / ${c.auditor.password}`,
      `    cashier        ${c.retailerStaff.email} / ${c.retailerStaff.password}   (stores HZ-001, NB-001)`,
      `    household      ${c.household.phone} / ${c.household.password}   (ID ${c.household.idNumber}, ${c.household.city})`,
      `    POS API key    X-Api-Key: ${c.posApiKey}`,
      `    recycler key   X-Api-Key: ${c.recyclerApiKey}   (portal: ${base}/recycler/sign-in)`,
      `    programme      ${DEMO_PROGRAM}`,
      '  Kept in .data/demo-credentials.json. The README walks a trade-in end to end.',
    );
  }
  console.log(lines.join('\n') + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
