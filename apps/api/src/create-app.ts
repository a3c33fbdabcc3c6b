import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions, HTTP_LOGGING } from './app.module';
import type { HttpLogging } from './http/logging';
import { securityHeaders } from './http/security-headers';
import { createValidationPipe } from './http/validation';
import { enableDefaultMetrics } from './http/metrics';
import { portalMiddleware } from './http/portal';
import { SESSION_PATH } from './auth/session.controller';
import { LIVE } from './health/health.controller';
import { requestId } from './http/request-id';

export function buildOpenApi(app: INestApplication) {
  const doc = new DocumentBuilder()
    .setTitle('Huanxin API')
    .setDescription('Old-for-new subsidies on 4K/8K televisions: the HTTP contract of API.md')
    .setVersion('1')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, doc);
}

/** The API as one Nest application, shared by `main.ts` and the end-to-end tests. */
export async function createApp(opts: AppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(opts), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  if (opts.observe) app.use(opts.observe);
  app.set('trust proxy', opts.config.trustProxy);
  app.disable('x-powered-by');
  // no ETag on the API's answers: Express would hash every body (POSTs and refusals included) for a revalidation no
  // client of the API asks for; the portal's files keep theirs (served with their own ETag and caching rules)
  app.set('etag', false);
  // helmet's headers (the portal sets its own CSP), computed once at start
  app.use(securityHeaders({ contentSecurityPolicy: false }));
  // liveness outside the chain: probes (and floods of them) cost a constant answer, with the security headers and
  // a request id like every answer, but no logging, metrics, rate limit or guard (HealthController.live documents it)
  (app.getHttpAdapter().getInstance() as Express).get('/health/live', (req: Request, res: Response) => {
    requestId(req, res);
    res.json(LIVE);
  });
  // cookies matter to the web session's routes only: the rest of the API is not charged for parsing them
  app.use(SESSION_PATH, cookieParser());
  // the portal's pages at `/` (with their own strict CSP); the API stays under /v1
  const portal = portalMiddleware(opts.config.portalDir);
  if (portal) app.use(portal);
  app.useGlobalPipes(createValidationPipe());
  if (opts.config.metricsEnabled) enableDefaultMetrics();
  const document = buildOpenApi(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  // the request id and the request's log line, for everything Nest answers (the portal's pages and /docs are not
  // logged, as before); the JSON body parser and the request guard are Nest middleware (BodyMiddleware), after it
  app.use(app.get<HttpLogging>(HTTP_LOGGING).middleware);
  await app.init();
  return app;
}
