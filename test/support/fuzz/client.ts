import { Agent, request } from 'node:http';

/**
 * A raw HTTP/1.1 client over keep-alive sockets. node:http rather than fetch because fetch (WHATWG URL)
 * resolves `..` and `%2e%2e` segments and re-encodes paths: the fuzzer must put exactly its bytes on the wire.
 */
export interface WireRequest {
  n: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface WireResponse {
  status: number;
  contentType: string;
  /** the body, up to 256 KB */
  text: string;
  /** set when no response came: the client refused the request, or the connection failed or timed out */
  error?: string;
  ms: number;
}

export class FuzzClient {
  private readonly agent: Agent;

  constructor(private readonly port: number, sockets: number) {
    // idle sockets close after 4 s, before the server's 5 s keep-alive timeout, so a reused socket is never one
    // the server is closing (that race would look like a dropped request)
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, timeout: 4000 });
  }

  /**
   * Sends `r` and waits for its answer. A request that met ECONNRESET on a reused keep-alive socket is sent again
   * once (the pattern node:http's documentation gives for `request.reusedSocket`): on a loaded machine a timer can
   * fire late and hand out a socket the server has just closed; that is the client's race, not a dropped request.
   * An ECONNRESET on a fresh socket is still a failure.
   */
  async send(r: WireRequest, timeoutMs = 30_000): Promise<WireResponse> {
    const first = await this.sendOnce(r, timeoutMs);
    return first.staleSocket ? this.sendOnce(r, timeoutMs) : first;
  }

  private sendOnce(r: WireRequest, timeoutMs: number): Promise<WireResponse & { staleSocket?: boolean }> {
    const started = Date.now();
    return new Promise((resolve) => {
      let done = false;
      const finish = (res: Omit<WireResponse, 'ms'>) => {
        if (done) return;
        done = true;
        resolve({ ...res, ms: Date.now() - started });
      };
      const headers: Record<string, string> = { ...r.headers };
      if (r.body) headers['Content-Length'] = String(r.body.length);
      let req;
      try {
        req = request({ host: '127.0.0.1', port: this.port, method: r.method, path: r.path, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < 262_144) chunks.push(c);
            size += c.length;
          });
          res.on('end', () => finish({
            status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'),
          }));
          res.on('error', (e) => finish({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: '', error: `response: ${e.message}` }));
        });
      } catch (e) {
        finish({ status: -1, contentType: '', text: '', error: `client refused: ${(e as Error).message}` });
        return;
      }
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!done && e.code === 'ECONNRESET' && req.reusedSocket) {
          done = true;
          resolve({ status: 0, contentType: '', text: '', error: e.message, ms: Date.now() - started, staleSocket: true });
          return;
        }
        finish({ status: 0, contentType: '', text: '', error: e.message });
      });
      req.end(r.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight, in order of start. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
