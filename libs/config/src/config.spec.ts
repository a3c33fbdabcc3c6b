import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

const env = (over: Record<string, string> = {}) => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'hx-config-')), ...over });

describe('hardening knobs', () => {
  it('DATA_ENCRYPTION_KEY: 32 bytes as hex or base64, generated and kept outside production, required in it', () => {
    const hex = 'ab'.repeat(32);
    expect(Buffer.from(loadConfig(env({ DATA_ENCRYPTION_KEY: hex })).dataEncryptionKey, 'base64url').toString('hex')).toBe(hex);
    expect(Buffer.from(loadConfig(env({ DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') })).dataEncryptionKey, 'base64url')).toEqual(Buffer.alloc(32, 1));
    expect(() => loadConfig(env({ DATA_ENCRYPTION_KEY: 'too-short-for-a-key-but-32-chars!!' }))).toThrow(/must be 32 bytes/);
    const e = env();
    expect(loadConfig(e).dataEncryptionKey).toBe(loadConfig(e).dataEncryptionKey);
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(32), ID_HASH_SECRET: 'i'.repeat(32), AUDIT_SIGNING_KEY: '{"crv":"Ed25519","d":"W5vFoTsInljTP5jC68wQtd4Rz0qXoXZP-1C0wfNu8RA","x":"AiZGUz-xVcQwBkzxAfzPb5vENUPyxwzIHBVTpARNako","kty":"OKP"}' };
    expect(() => loadConfig(env(prod))).toThrow(/DATA_ENCRYPTION_KEY is required/);
    expect(loadConfig(env({ ...prod, DATA_ENCRYPTION_KEY: hex })).logFormat).toBe('json');
  });

  it('defaults: pretty logs only in development outside CI; test-only delays refused in production', () => {
    expect(loadConfig(env({ NODE_ENV: 'development', CI: '' })).logFormat).toBe('pretty');
    expect(loadConfig(env({ NODE_ENV: 'development', CI: 'true' })).logFormat).toBe('json');
    expect(() => loadConfig(env({ LOG_FORMAT: 'xml' }))).toThrow(ConfigError);
    const c = loadConfig(env());
    expect([c.bodyMaxDepth, c.bodyMaxElements, c.dbConnectTimeoutMs, c.idempotencyLockMs, c.tokenRevocationPollMs]).toEqual([32, 10000, 10000, 60000, 2000]);
    expect(() => loadConfig(env({ NODE_ENV: 'production', JWT_SECRET: 'j'.repeat(32), ID_HASH_SECRET: 'i'.repeat(32), TRADE_IN_DEBUG_DELAY_MS: '5' }))).toThrow(/tests only/);
  });
});
