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

/** `{id, method, url}` of a request, as its request line names it: for log lines written while answering it. */
export function requestOf(req: IncomingMessage & { originalUrl?: string; id?: unknown }): RequestInfo {
  return { id: req.id, method: req.method ?? '', url: pathOf(req) };
}

interface RequestInfo {
  id: unknown;
  method: string;
  url: string;
}

/** Probes and scrapes are not request-logged (they would drown the log). */
const quiet = (path: string) => path.startsWith('/health') || path === '/metrics';

export interface HttpLogging {
  /** for LoggerModule.forRoot: the application's logs (Nest's `Logger`) go to `root` */
  params: Params;
  /** Express middleware: the request id, and one line when the answer is sent */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  root: Logger;
}

/**
 * Request logging without pino-http: one pino logger (the redaction of baseLoggerOptions compiled once, at
 * start), and per request only what is needed: the request id (X-Request-Id, echoed, and kept as `req.id`), and
 * one `close` listener that writes `{req: {id, method, url}, res: {statusCode}, responseTime}` and
 * `GET /v1/… 200 3ms` (`… 500 failed` for a server error). No child logger, no serialisation of headers on
 * the way in; the query string is never logged.
 *
 * No request context (issue 11): nestjs-pino would bind a request's logger to its async context with an
 * AsyncLocalStorage, and a storage in use turns on Node's promise hooks for every promise of the process — the
 * API answered 4–8 % more requests a second without it. `Logger` calls go to the root logger; the lines that
 * concern a request (the problem filter's) name it themselves (`requestOf`: its id, method and path).
 */
export function httpLogging(level: string, stream?: DestinationStream, format: 'pretty' | 'json' = 'json'): HttpLogging {
  const options = baseLoggerOptions(level, 'huanxin-api');
  const destination = stream ?? (format === 'pretty' ? prettyStream() : undefined);
  const root = destination ? pino(options, destination) : pino(options);
  const requestLines = root.isLevelEnabled('info');

  function middleware(req: Request, res: Response, next: NextFunction): void {
    (req as Request & { id?: string }).id = requestId(req, res);
    const reqInfo = requestOf(req);
    if (requestLines && !quiet(reqInfo.url)) {
      const start = Date.now();
      res.once('close', () => logAnswer(reqInfo, res, Date.now() - start));
    }
    next();
  }

  function logAnswer(reqInfo: RequestInfo, res: ServerResponse, ms: number): void {
    const status = res.statusCode;
    const line = { req: reqInfo, res: { statusCode: status }, responseTime: ms };
    if (status >= 500) root.info(line, `${reqInfo.method} ${reqInfo.url} ${status} failed`);
    else root.info(line, `${reqInfo.method} ${reqInfo.url} ${status} ${ms}ms`);
  }

  // nestjs-pino's Logger (Nest's LoggerService on pino) without its middleware: useExisting installs no pino-http,
  // and no routes means no binding of a request logger to the request's async context (see above)
  const params: Params = { pinoHttp: { logger: root } as Params['pinoHttp'], useExisting: true, forRoutes: [] };
  return { params, middleware, root };
}
