import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { bodyParserErrors } from './body-errors';
import { checkJsonShape, requestGuard } from './request-guard';

/**
 * The JSON body parser, its refusals and the request guard, as one Nest middleware: it runs after the
 * request logger, so every refusal is logged like any other answer, and before any route.
 */
@Injectable()
export class BodyMiddleware implements NestMiddleware {
  private readonly parse: ReturnType<typeof json>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { bodyLimit, bodyMaxDepth, bodyMaxElements } = config;
    this.parse = json({
      limit: bodyLimit,
      // no Content-Encoding but identity: a compressed body is refused (415) before any inflating, so a
      // broken or hostile stream costs nothing
      inflate: false,
      verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => {
        req.rawBody = buf; // Stripe webhook signatures are over the raw bytes
        checkJsonShape(buf, bodyMaxDepth, bodyMaxElements);
      },
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    this.parse(req, res, (err?: unknown) => {
      if (err) return bodyParserErrors(err as { type?: string }, req, res, next);
      requestGuard(req, res, next);
    });
  }
}
