import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './api-process';

/**
 * A private `redis-server` (Debian's package; `.ci/run` installs it) on a free port, never the machine's shared one:
 * nothing saved (`--save ""`, `--appendonly no`), so a restart on the same port starts empty, as a Redis that lost
 * its memory would. `kill()` is the outage (SIGKILL: no goodbye to clients), `start()` brings it back on the same port.
 */
export interface RedisServer {
  url: string;
  port: number;
  /** what the server wrote (the last 16 KiB), for failure messages */
  output(): string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** true when `redis-server` can be run here */
export function redisServerInstalled(): boolean {
  return !spawnSync('redis-server', ['--version']).error;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!redisServerInstalled()) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run does it)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'huanxin-redis-'));
  let child: ChildProcess | undefined;
  let output = '';

  const exited = (c: ChildProcess) =>
    new Promise<void>((done) => {
      if (c.exitCode !== null || c.signalCode !== null) return done();
      c.once('exit', () => done());
    });

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    output: () => output,
    async start() {
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      running.add(c);
      void exited(c).then(() => running.delete(c));
      const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-16 * 1024));
      c.stdout!.on('data', collect);
      c.stderr!.on('data', collect);
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (!(await ping(port))) {
        if (c.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGKILL');
      await exited(c);
    },
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
