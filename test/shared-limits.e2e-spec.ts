import { ApiProcess, ensureApiBuilt, startApiProcess } from './support/api-process';
import { startTestApp, TestApp } from './support/app';
import { RedisServer, startRedisServer } from './support/redis-server';

jest.setTimeout(120_000);

/**
 * Rate limits across API processes (issue 12): with REDIS_URL two real API processes together allow the configured
 * limit, not twice it; without it each counts alone (as documented); when Redis goes away they keep answering,
 * counting in their own memory (fail open), and share again once it is back. Redis is a private `redis-server`
 * started by the test. Each case uses a bucket of its own (register, voucher, login: the guard counts before the
 * route refuses the empty body or the missing sign-in), so no case sees another's counts.
 */
const LIMIT = 4;
const LIMITS = {
  RATE_LIMIT_REGISTER: String(LIMIT),
  RATE_LIMIT_VOUCHER: String(LIMIT),
  RATE_LIMIT_LOGIN: String(LIMIT),
  RATE_LIMIT_WINDOW_MS: '600000', // far longer than the test: no window ends within it
};
const BUCKETS = {
  register: { path: '/v1/auth/register', answer: 400 },
  voucher: { path: '/v1/household/vouchers', answer: 401 },
  login: { path: '/v1/auth/login', answer: 400 },
} as const;

/** `n` requests to the bucket, one at a time, the i-th to process i mod 2: their statuses in order. */
async function alternate(api: ApiProcess[], bucket: keyof typeof BUCKETS, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(api[i % 2].url + BUCKETS[bucket].path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

async function metric(p: ApiProcess, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Polls until every process reports `huanxin_redis_up` = `up` (a deadline, not a timing assertion). */
async function redisUpEverywhere(api: ApiProcess[], up: 0 | 1): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const seen = await Promise.all(api.map((p) => metric(p, 'huanxin_redis_up')));
    if (seen.every((v) => v === up)) return;
    if (Date.now() > deadline) throw new Error(`huanxin_redis_up is ${seen.join(', ')}, waited for ${up}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = (text: string, needle: string) => text.split(needle).length - 1;
const OUTAGE = 'Redis cannot be reached: rate limits are counted per process';
const BACK = 'Redis answers again';

describe('shared rate limits: two API processes on one Redis (e2e)', () => {
  let t: TestApp;
  let redis: RedisServer;
  const api: ApiProcess[] = [];

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    redis = await startRedisServer();
    const env = {
      ...LIMITS,
      REDIS_URL: redis.url,
      // generous on a loaded machine: a count that timed out would be counted in memory and blur the exact totals
      REDIS_COMMAND_TIMEOUT_MS: '5000',
      // a revocation must not reach the other process by the database poll within the test
      TOKEN_REVOCATION_POLL_MS: '60000',
    };
    api.push(...(await Promise.all([0, 1].map(() => startApiProcess(t.database.url, env)))));
    await redisUpEverywhere(api, 1);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await redis?.stop();
    await t?.close();
  }, 30_000);

  it('together they allow the configured limit, not twice it', async () => {
    // (requests that came before a process's first connection to Redis, its readiness probes, were counted in memory)
    const fallbacks = await Promise.all(api.map((p) => metric(p, 'huanxin_rate_limit_local_fallback_total')));
    const statuses = await alternate(api, 'register', 2 * LIMIT);
    expect(statuses).toEqual([...Array(LIMIT).fill(BUCKETS.register.answer), ...Array(LIMIT).fill(429)]);
    const refused = await fetch(api[0].url + BUCKETS.register.path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after-register'))).toBeGreaterThan(0);
    // every count of this test went to Redis (the /metrics reads themselves included)
    expect(await Promise.all(api.map((p) => metric(p, 'huanxin_rate_limit_local_fallback_total')))).toEqual(fallbacks);
  });

  /** Logs a household out on process 0; answers what process 1 then says to its access token. */
  async function logoutReachesTheOther(): Promise<number> {
    const h = await t.make.household();
    const vouchers = (p: ApiProcess) => fetch(`${p.url}/v1/household/vouchers`, { headers: h.auth });
    expect((await vouchers(api[1])).status).toBe(200);
    expect((await fetch(`${api[0].url}/v1/auth/logout`, { method: 'POST', headers: h.auth })).status).toBe(204);
    // the database poll is a minute away: a 401 within the deadline can only have come through Redis
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await vouchers(api[1])).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    return status;
  }

  it('a sign-in ended on one process stops on the other through Redis, long before the database poll', async () => {
    expect(await logoutReachesTheOther()).toBe(401);
  });

  it('Redis killed: both keep answering, each counting alone; Redis back: shared again', async () => {
    const outages = await Promise.all(api.map((p) => metric(p, 'huanxin_rate_limit_redis_outages_total')));
    await redis.kill();
    await redisUpEverywhere(api, 0);

    // fail open: no 5xx; each process allows the limit on its own, so 2 × LIMIT pass, then both refuse
    const during = await alternate(api, 'voucher', 2 * LIMIT + 2);
    expect(during).toEqual([...Array(2 * LIMIT).fill(BUCKETS.voucher.answer), 429, 429]);
    for (const [i, p] of api.entries()) {
      expect(await metric(p, 'huanxin_rate_limit_redis_outages_total')).toBe(outages[i]! + 1);
      expect(await metric(p, 'huanxin_rate_limit_local_fallback_total')).toBeGreaterThanOrEqual(LIMIT + 1);
      expect(count(p.output(), OUTAGE)).toBe(1); // warned once per outage, not once per request
    }

    await redis.start(); // same port, empty
    await redisUpEverywhere(api, 1);
    // after a failed count a process asks Redis again only a second later (SharedRateLimitStore's retryMs, README): the
    // outage's first count may have failed less than a second ago when Redis comes back this fast
    await new Promise((r) => setTimeout(r, 1_100));
    const after = await alternate(api, 'login', 2 * LIMIT);
    expect(after).toEqual([...Array(LIMIT).fill(BUCKETS.login.answer), ...Array(LIMIT).fill(429)]);
    for (const p of api) expect(count(p.output(), BACK)).toBe(1);
    // and the revocation notices are subscribed to again
    expect(await logoutReachesTheOther()).toBe(401);
  });
});

describe('rate limits without Redis: each API process counts alone (e2e)', () => {
  let t: TestApp;
  const api: ApiProcess[] = [];

  beforeAll(async () => {
    ensureApiBuilt();
    t = await startTestApp();
    api.push(...(await Promise.all([0, 1].map(() => startApiProcess(t.database.url, LIMITS)))));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(api.map((p) => p.stop()));
    await t?.close();
  }, 30_000);

  it('two processes allow twice the limit (README: set limits per process), then both refuse', async () => {
    const statuses = await alternate(api, 'register', 2 * LIMIT + 2);
    expect(statuses).toEqual([...Array(2 * LIMIT).fill(BUCKETS.register.answer), 429, 429]);
    expect(await metric(api[0], 'huanxin_redis_up')).toBeUndefined();
  });
});
