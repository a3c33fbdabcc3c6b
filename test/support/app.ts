import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { Clock } from '@huanxin/core';
import { AppConfig, loadConfig } from '@huanxin/config';
import { createApp } from '../../apps/api/src/create-app';
import { ProblemDrift } from '../../apps/api/src/http/problem-drift';
import { createTestDatabase, TestDatabase } from './database';
import { Factories } from './factories';
import { SecretsSweep } from './secrets-sweep';

export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  ID_HASH_SECRET: 'test-id-hash-secret-0123456789abcdef0123456789ab',
  // one tree-head key for every app and worker of a run, so heads signed anywhere verify everywhere (test-only key)
  // one data key too: personal data encrypted by one process is read by another
  DATA_ENCRYPTION_KEY: 'dGVzdC1kYXRhLWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU',
  AUDIT_SIGNING_KEY: '{"crv":"Ed25519","d":"W5vFoTsInljTP5jC68wQtd4Rz0qXoXZP-1C0wfNu8RA","x":"AiZGUz-xVcQwBkzxAfzPb5vENUPyxwzIHBVTpARNako","kty":"OKP"}',
};

/** Environment for a test app: fast argon2, generous rate limits unless a test narrows them. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'huanxin-test-data-')),
    LOG_LEVEL: 'info',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    RATE_LIMIT_LOGIN: '10000',
    RATE_LIMIT_REGISTER: '10000',
    RATE_LIMIT_VOUCHER: '10000',
    RATE_LIMIT_DEFAULT: '100000',
    DB_POOL_SIZE: '10',
    // a loaded two-core machine can keep a racing request waiting for a pooled connection for seconds: only
    // the fault drills want the production bound, and set it themselves
    DB_CONNECT_TIMEOUT_MS: '60000',
    IDEMPOTENCY_WAIT_MS: '10000',
    SEED_DEMO: 'false',
    ...TEST_SECRETS,
    ...overrides,
  };
}

export interface TestApp {
  app: NestExpressApplication;
  http: () => TestAgent;
  db: DataSource;
  database: TestDatabase;
  config: AppConfig;
  clock: Clock;
  make: Factories;
  logs: string[];
  sweep: SecretsSweep;
  close(): Promise<void>;
}

/** Boots the whole API on a fresh database cloned from the migrated template. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig(testEnv(env));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const sweep = new SecretsSweep();
  const app = await createApp({ config, databaseUrl: database.url, logStream, observe: sweep.observe });
  const server = app.getHttpServer();
  const http = () => request(server);
  const db = app.get(DataSource);
  const t: TestApp = {
    app,
    http,
    db,
    database,
    config,
    clock: app.get(Clock),
    logs,
    make: undefined as unknown as Factories,
    sweep,
    close: async () => {
      // the secrets sweep: nothing this file's tests sent or were given as a secret is in a table or a log line
      const leaks = await sweep.findLeaks(db, logs).catch((err: Error) => [`sweep failed: ${err.message}`]);
      // the drift check: every 4xx a route answered in this file carries a code its @ApiProblems declares
      const drift = app.get(ProblemDrift).entries().map((e) => `${e.route} answered ${e.status} ${e.code} (${e.count}×)`);
      await app.close();
      await database.drop();
      const failures = [
        ...(leaks.length ? [`secrets sweep: ${leaks.join('; ')}`] : []),
        ...(drift.length ? [`problem codes the route does not declare (add them to its @ApiProblems): ${drift.join('; ')}`] : []),
      ];
      if (failures.length) throw new Error(failures.join('\n'));
    },
  };
  t.make = new Factories(t);
  return t;
}
