import autocannon from 'autocannon';

/** One request as the load generator sends it. */
export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What one load run measured; latencies in milliseconds over every answer (2xx and not), timeouts excluded. */
export interface LoadResult {
  connections: number;
  processes: number;
  /** answers received (any status) */
  answered: number;
  /** requests sent */
  sent: number;
  seconds: number;
  /** answers per second over the whole run */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  timeouts: number;
  /** connection errors other than timeouts */
  errors: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  /** `{ '201': 1000, '409 quota_exhausted': 4000 }`: each status, with the problem code of a non-2xx answer */
  tally: Record<string, number>;
}

/** `process.stderr` progress every second: answered so far and the rate of the last second. */
function track(instance: autocannon.Instance, label: string, total?: number): () => void {
  let answered = 0;
  let last = 0;
  const started = Date.now();
  instance.on('response', () => void answered++);
  const timer = setInterval(() => {
    const rate = answered - last;
    last = answered;
    const of = total ? `/${total.toLocaleString('en')}` : '';
    process.stderr.write(`    ${label}: ${answered.toLocaleString('en')}${of} answered, ${rate.toLocaleString('en')} in the last second, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A load run with autocannon: `connections` keep-alive connections spread evenly over `urls` (one per API
 * process), each sending the next request of `next()` as soon as its previous answer arrived. With `amount` the run
 * ends after exactly that many requests (`next` is called exactly `amount` times, once a request); otherwise after
 * `durationS` seconds. A request unanswered after `timeoutS` seconds counts as a timeout and its connection is
 * replaced.
 */
export async function load(opts: {
  label: string;
  urls: string[];
  connections: number;
  next: (i: number) => PlannedRequest;
  amount?: number;
  durationS?: number;
  timeoutS?: number;
  quiet?: boolean;
}): Promise<LoadResult> {
  // a whole number of connections per process, and never more connections than requests
  const per = Math.max(1, Math.min(Math.ceil(opts.connections / opts.urls.length), Math.floor((opts.amount ?? Infinity) / opts.urls.length)));
  const connections = per * opts.urls.length;
  if (opts.amount !== undefined && opts.amount < connections) throw new Error(`${opts.label}: ${opts.amount} requests for ${connections} connections`);
  let built = 0;
  // when the last answer came: with `amount`, the run's own end (autocannon's `finish` comes on its one-second tick,
  // which added up to a second to a ten-second run)
  let lastAnswerAt = 0;
  const startedAt = Date.now();
  const tally: Record<string, number> = {};
  const count = (key: string) => void (tally[key] = (tally[key] ?? 0) + 1);
  const instance = autocannon({
    url: opts.urls,
    connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationS ?? 10 }),
    timeout: opts.timeoutS ?? 10,
    requests: [{
      setupRequest: (req) => {
        const r = opts.next(built++);
        return { ...req, method: r.method, path: r.path, headers: { ...req.headers, ...r.headers }, body: r.body ?? '' };
      },
      onResponse: (status, body) => {
        lastAnswerAt = Date.now();
        if (status < 300) return count(String(status));
        let code = '';
        try {
          code = String(JSON.parse(body)?.code ?? '');
        } catch {
          code = body.slice(0, 40);
        }
        count(code ? `${status} ${code}` : String(status));
      },
    }],
  });
  const untrack = opts.quiet ? () => undefined : track(instance, opts.label, opts.amount);
  let result: autocannon.Result;
  try {
    result = await instance;
  } finally {
    untrack();
  }
  if (opts.amount !== undefined && built !== opts.amount) throw new Error(`${opts.label}: ${built} requests built for ${opts.amount} planned`);
  if (result.timeouts) tally.timeout = result.timeouts;
  const answered = result.requests.total;
  const ticked = (result.finish.getTime() - result.start.getTime()) / 1000 || result.duration;
  // every request answered (no timeout): the span from the start to the last answer
  const seconds = opts.amount !== undefined && !result.timeouts && lastAnswerAt > startedAt ? (lastAnswerAt - startedAt) / 1000 : ticked;
  return {
    connections,
    processes: opts.urls.length,
    answered,
    sent: result.requests.sent,
    seconds,
    rps: answered / seconds,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    timeouts: result.timeouts,
    errors: result.errors - result.timeouts,
    '2xx': result['2xx'],
    '4xx': result['4xx'],
    '5xx': result['5xx'],
    tally,
  };
}
