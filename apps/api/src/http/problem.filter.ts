import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { DomainError, ErrorCode, FieldError, safeError, statusOf } from '@huanxin/core';
import { isDatabaseUnavailable } from '@huanxin/database';
import { requestOf } from './logging';
import { ProblemDrift } from './problem-drift';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

const GENERIC_CODES: Record<number, ErrorCode> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'payload_too_large', 429: 'rate_limited', 503: 'service_unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  instance?: string;
}

/** Builds the problem+json body for a code; `type` is a stable URI per code. */
export function problem(code: string, status: number, detail: string, errors?: FieldError[]): Problem {
  // a detail may quote what the caller sent (a model code from the path): never echo more than a line of it
  const short = detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
  const p: Problem = { type: `https://huanxin.zj.gov.cn/problems/${code.replace(/_/g, '-')}`, title: TITLES[status] ?? 'Error', status, detail: short, code };
  if (errors) p.errors = errors;
  return p;
}

/**
 * The one place errors become HTTP (STYLE.md). Domain errors keep their code; framework errors get a
 * generic code; anything unknown is a bare 500 with the stack logged, never sent.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  constructor(
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
    @Optional() private readonly drift?: ProblemDrift,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = this.toProblem(exception, req);
    if (res.headersSent) return;
    // the answer is what it is; a code the route does not declare is only recorded (the OpenAPI document is wrong)
    this.drift?.check(req, body.status, body.code);
    if (body.status === 503) res.setHeader('Retry-After', String(this.config?.unavailableRetryAfterSeconds ?? 5));
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  toProblem(exception: unknown, req?: Request): Problem {
    if (isDatabaseUnavailable(exception)) {
      // an outage, not a bug: a short line (no stack), and the client is told to come back
      this.logger.warn({ err: safeError(exception), req: req && requestOf(req) }, 'database unavailable');
      return problem('service_unavailable', 503, 'The service is briefly unavailable; try again shortly');
    }
    if (exception instanceof DomainError) {
      return problem(exception.code, statusOf(exception.code), exception.message, exception.errors);
    }
    if (exception instanceof ThrottlerException) {
      return problem('rate_limited', 429, 'Too many requests; try again later');
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const resp = exception.getResponse() as string | { message?: string | string[]; code?: string };
      const message = typeof resp === 'string' ? resp : Array.isArray(resp.message) ? resp.message.join('; ') : (resp.message ?? exception.message);
      const code = (typeof resp === 'object' && resp.code) || GENERIC_CODES[status] || (status >= 500 ? 'internal_error' : 'bad_request');
      return problem(code, status, status === 404 && !resp ? 'Not found' : String(message));
    }
    this.logger.error({ err: safeError(exception), req: req && requestOf(req) }, 'unhandled error');
    return problem('internal_error', 500, 'An unexpected error occurred');
  }
}
