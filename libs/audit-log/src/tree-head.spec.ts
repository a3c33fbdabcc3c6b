import { createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@huanxin/config';
import { auditLeafHash, eventFromRow } from './audit-event';
import { EMPTY_ROOT_HEX, eventLeafHash } from './merkle';
import { ed25519Thumbprint, signTreeHead, treeHeadMessage, verifyTreeHeadSignature } from './tree-head';
import { TreeHeadSigner } from './tree-head-signer';

// RFC 8037 Appendix A: the Ed25519 example key
const RFC8037 = {
  kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const env = (extra: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'hx-audit-key-'));
  dirs.push(dir);
  return { NODE_ENV: 'test', DATA_DIR: dir, JWT_SECRET: 'x'.repeat(32), ID_HASH_SECRET: 'y'.repeat(32), ...extra };
};

describe('tree heads', () => {
  it('signs exactly the canonical JSON of {treeSize, rootHash, timestamp}', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const head = { treeSize: 3, rootHash: EMPTY_ROOT_HEX, timestamp: '2026-11-11T10:30:00+08:00' };
    expect(treeHeadMessage(head).toString()).toBe(`{"rootHash":"${EMPTY_ROOT_HEX}","timestamp":"2026-11-11T10:30:00+08:00","treeSize":3}`);
    const signed = signTreeHead(head, privateKey, 'kid-1');
    expect(signed).toMatchObject({ ...head, keyId: 'kid-1' });
    expect(verify(null, treeHeadMessage(head), publicKey, Buffer.from(signed.signature, 'hex'))).toBe(true);
  });

  it('uses the RFC 7638 thumbprint as key id (RFC 8037 A.3 vector)', () => {
    expect(ed25519Thumbprint(RFC8037.x)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('verifies signatures without ever throwing on garbage', () => {
    const signer = new TreeHeadSigner(loadConfig(env({ AUDIT_SIGNING_KEY: JSON.stringify(RFC8037) })));
    const head = signer.sign({ treeSize: 0, rootHash: EMPTY_ROOT_HEX, timestamp: 't' });
    expect(verifyTreeHeadSignature(head, signer.publicJwk)).toEqual({ ok: true });
    for (const [h, k] of [
      [null, signer.publicJwk], ['head', signer.publicJwk], [{ ...head, treeSize: -1 }, signer.publicJwk],
      [{ ...head, rootHash: EMPTY_ROOT_HEX.toUpperCase() }, signer.publicJwk], [{ ...head, signature: 'zz' }, signer.publicJwk],
      [{ ...head, signature: head.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) }, signer.publicJwk],
      [head, null], [head, { kty: 'RSA' }], [head, { ...signer.publicJwk, x: 'short' }], [head, { ...signer.publicJwk, kid: 'other' }],
    ] as [unknown, unknown][]) {
      expect(verifyTreeHeadSignature(h, k).ok).toBe(false);
    }
  });
});

describe('AUDIT_SIGNING_KEY', () => {
  it('takes a private JWK or a PEM (also with escaped newlines) and serves only the public half', () => {
    const pem = createPrivateKey({ key: RFC8037, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
    for (const value of [JSON.stringify(RFC8037), pem, pem.replace(/\n/g, '\\n')]) {
      const signer = new TreeHeadSigner(loadConfig(env({ AUDIT_SIGNING_KEY: value })));
      expect(signer.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: RFC8037.x, kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', alg: 'EdDSA', use: 'sig' });
    }
  });

  it('refuses a malformed or non-Ed25519 key, and a missing one in production', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (const value of ['not a key', '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}', rsa]) {
      expect(() => loadConfig(env({ AUDIT_SIGNING_KEY: value }))).toThrow(ConfigError);
    }
    expect(() => loadConfig(env({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }))).toThrow(/AUDIT_SIGNING_KEY is required/);
  });

  it('is generated once outside production and kept under DATA_DIR', () => {
    const e = env();
    const first = new TreeHeadSigner(loadConfig(e));
    const again = new TreeHeadSigner(loadConfig(e));
    expect(again.keyId).toBe(first.keyId);
    expect(new TreeHeadSigner(loadConfig(env())).keyId).not.toBe(first.keyId);
  });
});

describe('audit events', () => {
  it('hash to the same leaf on the fast path as merkle\'s eventLeafHash, whatever the key order', () => {
    const event = eventFromRow({
      actor: { role: 'admin', kind: 'user', id: 'u1' }, action: 'claim.approved', subject_type: 'claim', subject_id: 'c1',
      details: { zeta: [{ y: 1, x: '二' }], alpha: 1.5, '10': true, '9': null }, event_time: '2026-11-11T10:00:00.000001+08:00',
    });
    expect(auditLeafHash(event).toString('hex')).toBe(eventLeafHash(event));
  });

  it('map a row to the served shape, with a null subject id and empty details kept explicit', () => {
    expect(eventFromRow({ actor: { kind: 'system', id: 'system' }, action: 'x', subject_type: 'claim', subject_id: null, details: null, event_time: 't' }))
      .toEqual({ actor: { kind: 'system', id: 'system' }, action: 'x', subject: { type: 'claim', id: null }, time: 't', details: {} });
  });
});
