import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Counter } from 'prom-client';
import type { Observable } from 'rxjs';
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

interface Answering {
  route: string;
  handler: object;
}

/**
 * Checks what routes answer against what they declare. A global interceptor (this class, registered first)
 * notes which route is handling each request; the problem filter then calls `check` for every 4xx it sends.
 * A code the route does not declare changes nothing in the answer: it is counted
 * (`http_undeclared_problems_total`), logged once per route and code, and kept for the tests, whose app
 * helper fails a file that saw one. Errors raised before a route is chosen (unknown paths, the body reader,
 * the guards) are not checked: no route answered them, and the guards throw common codes only.
 */
@Injectable()
export class ProblemDrift implements NestInterceptor {
  private readonly logger = new Logger('ProblemDrift');
  private readonly answering = new WeakMap<Request, Answering>();
  private readonly seen = new Map<string, UndeclaredProblem>();

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() === 'http') {
      const req = ctx.switchToHttp().getRequest<Request>();
      const handler = ctx.getHandler();
      const path = (req.route?.path as string | undefined) ?? `${ctx.getClass().name}.${handler.name}`;
      this.answering.set(req, { route: `${req.method} ${req.baseUrl}${path}`, handler });
    }
    return next.handle();
  }

  /** Records a 4xx answer whose code the answering route does not declare. */
  check(req: Request | undefined, status: number, code: string): void {
    if (status < 400 || status >= 500 || !req) return;
    const answering = this.answering.get(req);
    // read on the error path only, and afresh: a test may narrow a declaration to show that drift is caught
    if (!answering || declaredProblems(answering.handler).has(code)) return;
    const { route } = answering;
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
