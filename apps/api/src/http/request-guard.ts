import type { NextFunction, Request, Response } from 'express';
import { FieldError, UNSAFE_TEXT_MESSAGE, unsafeText } from '@huanxin/core';
import { problem } from './problem.filter';

/** Thrown from the JSON parser's `verify` hook; answered by bodyParserErrors as 400. */
export class JsonShapeError extends Error {
  readonly type = 'entity.shape.refused';
  readonly status = 400;
}

/**
 * One pass over the raw JSON bytes, before JSON.parse: refuses nesting deeper than `maxDepth` or more than
 * `maxElements` values, so no body can make validation or canonical JSON recurse into a stack overflow or
 * burn CPU. Linear in the body (which BODY_LIMIT bounds) and allocation-free.
 */
export function checkJsonShape(buf: Buffer, maxDepth: number, maxElements: number): void {
  let depth = 0;
  let elements = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw new JsonShapeError(`JSON nested deeper than ${maxDepth} levels`);
      if (++elements > maxElements) throw new JsonShapeError(`JSON with more than ${maxElements} values`);
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && ++elements > maxElements) throw new JsonShapeError(`JSON with more than ${maxElements} values`);
  }
}

/** The first field of a parsed body that no endpoint accepts: NUL, lone surrogates, non-finite numbers. */
export function findUnsafeValue(value: unknown, path = 'body'): FieldError | undefined {
  if (typeof value === 'string') {
    const bad = unsafeText(value);
    return bad ? { field: path, message: `${path} ${UNSAFE_TEXT_MESSAGE[bad]}` } : undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { field: path, message: `${path} must be a finite number` };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const e = findUnsafeValue(value[i], `${path}[${i}]`);
      if (e) return e;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const bad = unsafeText(k);
      const field = bad ? `${path}.?` : `${path}.${k}`;
      if (bad) return { field, message: `field names ${UNSAFE_TEXT_MESSAGE[bad]}` };
      const e = findUnsafeValue(v, field);
      if (e) return e;
    }
  }
  return undefined;
}

function refuse(res: Response, errors: FieldError[]): void {
  const body = problem('validation_failed', 400, 'The request has invalid characters or values', errors);
  res.status(400).type('application/problem+json').send(JSON.stringify(body));
}

/**
 * Express middleware after the JSON parser and before routing: the path, the query string and the body
 * must be text PostgreSQL and the validators can hold. One place, so no endpoint can forget it.
 */
export function requestGuard(req: Request, res: Response, next: NextFunction): void {
  const rawPath = (req.originalUrl ?? req.url ?? '').split('?')[0];
  for (const segment of rawPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return refuse(res, [{ field: 'path', message: 'the path has a malformed percent-encoding' }]);
    }
    const bad = unsafeText(decoded);
    if (bad) return refuse(res, [{ field: 'path', message: `the path ${UNSAFE_TEXT_MESSAGE[bad]}` }]);
  }
  const queryError = findUnsafeValue(req.query, 'query');
  if (queryError) return refuse(res, [queryError]);
  if (req.body !== undefined) {
    const bodyError = findUnsafeValue(req.body);
    if (bodyError) return refuse(res, [bodyError]);
  }
  next();
}
