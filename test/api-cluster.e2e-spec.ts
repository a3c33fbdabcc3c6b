import { request as httpRequest } from 'node:http';
import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { createTestDatabase, TestDatabase } from './support/database';
import { randomPhone, randomResidentId, uniq } from './support/ids';

jest.setTimeout(120_000);

/**
 * `API_PROCESSES=2` (issue 12): `node dist/apps/api/src/main.js` becomes a cluster primary with two API processes on
 * one port. Which process answered is read from `/metrics` (`huanxin_api_process_info{pid,worker}`), each request on
 * a connection of its own so that the primary hands each to the next process. Shown: both serve; one killed is
 * replaced while the other goes on answering; SIGTERM lets a request in flight finish before the processes exit.
 */
interface Served {
  status: number;
  pid?: number;
}

/** One GET on a fresh connection (no keep-alive): which process answered, from its metrics. */
function servedBy(url: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const m = /^huanxin_api_process_info\{pid="(\d+)",worker="(\d+)"\} 1$/m.exec(body);
        resolve({ status: res.statusCode ?? 0, pid: m ? Number(m[1]) : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The pids that answer `n` fresh connections. */
async function servingPids(url: string, n: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < n; i++) {
    const s = await servedBy(url);
    expect(s.status).toBe(200);
    pids.add(s.pid!);
  }
  return pids;
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = (text: string, needle: RegExp) => (text.match(needle) ?? []).length;

describe('API_PROCESSES=2: one port, two supervised API processes (e2e)', () => {
  let db: TestDatabase;
  let api: ApiProcess;

  beforeAll(async () => {
    ensureApiBuilt();
    db = await createTestDatabase();
    api = await startApiProcess(db.url, { API_PROCESSES: '2', SHUTDOWN_GRACE_MS: '30000' });
    await until('both API processes listening', () => /2 API processes listening/.test(api.output()));
  }, 240_000);

  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  }, 60_000);

  it('both processes answer on the one port, neither of them the primary', async () => {
    const pids = await servingPids(api.url, 10);
    expect(pids.size).toBe(2);
    expect(pids.has(api.pid)).toBe(false);
  });

  it('a killed process is replaced, and requests keep being answered meanwhile', async () => {
    const before = [...(await servingPids(api.url, 6))];
    expect(before).toHaveLength(2);
    const victim = before[0];
    process.kill(victim, 'SIGKILL');
    await until('the primary saw the exit', () => new RegExp(`pid ${victim}\\) exited \\(SIGKILL\\)`).test(api.output()));
    // the survivor answers everything while the replacement starts
    const meanwhile = await servingPids(api.url, 10);
    expect(meanwhile.has(victim)).toBe(false);
    // a crash after a long enough run is replaced at once; the replacement then takes its share
    await until('the replacement answers', async () => (await servingPids(api.url, 4)).size === 2);
    const after = await servingPids(api.url, 10);
    expect(after.size).toBe(2);
    expect(after.has(victim)).toBe(false);
    expect(after.has(before[1])).toBe(true);
    expect(count(api.output(), /exited \(SIGKILL\)/g)).toBe(1);
  });

  it('SIGTERM: a request in flight is answered (with the database) before the processes exit', async () => {
    const body = JSON.stringify({ phone: randomPhone(), password: `pw-${uniq()}`, name: '测试住户', idNumber: randomResidentId(), city: 'hangzhou' });
    let answer: { status: number; body: string } | undefined;
    let refusedNewConnections = false;
    const answered = new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${api.url}/v1/auth/register`, {
        method: 'POST',
        agent: false,
        // the server's "100 Continue" proves an API process has parsed the request: it is in flight there
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          answer = { status: res.statusCode ?? 0, body: text };
          resolve();
        });
      });
      req.on('error', reject);
      req.on('continue', () => {
        (async () => {
          process.kill(api.pid, 'SIGTERM');
          await until('both API processes are stopping', () => count(api.output(), /\[huanxin api \d+, pid \d+\] SIGTERM: stopping/g) === 2);
          // no new connection is taken any more
          await until('new connections refused', () => servedBy(api.url).then(() => false, () => true));
          refusedNewConnections = true;
          req.end(body); // the body of the request in flight, only now
        })().catch(reject);
      });
      req.flushHeaders();
    });
    await answered;
    expect(refusedNewConnections).toBe(true);
    expect(answer?.status).toBe(201);
    expect(JSON.parse(answer!.body).id).toEqual(expect.any(String));
    await until('the primary exited', () => {
      try {
        process.kill(api.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(api.output()).toMatch(/stopping 2 API processes/);
    expect(api.output()).not.toMatch(/did not stop in time/);
  });
});
