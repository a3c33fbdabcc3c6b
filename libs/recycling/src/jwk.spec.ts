import { exportJWK, generateKeyPair } from 'jose';
import { DomainError } from '@huanxin/core';
import { checkEd25519PublicJwk, jwkThumbprint, parseEd25519PublicJwk } from './jwk';

async function pair() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { pub: await exportJWK(publicKey), priv: await exportJWK(privateKey) };
}

describe('Ed25519 public JWKs', () => {
  it('accepts a public key and keeps only kty, crv and x', async () => {
    const { pub } = await pair();
    const key = await parseEd25519PublicJwk({ ...pub, kid: 'a', use: 'sig', alg: 'EdDSA', key_ops: ['verify'], ext: true }, 'publicKeyJwk', 'a');
    expect(key).toEqual({ kty: 'OKP', crv: 'Ed25519', x: pub.x });
  });

  it('refuses a private key by naming "d" only, never repeating its value', async () => {
    const { priv } = await pair();
    const errors = checkEd25519PublicJwk(priv);
    expect(errors.map((e) => e.field)).toEqual(['publicKeyJwk.d']);
    expect(JSON.stringify(errors)).not.toContain(priv.d);
    await expect(parseEd25519PublicJwk(priv)).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it.each([
    ['kty', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['crv', { kty: 'OKP', crv: 'X25519', x: Buffer.alloc(32).toString('base64url') }],
    ['x', { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(16).toString('base64url') }],
    ['x', { kty: 'OKP', crv: 'Ed25519', x: 42 }],
    ['use', { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url'), use: 'enc' }],
    ['key_ops', { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url'), key_ops: ['sign'] }],
  ])('names %s when it is wrong', (member, jwk) => {
    expect(checkEd25519PublicJwk(jwk).map((e) => e.field)).toContain(`publicKeyJwk.${member}`);
  });

  it('refuses non-canonical base64url in x (padding, or stray bits in the last character)', () => {
    const x = Buffer.alloc(32, 1).toString('base64url');
    const strayBits = x.slice(0, 42) + String.fromCharCode(x.charCodeAt(42) + 1);
    for (const bad of [`${x}=`, strayBits]) {
      expect(checkEd25519PublicJwk({ kty: 'OKP', crv: 'Ed25519', x: bad }).map((e) => e.field)).toEqual(['publicKeyJwk.x']);
    }
  });

  it.each([null, [], 'jwk', 7])('refuses %p as a whole', (jwk) => {
    expect(checkEd25519PublicJwk(jwk)).toEqual([{ field: 'publicKeyJwk', message: expect.any(String) }]);
  });

  it('throws DomainError validation_failed listing every fault', async () => {
    const err = await parseEd25519PublicJwk({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).errors?.map((e) => e.field).sort()).toEqual(['publicKeyJwk.crv', 'publicKeyJwk.kty', 'publicKeyJwk.x', 'publicKeyJwk.y']);
  });

  it('gives an RFC 7638 thumbprint', async () => {
    // RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key
    const key = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    expect(await jwkThumbprint(key)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});
