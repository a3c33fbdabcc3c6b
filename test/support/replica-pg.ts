import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './api-process';
import { clusterFolder, findPgBinaries, PrivatePg, serverUser, tailOfLog } from './private-pg';

/**
 * A streaming replica (hot standby) of a private cluster (private-pg.ts), for the read-replica test: `pg_basebackup
 * -R` from the primary over its replication connection (initdb's pg_hba trusts `replication` from 127.0.0.1; the
 * primary's default wal_level is `replica`), started on a port of its own. As root, everything runs as the
 * `postgres` OS user, as private-pg.ts does.
 */
export interface ReplicaPg {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: the primary's migrated database, as replicated */
  url: string;
  port: number;
  log(): string;
  /** `pg_ctl stop -m fast`; resolves once it is down */
  stop(): Promise<void>;
  /** starts it again on the same port and data; it resumes streaming */
  start(): Promise<void>;
  client(): Promise<Client>;
  /** Stop (immediately if fast fails) and delete everything; safe to call twice. */
  destroy(): Promise<void>;
}

const START_TIMEOUT_S = 30;
const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

export async function startReplica(primary: PrivatePg): Promise<ReplicaPg> {
  const bins = findPgBinaries();
  if ('missing' in bins) throw new Error(bins.missing);
  if (!existsSync(join(bins.dir, 'pg_basebackup'))) throw new Error(`no pg_basebackup in ${bins.dir}`);
  const user = serverUser();
  const { dir, dataDir, socketDir, logFile, run, readLog } = clusterFolder('huanxin-replica-pg-', bins.dir, user);
  const tail = tailOfLog;

  const backup = await run('pg_basebackup', ['-D', dataDir, '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-R', '-X', 'stream', '-c', 'fast']);
  if (backup.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pg_basebackup failed (${backup.status}):\n${tail(backup.output)}`);
  }
  const port = await freePort();
  // postgresql.auto.conf came with the backup (the primary's port and socket folder) and -R's primary_conninfo:
  // lines appended later win
  appendFileSync(join(dataDir, 'postgresql.auto.conf'), `port = ${port}\nunix_socket_directories = '${socketDir}'\nhot_standby = on\n`);

  let up = false;
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', dataDir, ...args]);
  const immediateStop = () => {
    spawnSync(join(bins.dir, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'immediate', '-w', '-t', '10'], { stdio: 'ignore', cwd: dir, ...(user ?? {}) });
  };
  const start = async () => {
    const res = await pgCtl('start', '-w', '-t', String(START_TIMEOUT_S), '-l', logFile);
    if (res.status !== 0) throw new Error(`replica: pg_ctl start failed (${res.status}) on port ${port}:\n${tail(res.output)}\n--- log:\n${tail(readLog())}`);
    up = true;
  };
  try {
    await start();
  } catch (err) {
    immediateStop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  live.add(immediateStop);

  const url = `postgres://postgres@127.0.0.1:${port}/${primary.database}`;
  let destroyed = false;
  return {
    url,
    port,
    log: readLog,
    start,
    stop: async () => {
      const res = await pgCtl('stop', '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S));
      if (res.status !== 0) throw new Error(`replica: pg_ctl stop failed (${res.status}):\n${tail(res.output)}`);
      up = false;
    },
    client: async () => {
      const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      await c.connect();
      return c;
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      const fast = up ? await pgCtl('stop', '-m', 'fast', '-w', '-t', '10').catch(() => undefined) : undefined;
      if (fast?.status !== 0) immediateStop();
      live.delete(immediateStop);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
