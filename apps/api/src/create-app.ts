import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { createValidationPipe } from './http/validation';
import { enableDefaultMetrics } from './http/metrics';
import { portalMiddleware } from './http/portal';
import { SESSION_PATH } from './auth/session.controller';

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
  app.use(helmet({ contentSecurityPolicy: false }));
  // cookies matter to the web session's routes only: the rest of the API is not charged for parsing them
  app.use(SESSION_PATH, cookieParser());
  // the portal's pages at `/` (with their own strict CSP); the API stays under /v1
  const portal = portalMiddleware(opts.config.portalDir);
  if (portal) app.use(portal);
  // the JSON body parser and the request guard are Nest middleware (BodyMiddleware), after the request logger
  app.useGlobalPipes(createValidationPipe());
  if (opts.config.metricsEnabled) enableDefaultMetrics();
  const document = buildOpenApi(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}
