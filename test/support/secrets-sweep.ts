import type { NextFunction, Request, Response } from 'express';
import type { DataSource } from 'typeorm';

/**
 * The secrets sweep (issue 8): every end-to-end test app learns, from the traffic itself, the secrets and
 * personal data its tests sent or were given — passwords, ID numbers, phone numbers, bank account numbers,
 * access and refresh tokens, API keys — and when the app closes, before its database is dropped, searches a
 * dump of every table and every captured log line for them. A hit fails the file that leaked.
 */
const REQUEST_FIELDS = new Set(['password', 'newPassword', 'idNumber', 'householdIdNumber', 'phone', 'accountNumber']);
const RESPONSE_FIELDS = new Set(['accessToken', 'refreshToken']);
const MIN_LENGTH = 8;

export class SecretsSweep {
  readonly secrets = new Map<string, string>();

  remember(kind: string, value: unknown): void {
    if (typeof value === 'string' && value.length >= MIN_LENGTH && !/^\*+/.test(value)) this.secrets.set(value, kind);
  }

  private walk(value: unknown, fields: Set<string>, depth = 0): void {
    if (depth > 8 || !value || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (fields.has(k)) this.remember(k, v);
      else this.walk(v, fields, depth + 1);
    }
  }

  /** Express middleware, first in the chain: the request's credentials and body, the response's tokens and keys. */
  readonly observe = (req: Request, res: Response, next: NextFunction): void => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) this.remember('access token', auth.slice(7));
    this.remember('API key', req.headers['x-api-key']);
    const json = res.json.bind(res);
    const send = res.send.bind(res);
    const capture = (body: unknown) => {
      let parsed = body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        try {
          parsed = JSON.parse(String(body));
        } catch {
          parsed = undefined;
        }
      }
      this.walk(parsed, RESPONSE_FIELDS);
      if (/\/api-keys$/.test(req.path) && parsed && typeof parsed === 'object') this.remember('API key', (parsed as { key?: unknown }).key);
    };
    res.json = (body: unknown) => {
      capture(body);
      return json(body);
    };
    res.send = (body: unknown) => {
      capture(body);
      return send(body);
    };
    // the body is parsed after this middleware: look at it once the route has run
    res.on('finish', () => this.walk(req.body, REQUEST_FIELDS));
    // the portal's web sessions: the refresh token travels in a cookie, both ways
    const cookie = /(?:^|;\s*)hx_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (cookie) this.remember('session cookie', decodeURIComponent(cookie));
    const setCookie = res.cookie.bind(res);
    res.cookie = ((name: string, value: unknown, ...rest: unknown[]) => {
      if (name === 'hx_session' && typeof value === 'string' && value) this.remember('session cookie', value);
      return (setCookie as (...a: unknown[]) => Response)(name, value, ...rest);
    }) as Response['cookie'];
    next();
  };

  /** Every secret found in a table or a log line, as "kind in where". */
  async findLeaks(db: DataSource, logs: string[]): Promise<string[]> {
    if (!this.secrets.size) return [];
    const tables: { table_name: string }[] = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const leaks: string[] = [];
    const check = (where: string, text: string) => {
      // small texts: any substring; large ones (a 100,000-claim report seed): every delimited word, in a set
      const words = text.length > 2_000_000 ? new Set(text.match(/[A-Za-z0-9_\-.~+/=$]{8,}/g) ?? []) : undefined;
      for (const [secret, kind] of this.secrets) {
        if (words ? words.has(secret) : text.includes(secret)) leaks.push(`${kind} in ${where}`);
      }
    };
    for (const { table_name } of tables) {
      const [{ dump }] = await db.query(`SELECT coalesce(string_agg(t::text, E'\\n'), '') AS dump FROM "${table_name}" t`);
      check(`table ${table_name}`, dump);
    }
    check('the log', logs.join(''));
    return [...new Set(leaks)];
  }
}
