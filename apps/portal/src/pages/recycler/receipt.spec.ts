/// <reference types="node" />
/// <reference types="jest" />
import { createHash } from 'node:crypto';
import { CompactSign, generateKeyPair } from 'jose';
import { decodeReceipt, shortHash } from './receipt';

/** The slip page's local decoding of a receipt (receipt.ts), against receipts signed as a recycler's system does. */
describe('portal: decodeReceipt', () => {
  const holderIdHash = createHash('sha256').update('huanxin-receipt-v1:11010519491231002X').digest('hex');
  const payload = {
    rid: 'R-2026-000123', iss: '3f1c9a52-7b0e-4d7a-9d2c-1c8f0c6e5a11', iat: 1762828200, holderIdHash,
    device: { category: 'tv', brand: '海信 Hisense', model: '55E3F', serialNumber: 'SN-ÄÖ-1', screenInches: 55 },
  };
  const sign = async (p: unknown) => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    return new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'hx-receipt+jwt' }).sign(privateKey);
  };

  it('reads rid, time, device (UTF-8 included) and holder hash; keeps the JWS whole for the QR code', async () => {
    const jws = await sign(payload);
    const wrapped = `  ${jws.slice(0, 60)}\n${jws.slice(60, 200)}\r\n ${jws.slice(200)} \n`;
    const out = decodeReceipt(wrapped);
    expect(out).toEqual({
      receipt: {
        jws, rid: payload.rid, iss: payload.iss, issuedAt: '2025-11-11T02:30:00.000Z', holderIdHash, device: payload.device,
      },
    });
  });

  it('names what is wrong with a malformed receipt', async () => {
    const jws = await sign(payload);
    const [h, , s] = jws.split('.');
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(decodeReceipt('hello')).toEqual({ problem: 'shape' });
    expect(decodeReceipt(`${h}.${part(payload)}`)).toEqual({ problem: 'shape' });
    expect(decodeReceipt(`${h}.${part(payload)}.`)).toEqual({ problem: 'shape' });
    expect(decodeReceipt(`${h}.${part(payload)}.${s}.x`)).toEqual({ problem: 'shape' });
    expect(decodeReceipt(`${h}.${'x'.repeat(9000)}.${s}`)).toEqual({ problem: 'shape' });
    expect(decodeReceipt(`${h}.bm90IGpzb24.${s}`)).toEqual({ problem: 'json' });
    expect(decodeReceipt(`${h}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.${s}`)).toEqual({ problem: 'json' });
    expect(decodeReceipt(`${h}.${part([1, 2])}.${s}`)).toEqual({ problem: 'json' });
    for (const broken of [
      { ...payload, rid: '' }, { ...payload, iat: 'yesterday' }, { ...payload, iat: 1.5 }, { ...payload, holderIdHash: 'ABC' },
      { ...payload, holderIdHash: holderIdHash.toUpperCase() }, { ...payload, device: undefined }, { ...payload, device: { brand: 'x' } },
    ]) expect(decodeReceipt(`${h}.${part(broken)}.${s}`)).toEqual({ problem: 'fields' });
    // optional device details may be missing or odd: shown as unknown, not refused
    const bare = decodeReceipt(`${h}.${part({ ...payload, device: { category: 'tv', screenInches: 'big' } })}.${s}`);
    expect(bare).toMatchObject({ receipt: { device: { category: 'tv', brand: undefined, screenInches: undefined } } });
  });

  it('shortens a digest for the eye', () => {
    expect(shortHash(holderIdHash)).toBe(`${holderIdHash.slice(0, 8)}…${holderIdHash.slice(-4)}`);
  });
});
