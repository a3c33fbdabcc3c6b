import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository: dist/bench/*.js live two folders below it, bench/*.ts one. */
export const ROOT = resolve(__dirname, existsSync(resolve(__dirname, '../package.json')) ? '..' : '../..');
/** What `npm start` runs after building: the API in this process, the worker forked beside it. */
export const START_ALL = join(ROOT, 'dist/apps/api/src/start-all.js');
/** What `npm run start:api` runs: one more API process. */
export const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
export const BASELINE_APP = join(ROOT, 'dist/bench/baseline-app.js');

/**
 * The Node flags `npm run start:api` starts the API with (package.json, read so the two cannot drift): the
 * platform's processes are started with them, the baseline app without.
 */
export function platformNodeArgs(): string[] {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  const m = /\bnode((?:\s+--\S+)*)\s+dist\/apps\/api\/src\/main\.js/.exec(scripts['start:api'] ?? '');
  if (!m) throw new Error('package.json: start:api does not run node dist/apps/api/src/main.js');
  return m[1].split(/\s+/).filter(Boolean);
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => done(port));
    });
  });
}

export interface Service {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  /** the last lines the process wrote (stdout and stderr go to logFile) */
  tail(lines?: number): string;
  /** resident set size now, in bytes (0 once the process is gone) */
  rss(): number;
  /**
   * Starts a peak-RSS window: resets the kernel's high-water mark (/proc/PID/clear_refs, 5) and samples VmRSS
   * every 50 ms; the function it answers ends the window and answers the peak in bytes.
   */
  watchPeakRss(): () => number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Every process this run started, in its own process group (it and whatever it forked), killed at exit. */
export function killAll(signal: NodeJS.Signals): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // gone already
    }
  }
}
process.once('exit', () => killAll('SIGKILL'));

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node <entry>` in its own process group with `env` on top of this process's environment, its output in
 * `logFile`, and resolves once `GET <url><readyPath>` answers 200 (or fails with the end of its log).
 */
export async function startService(opts: {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  readyPath: string;
  readyTimeoutMs?: number;
  /** Node flags before the entry (the platform's: `platformNodeArgs()`); BENCH_NODE_ARGS come after them. */
  nodeArgs?: string[];
}): Promise<Service> {
  if (!existsSync(opts.entry)) throw new Error(`${opts.entry} is missing: run npm run build first`);
  const fd = openSync(opts.logFile, 'a');
  // BENCH_NODE_ARGS: Node flags for the processes under test only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
  // since NODE_OPTIONS refuses --cpu-prof
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, opts.entry], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  running.add(child);
  const gone = exited(child).then(() => void running.delete(child));
  const url = `http://127.0.0.1:${opts.port}`;
  const tail = (lines = 40) => {
    try {
      return readFileSync(opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const service: Service = {
    name: opts.name,
    url,
    pid: child.pid!,
    logFile: opts.logFile,
    tail,
    rss: () => procStatus(child.pid!, 'VmRSS'),
    watchPeakRss: () => {
      let reset = true;
      try {
        writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
      } catch {
        reset = false; // not Linux, or not allowed: the samples alone
      }
      let peak = procStatus(child.pid!, 'VmRSS');
      const timer = setInterval(() => void (peak = Math.max(peak, procStatus(child.pid!, 'VmRSS'))), 50);
      return () => {
        clearInterval(timer);
        peak = Math.max(peak, procStatus(child.pid!, 'VmRSS'));
        return reset ? Math.max(peak, procStatus(child.pid!, 'VmHWM')) : peak;
      };
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid!, 'SIGTERM'); // start-all stops its worker, closes the app and exits
        } catch {
          // gone already
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone already
          }
        }, 10_000);
        await gone;
        clearTimeout(timer);
      }
      // anything it forked and left behind (start-all's worker) goes with the group
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is empty
      }
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  let last = 'no answer yet';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${opts.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; the end of ${opts.logFile}:\n${tail()}`);
    }
    try {
      const res = await fetch(`${url}${opts.readyPath}`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return service;
      last = `GET ${opts.readyPath} → ${res.status}`;
    } catch (err) {
      last = `GET ${opts.readyPath}: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`${opts.name} was not ready in time (${last}); the end of ${opts.logFile}:\n${tail()}`);
    }
    await sleep(200);
  }
}

/** Stops every process still running (SIGTERM, then SIGKILL to its group). */
export async function stopAll(services: Service[]): Promise<void> {
  await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
}
