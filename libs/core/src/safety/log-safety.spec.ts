import { Writable } from 'node:stream';
import pino from 'pino';
import { baseLoggerOptions } from './logger-options';
import { safeError, scrubText, statementName } from './log-safety';
import { lookupHash, maskPhone, openField, sealField } from './cipher';
import { unsafeText } from './text';

function capture() {
  const lines: string[] = [];
  const logger = pino(baseLoggerOptions('trace', 'test'), new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  return { logger, text: () => lines.join('') };
}

/** A database error as TypeORM raises it: the whole statement and its parameters hang off it. */
function queryFailed(): Error {
  const err = Object.assign(new Error('duplicate key value violates unique constraint "users_phone_hash_key"'), {
    query: 'INSERT INTO users (id, phone_hash, password_hash) VALUES ($1, $2, $3)',
    parameters: ['7d1c…', '13800000001', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
    driverError: { code: '23505', constraint: 'users_phone_hash_key', table: 'users', detail: 'Key (phone_hash)=(abc) already exists.', severity: 'ERROR' },
  });
  Object.defineProperty(err, 'name', { value: 'QueryFailedError' });
  return err;
}

describe('log safety', () => {
  it('keeps what identifies a database failure and drops its parameters, detail and message', () => {
    const safe = safeError(queryFailed());
    expect(safe).toMatchObject({ code: '23505', constraint: 'users_phone_hash_key', table: 'users', statement: 'INSERT INTO users' });
    const text = JSON.stringify(safe);
    expect(text).not.toContain('13800000001');
    expect(text).not.toContain('argon2');
    expect(text).not.toContain('already exists');
    expect(safe).not.toHaveProperty('message');
  });

  it('a logger with the base options writes no secret whichever way an error is logged', () => {
    const { logger, text } = capture();
    const err = queryFailed();
    logger.error(err);
    logger.error({ err }, 'insert failed');
    logger.error({ cause: err });
    logger.warn(new Error('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl for 13800000001'));
    logger.info('user 330106199003070014 paid to 6222 0202 0011 2233');
    const out = text();
    for (const secret of ['13800000001', 'argon2', 'eyJhbGciOiJIUzI1NiJ9', '330106199003070014', '6222 0202 0011 2233']) expect(out).not.toContain(secret);
    expect(out).toContain('23505');
    expect(out.split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('scrubs secrets from free text but leaves ordinary messages readable', () => {
    expect(scrubText('POST /v1/auth/register 201 1234ms')).toBe('POST /v1/auth/register 201 1234ms');
    expect(scrubText('job batch done on 2026-12-02')).toBe('job batch done on 2026-12-02');
    expect(scrubText('POST /v1/admin/retailers/a6cf26c4-ae29-44db-b5ad-7d1218031859/staff 201')).toContain('a6cf26c4-ae29-44db-b5ad-7d1218031859');
    expect(scrubText('key hx_abcdefghijklmnop and mail a.b@example.cn')).toBe('key [redacted] and mail [redacted]');
    expect(statementName('  WITH x AS (SELECT 1) UPDATE claims SET status = $1')).toBe('SELECT');
    expect(statementName('DELETE FROM idempotency_keys WHERE key = $1')).toBe('DELETE FROM idempotency_keys');
  });
});

describe('sealed fields and look-up hashes', () => {
  const key = Buffer.alloc(32, 7).toString('base64url');

  it('a sealed field opens only with its key and its context', () => {
    const sealed = sealField(key, '6222020200112233445', 'retailers.bank:r1');
    expect(sealed).not.toContain('6222020200112233445');
    expect(openField(key, sealed, 'retailers.bank:r1')).toBe('6222020200112233445');
    expect(() => openField(key, sealed, 'retailers.bank:r2')).toThrow();
    expect(() => openField(Buffer.alloc(32, 8).toString('base64url'), sealed, 'retailers.bank:r1')).toThrow();
    expect(sealField(key, 'x', 'c')).not.toBe(sealField(key, 'x', 'c')); // a fresh IV each time
  });

  it('look-up hashes are keyed and purpose-bound; phones are masked', () => {
    expect(lookupHash('s', 'phone', '13800000001')).toBe(lookupHash('s', 'phone', '13800000001'));
    expect(lookupHash('s', 'phone', '13800000001')).not.toBe(lookupHash('t', 'phone', '13800000001'));
    expect(lookupHash('s', 'phone', '13800000001')).not.toBe(lookupHash('s', 'email', '13800000001'));
    expect(maskPhone('13800000001')).toBe('138****0001');
  });

  it('finds NUL and lone surrogates, and passes real Unicode', () => {
    expect(unsafeText('a\u0000b')).toBe('nul');
    expect(unsafeText('a\ud800')).toBe('lone_surrogate');
    expect(unsafeText('\udc00a')).toBe('lone_surrogate');
    expect(unsafeText('电视 😀')).toBeUndefined();
  });
});
