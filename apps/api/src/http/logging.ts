import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { requestId } from './request-id';

/**
 * Paths pino must never print. Bodies are not logged at all; these cover headers and any object a
 * developer might log by mistake. ID numbers, passwords, tokens and keys never reach a log line.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.idNumber',
  '*.householdIdNumber',
  '*.accessToken',
  '*.refreshToken',
  '*.key',
  '*.apiKey',
  '*.secret',
  '*.recyclingReceipt',
];

export function loggerParams(level: string, stream?: DestinationStream): Params {
  const options = {
    level,
    genReqId: requestId,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    customProps: () => ({ service: 'huanxin-api' }),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
    },
    autoLogging: { ignore: (req: { url?: string }) => !!req.url?.startsWith('/health') || req.url === '/metrics' },
  };
  return { pinoHttp: stream ? [options, stream] : options } as Params;
}
