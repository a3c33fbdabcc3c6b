import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';

/**
 * Stops one API process without dropping a request: the server stops accepting (in a cluster worker the primary
 * stops handing it connections), idle keep-alive connections are closed as they become idle, and requests in flight
 * run to their answer — for at most `graceMs`, after which their connections are closed. Only then Nest's shutdown
 * (onModuleDestroy closes the database pool and Redis): `app.close()` alone, or `enableShutdownHooks()`, runs those
 * hooks before it closes the HTTP server, so an in-flight request would lose its database under it.
 */
export async function stopGracefully(app: INestApplication, graceMs: number, log: (msg: string) => void): Promise<void> {
  const server = app.getHttpServer() as Server;
  if (server.listening) {
    const closed = new Promise<void>((done) => server.close(() => done()));
    // a connection that finishes its request becomes idle: close it then, not at the grace period's end
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), graceMs)));
    const outcome = await Promise.race([closed.then(() => 'closed' as const), late]);
    clearInterval(idle);
    clearTimeout(timer);
    if (outcome === 'late') {
      log(`requests still in flight after SHUTDOWN_GRACE_MS=${graceMs}: closing their connections`);
      server.closeAllConnections();
      await closed;
    }
  }
  await app.close();
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits (0 when it went well). A second signal while stopping
 * changes nothing (a terminal's Ctrl-C reaches a cluster's primary and its workers alike).
 */
export function onStopSignal(stop: () => Promise<void>, log: (msg: string) => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
