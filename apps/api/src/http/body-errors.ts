import type { NextFunction, Request, Response } from 'express';
import { problem } from './problem.filter';

/**
 * body-parser's failures happen before Nest routes the request, so they are answered here, in the
 * same problem+json shape: malformed JSON is a validation failure; an oversized body is 413.
 */
export function bodyParserErrors(err: { type?: string; status?: number; message?: string } | undefined, _req: Request, res: Response, next: NextFunction): void {
  if (!err) return next();
  let body;
  if (err.type === 'entity.parse.failed') {
    body = problem('validation_failed', 400, 'Request body is not valid JSON', [{ field: 'body', message: 'malformed JSON' }]);
  } else if (err.type === 'entity.shape.refused') {
    body = problem('validation_failed', 400, 'Request body is nested too deeply or has too many values', [{ field: 'body', message: err.message ?? 'too deep' }]);
  } else if (err.type === 'entity.too.large') {
    body = problem('payload_too_large', 413, 'Request body is too large');
  } else if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
    body = problem('bad_request', 415, 'Unsupported request encoding: send JSON in UTF-8 without Content-Encoding');
  } else if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    // any other refusal of the body parser (aborted request, bad length, …): the client's fault, never a 500
    body = problem(err.status === 413 ? 'payload_too_large' : 'bad_request', err.status === 413 ? 413 : 400, 'The request body could not be read');
  } else {
    return next(err);
  }
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
