import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { Counter } from 'prom-client';
import { declaredProblems } from '@huanxin/core';
import { registry } from './metrics';

export const undeclaredProblems = new Counter({
  name: 'http_undeclared_problems_total',
  help: "4xx answers whose problem code the route does not declare (its @ApiProblems): the OpenAPI document is wrong",
  labelNames: ['route', 'code'] as const,
  registers: [registry],
});

export interface UndeclaredProblem {
  /** `POST /v1/retailer/trade-ins` */
  route: string;
  status: number;
  code: string;
  count: number;
}

/**
 * Checks what routes answer against what they declare. A global guard (this class, registered after the
 * others, so it runs once they have let the request through) notes which route is handling each request;
 * the problem filter then calls `check` for every 4xx it sends. A guard, not an interceptor: it costs a
 * WeakMap entry per request and keeps Nest's interceptor chain (rxjs, async resources) off routes that need none.
 * A code the route does not declare changes nothing in the answer: it is counted
 * (`http_undeclared_problems_total`), logged once per route and code, and kept for the tests, whose app
 * helper fails a file that saw one. Errors raised before a route is chosen (unknown paths, the body reader,
 * the global guards) are not checked: no route answered them, and the guards throw common codes only (a
 * route's own guards, such as the log-in's, come after this one: their codes are common ones too).
 */
@Injectable()
export class ProblemDrift implements CanActivate {
  private readonly logger = new Logger('ProblemDrift');
  /** the request's execution context, kept until the request is gone (nothing is built on the way in) */
  private readonly answering = new WeakMap<Request, ExecutionContext>();
  private readonly seen = new Map<string, UndeclaredProblem>();

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() === 'http') this.answering.set(ctx.switchToHttp().getRequest<Request>(), ctx);
    return true;
  }

  /** Records a 4xx answer whose code the answering route does not declare. */
  check(req: Request | undefined, status: number, code: string): void {
    if (status < 400 || status >= 500 || !req) return;
    const answering = this.answering.get(req);
    // read on the error path only, and afresh: a test may narrow a declaration to show that drift is caught
    if (!answering || declaredProblems(answering.getHandler()).has(code)) return;
    const path = (req.route?.path as string | undefined) ?? `${answering.getClass().name}.${answering.getHandler().name}`;
    const route = `${req.method} ${req.baseUrl}${path}`;
    undeclaredProblems.inc({ route, code });
    const key = `${route} ${code}`;
    const entry = this.seen.get(key);
    if (entry) {
      entry.count++;
      return;
    }
    this.seen.set(key, { route, status, code, count: 1 });
    this.logger.warn({ route, status, code }, 'a route answered a problem code it does not declare (add it to its @ApiProblems)');
  }

  /** Every undeclared (route, code) seen so far, with how often. */
  entries(): UndeclaredProblem[] {
    return [...this.seen.values()].map((e) => ({ ...e }));
  }

  /** Forgets what was seen (a test that provokes drift on purpose). */
  clear(): void {
    this.seen.clear();
  }
}
