import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';
import { baseLoggerOptions, prettyStream } from '@huanxin/core';
import { requestId } from './request-id';

// inside Nest middleware req.url is relative to the mount point: originalUrl is what the client asked for
const pathOf = (req: IncomingMessage & { originalUrl?: string }) => {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** Probes and scrapes are not request-logged (they would drown the log). */
const quiet = (path: string) => path.startsWith('/health') || path === '/metrics';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * The logger a request's own log calls go to (nestjs-pino hands it to every `Logger` call made while the
 * request is handled): a child bound to `req: {id, method, url}`, made on the first call only, since most
 * requests log nothing but their one line.
 */
class RequestLog {
  private bound: Logger | undefined;

  constructor(private readonly root: Logger, private readonly req: { id: string; method: string; url: string }) {}

  private get log(): Logger {
    return (this.bound ??= this.root.child({ req: this.req }));
  }

  trace(...args: unknown[]): void { this.call('trace', args); }
  debug(...args: unknown[]): void { this.call('debug', args); }
  info(...args: unknown[]): void { this.call('info', args); }
  warn(...args: unknown[]): void { this.call('warn', args); }
  error(...args: unknown[]): void { this.call('error', args); }
  fatal(...args: unknown[]): void { this.call('fatal', args); }

  child(bindings: Record<string, unknown>): Logger {
    return this.log.child(bindings);
  }

  private call(level: Level, args: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    (this.log[level] as (...a: unknown[]) => void)(...args);
  }
}

export interface HttpLogging {
  /** for LoggerModule.forRoot: the application's logs go to `root`, inside a request to the request's logger */
  params: Params;
  /** Express middleware: the request id, the request's logger, and one line when the answer is sent */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  root: Logger;
}

/**
 * Request logging without pino-http: one pino logger (the redaction of baseLoggerOptions compiled once, at
 * start), and per request only what is needed: the request id (X-Request-Id, echoed), a request logger made
 * lazily, and one `close` listener that writes `{req: {id, method, url}, res: {statusCode}, responseTime}` and
 * `GET /v1/… 200 3ms` (`… 500 failed` for a server error). No child logger, no serialisation of headers on
 * the way in; the query string is never logged.
 */
export function httpLogging(level: string, stream?: DestinationStream, format: 'pretty' | 'json' = 'json'): HttpLogging {
  const options = baseLoggerOptions(level, 'huanxin-api');
  const destination = stream ?? (format === 'pretty' ? prettyStream() : undefined);
  const root = destination ? pino(options, destination) : pino(options);
  const requestLines = root.isLevelEnabled('info');

  function middleware(req: Request, res: Response, next: NextFunction): void {
    const id = requestId(req, res);
    const path = pathOf(req);
    const reqInfo = { id, method: req.method, url: path };
    (req as Request & { id?: string }).id = id;
    (req as unknown as { log: unknown }).log = new RequestLog(root, reqInfo);
    if (requestLines && !quiet(path)) {
      const start = Date.now();
      res.once('close', () => logAnswer(reqInfo, res, Date.now() - start));
    }
    next();
  }

  function logAnswer(reqInfo: { id: string; method: string; url: string }, res: ServerResponse, ms: number): void {
    const status = res.statusCode;
    const line = { req: reqInfo, res: { statusCode: status }, responseTime: ms };
    if (status >= 500) root.info(line, `${reqInfo.method} ${reqInfo.url} ${status} failed`);
    else root.info(line, `${reqInfo.method} ${reqInfo.url} ${status} ${ms}ms`);
  }

  // useExisting: nestjs-pino installs no pino-http, only its binding of `req.log` to the request's async context
  const params: Params = { pinoHttp: { logger: root } as Params['pinoHttp'], useExisting: true };
  return { params, middleware, root };
}
