import { Readable } from 'node:stream';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * `COPY (…) TO STDOUT` takes no bind parameters (it is sent as a simple query), so the values of a query built
 * with `$n` placeholders are written into its text as literals, each through node-postgres's `escapeLiteral`
 * (quotes doubled, backslashes escaped): a Date as its ISO instant, anything else as its string.
 */
export function withLiterals(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`withLiterals: no value for $${n}`);
    const v = params[i];
    if (v === null || v === undefined) return 'NULL';
    return escapeLiteral(v instanceof Date ? v.toISOString() : String(v));
  });
}

/**
 * Streams `COPY (…) TO STDOUT` (pg-copy-streams) from a connection of its own, taken from the pool. The bytes go
 * as PostgreSQL sends them, at the pace of whoever reads the stream: when the reader stops, the socket stops
 * being read, and the server waits (backpressure all the way to the database). Resolves once the first bytes
 * have arrived, so an error in the statement itself (or no connection to be had) is thrown here, before any
 * answer has started.
 *
 * The connection goes back to the pool exactly once: on the stream's end; after an error (destroyed, since a
 * connection that failed mid-COPY is not worth trusting again); or when the reader gives up (`destroy()`, as
 * Nest does when the HTTP client disconnects): then the socket is closed under the running COPY, PostgreSQL's
 * next write fails and the backend ends its statement, and the pool opens a fresh connection when it next needs one.
 *
 * `statementTimeoutMs`: this statement's own `statement_timeout` (else the pool's). `deadlineMs` (none: no bound) bounds the whole statement from Node's side as well: the server's
 * `statement_timeout` cannot fire while its backend is blocked writing to a reader that stopped reading, so a
 * stalled reader would otherwise hold the connection for as long as it stays connected. Past the deadline the
 * stream fails with code 57014, as the server's timeout would (and the connection is closed).
 */
export async function copyOut(pool: Pool, sql: string, deadlineMs?: number, statementTimeoutMs?: number): Promise<Readable> {
  const client: PoolClient = await pool.connect();
  // a timeout of its own for this statement (EXPORT_TIMEOUT_MS: an export may rightly run longer than any other
  // statement), set on the session and reset before the connection goes back to the pool
  if (statementTimeoutMs !== undefined) {
    try {
      await client.query(`SET statement_timeout = ${Math.max(0, Math.floor(statementTimeoutMs))}`);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }
  let released = false;
  // a connection-level error while the client is out of the pool has no other listener (pg-pool removes its own)
  const onClientError = (err: Error) => copy.destroy(err);
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    clearTimeout(deadline);
    client.removeListener('error', onClientError);
    client.release(err);
  };
  client.on('error', onClientError);
  const copy = client.query(copyTo(sql));
  const deadline = deadlineMs === undefined ? undefined : setTimeout(() => {
    copy.destroy(Object.assign(new Error(`COPY still running after ${deadlineMs} ms (the statement timeout)`), { code: '57014' }));
  }, deadlineMs);
  deadline?.unref();
  // `on`, not `once`: pg may report a second error (the connection closing under an aborted COPY)
  copy.on('error', (err: Error) => release(err));
  let resetting = false;
  copy.once('end', () => {
    if (statementTimeoutMs === undefined) return release();
    resetting = true;
    client.query('RESET statement_timeout').then(() => release(), (err: Error) => release(err));
  });
  copy.once('close', () => {
    if (!resetting) release(copy.readableEnded ? undefined : new Error('COPY abandoned by its reader'));
  });

  await new Promise<void>((resolve, reject) => {
    const started = () => {
      copy.removeListener('error', failed);
      resolve();
    };
    const failed = (err: Error) => {
      copy.removeListener('readable', started);
      reject(err);
    };
    copy.once('readable', started);
    copy.once('error', failed);
  });
  return copy;
}
