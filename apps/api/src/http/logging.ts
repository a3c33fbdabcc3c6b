import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { baseLoggerOptions, prettyStream } from '@huanxin/core';
import { requestId } from './request-id';

// inside Nest middleware req.url is relative to the mount point: originalUrl is what the client asked for
const pathOf = (req: IncomingMessage & { originalUrl?: string }) => (req.originalUrl ?? req.url ?? '').split('?')[0];

export function loggerParams(level: string, stream?: DestinationStream, format: 'pretty' | 'json' = 'json'): Params {
  const base = baseLoggerOptions(level, 'huanxin-api');
  const options = {
    ...base,
    genReqId: requestId,
    serializers: {
      ...base.serializers,
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
    },
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) => `${req.method} ${pathOf(req)} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse) => `${req.method} ${pathOf(req)} ${res.statusCode} failed`,
    autoLogging: { ignore: (req: { url?: string }) => !!req.url?.startsWith('/health') || req.url === '/metrics' },
  };
  const destination = stream ?? (format === 'pretty' ? prettyStream() : undefined);
  return { pinoHttp: destination ? [options, destination] : options } as Params;
}
