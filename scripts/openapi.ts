import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@huanxin/config';
import { AppModule } from '../apps/api/src/app.module';
import { buildOpenApi } from '../apps/api/src/create-app';

/**
 * `node dist/scripts/openapi.js <out.json>`: the OpenAPI document of the API, as `/docs-json` serves it, built
 * without a database (Nest's preview mode wires the modules but instantiates nothing). `npm run portal:client`
 * turns it into the portal's typed client; CI checks the checked-in client is current.
 */
async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node dist/scripts/openapi.js <out.json>');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', NODE_ENV: 'development' });
  const app = await NestFactory.create(AppModule.register({ config, databaseUrl: 'postgres://preview@127.0.0.1:1/preview' }), { preview: true, logger: false, abortOnError: false });
  writeFileSync(out, `${JSON.stringify(buildOpenApi(app), null, 2)}\n`);
  await app.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
