import { Controller, Get, Header, Injectable, NestMiddleware } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import cluster from 'node:cluster';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Public } from '@huanxin/auth';

export const registry = new Registry();
let defaultsCollected = false;

export const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const httpErrors = new Counter({
  name: 'http_problem_responses_total',
  help: 'Responses with an error status, by code class',
  labelNames: ['status'] as const,
  registers: [registry],
});

/**
 * Which API process answered this scrape (1, labelled with its pid and cluster worker id; 0 outside a cluster): with
 * API_PROCESSES > 1 each scrape of the shared port reaches one of them, and every series here is that one's.
 */
export const processInfo = new Gauge({
  name: 'huanxin_api_process_info',
  help: 'The API process that answered: pid and cluster worker id (0: not a cluster worker)',
  labelNames: ['pid', 'worker'] as const,
  registers: [registry],
});
processInfo.set({ pid: String(process.pid), worker: String(cluster.worker?.id ?? 0) }, 1);

export function enableDefaultMetrics(): void {
  if (!defaultsCollected) collectDefaultMetrics({ register: registry });
  defaultsCollected = true;
}

@Injectable()
export class MetricsMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      // the matched route pattern, not the raw URL, keeps label cardinality bounded
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      end({ method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
      if (res.statusCode >= 400) httpErrors.inc({ status: String(res.statusCode) });
    });
    next();
  }
}

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Public()
  @Get()
  @Header('Content-Type', registry.contentType)
  metrics(): Promise<string> {
    return registry.metrics();
  }
}
