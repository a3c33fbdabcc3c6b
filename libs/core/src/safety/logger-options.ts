import type { DestinationStream, LoggerOptions } from 'pino';
import { safeError, safeLogFields, safeLogMethod } from './log-safety';

/**
 * Paths pino must never print. Bodies are not logged at all; these cover headers and any object a
 * developer might log by mistake. ID numbers, passwords, tokens and keys never reach a log line.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.idNumber',
  '*.householdIdNumber',
  '*.phone',
  '*.accountNumber',
  '*.accessToken',
  '*.refreshToken',
  '*.key',
  '*.apiKey',
  '*.secret',
  '*.recyclingReceipt',
  '*.parameters',
  '*.query',
];

/**
 * What every process logs with (API and worker): errors through `safeError` (no SQL parameters, no
 * message that may quote a value) wherever they appear in a log call, and the redaction list.
 */
export function baseLoggerOptions(level: string, service: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // the pid says which process wrote a line when several API processes share a port (API_PROCESSES)
    base: { service, pid: process.pid },
    serializers: { err: safeError, error: safeError },
    formatters: { log: safeLogFields },
    hooks: { logMethod: safeLogMethod },
  };
}

/** `LOG_FORMAT=pretty` (development): one short coloured line per request instead of JSON. */
export function prettyStream(): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty');
  return pretty({
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,service,req,res,responseTime,context,reqId',
  });
}

