import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testEnv } from './app';

/**
 * The API as a real OS process (`node dist/apps/api/src/main.js`), for tests that need several of them on
 * one database: races between replicas can only be shown by replicas, not by one Node process whose
 * event loop happens to interleave requests.
 */

const ROOT = resolve(__dirname, '../..');
/** What `npm run start:api` runs: tsc keeps the repository's layout under dist/ (rootDir is the repo). */
export const API_ENTRY = join(ROOT, 'dist/apps/api/src/main.js');
// bench/ and scripts/ too: the tiny benchmark (test/bench.e2e-spec.ts) runs dist/bench and dist/scripts
const SOURCE_DIRS = ['apps', 'libs', 'migrations', 'bench', 'scripts'];
const BUILD_TIMEOUT_MS = 150_000;

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Why dist/ cannot be used as it is, or undefined when it can: missing, older than a source or a build
 * setting, or left half-built (tsc ran, tsc-alias did not, so `@huanxin/*` would not resolve at run time).
 */
function staleness(): string | undefined {
  if (!existsSync(API_ENTRY)) return `${API_ENTRY} is missing`;
  const built = statSync(API_ENTRY).mtimeMs;
  const sources = Math.max(
    ...SOURCE_DIRS.map((d) => newestSourceMtime(join(ROOT, d))),
    ...['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(ROOT, f)).mtimeMs),
  );
  if (sources > built) return 'sources changed since the last build';
  if (readFileSync(API_ENTRY, 'utf8').includes('require("@huanxin/')) return 'the last build stopped before tsc-alias';
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** One step of `npm run build`, from node_modules/.bin; answers its exit status and what it printed. */
function buildStep(bin: string): { status: number | null; output: string } {
  const res = spawnSync(join(ROOT, 'node_modules/.bin', bin), ['-p', 'tsconfig.build.json'], {
    cwd: ROOT, timeout: BUILD_TIMEOUT_MS, encoding: 'utf8',
  });
  if (res.error) throw new Error(`${bin} -p tsconfig.build.json could not run: ${res.error.message}`);
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

/**
 * Builds dist/ unless it is up to date, with the two steps of `npm run build` (tsc, then tsc-alias). One
 * build at a time for this work tree (a lock directory in the OS temp folder, keyed by the repository's
 * path): parallel jest workers, or two test runs in one tree, wait for the builder and then find dist/ fresh.
 * A lock whose owner died is taken over. CI builds before testing, so there this only checks.
 *
 * Type errors do not stop it: tsc still emits every file (exit status 2), which is the same untyped
 * transpilation ts-jest gives the in-process app, and type checking is `npm run typecheck`'s job (and CI's
 * build step's). Anything worse — tsc emitting nothing, tsc-alias failing — does.
 */
export function ensureApiBuilt(): void {
  if (!staleness()) return;
  const lock = join(tmpdir(), `huanxin-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS + 30_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // the owner has made the directory but not yet written its pid
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for the API build held by ${lock}`);
    sleepSync(250);
  }
  try {
    const why = staleness(); // another worker may have built while we waited
    if (!why) return;
    const tsc = buildStep('tsc');
    if (tsc.status !== 0 && tsc.status !== 2) throw new Error(`tsc -p tsconfig.build.json failed (${why}), status ${tsc.status}:\n${tsc.output}`.slice(0, 8000));
    if (tsc.status === 2) console.warn(`dist/ built with type errors (npm run typecheck lists them):\n${tsc.output}`.slice(0, 4000));
    const alias = buildStep('tsc-alias');
    if (alias.status !== 0) throw new Error(`tsc-alias -p tsconfig.build.json failed, status ${alias.status}:\n${alias.output}`.slice(0, 8000));
    const still = staleness();
    if (still) throw new Error(`the build succeeded but dist/ is still unusable: ${still}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface ApiProcess {
  /** `http://127.0.0.1:<port>`, for `request(url)` or fetch */
  url: string;
  pid: number;
  /** what the process has written to stdout and stderr so far (the last 64 KiB) */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period; safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A worker that dies without running afterAll must not leave API processes behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The drift check for API processes, as test/support/app.ts does it for the in-process app: each process is
 * asked for its `http_undeclared_problems_total` before it is stopped, and the test file fails after its
 * last afterAll (this hook is the file's outermost) if any route answered a problem code it does not declare.
 */
const undeclared: string[] = [];
if (typeof afterAll === 'function') {
  afterAll(() => {
    if (undeclared.length) throw new Error(`API processes answered problem codes their route does not declare (add them to its @ApiProblems): ${undeclared.join('; ')}`);
  });
}

async function recordUndeclared(url: string): Promise<void> {
  let text: string;
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return;
    text = await res.text();
  } catch {
    return; // a process that no longer answers (the fault drills stop some on purpose) has nothing to tell
  }
  for (const m of text.matchAll(/^http_undeclared_problems_total\{(.*)\} (\d+)$/gm)) {
    if (Number(m[2]) > 0) undeclared.push(`${m[1]} (${m[2]}×, ${url})`);
  }
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;
/** The end of a process's output, where the reason it died is. */
const tail = (output: string) => (output.length > 4000 ? `…${output.slice(-4000)}` : output);

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

async function launch(databaseUrl: string, env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const base = testEnv();
  const dataDir = base.DATA_DIR;
  const child = spawn(process.execPath, [API_ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...base,
      LOG_LEVEL: 'warn',
      NO_COLOR: '1', // Nest's start-up logger otherwise colours what an error message quotes
      MIGRATE_ON_START: 'false', // the test database is cloned from the migrated template
      ...env,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const gone = exited(child).then(() => {
    running.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const url = `http://127.0.0.1:${port}`;
  const proc: ApiProcess = {
    url,
    pid: child.pid!,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await recordUndeclared(url);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await gone;
        clearTimeout(timer);
      }
      await gone;
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ExitedEarly(`API process ${child.pid} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(output)}`, output);
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return proc;
      last = `GET /health/ready → ${res.status} ${await res.text()}`;
    } catch (err) {
      last = `GET /health/ready: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`API process on port ${port} was not ready within ${READY_TIMEOUT_MS} ms (${last}):\n${tail(output)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

class ExitedEarly extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

/**
 * Starts `node dist/apps/api/src/main.js` on `databaseUrl` with the test environment (testEnv(): the shared
 * TEST_SECRETS, cheap argon2, generous rate limits) plus `env`, on a free port, and resolves once
 * GET /health/ready answers 200. Build first with ensureApiBuilt(). The port is found free and then handed
 * over, so another process can take it in between: a start that fails with EADDRINUSE is retried on a new port;
 * one that finds dist/ half-rebuilt by someone else's build is retried after ensureApiBuilt().
 */
export async function startApiProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(databaseUrl, env);
    } catch (err) {
      if (!(err instanceof ExitedEarly) || attempt >= 3) throw err;
      if (err.output.includes('EADDRINUSE')) continue;
      // someone rebuilt dist/ under us (tsc has written, tsc-alias not yet): wait for it, or build again
      if (err.output.includes("Cannot find module '@huanxin/")) ensureApiBuilt();
      else throw err;
    }
  }
}
