/// <reference types="node" />
/// <reference types="jest" />
/// <reference lib="dom" />
import canonicalize from 'canonicalize';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  base64url, canonicalJson, checkKey, checkTreeHeadSignature, EMPTY_ROOT_HEX, eventLeafHash, fromHex, leafHash, nodeHash, toHex,
  treeHeadMessage, verifyEntry, verifyInclusion, webCrypto, type Bytes, type CryptoDeps, type SubtleLike,
} from './verify';

/**
 * The portal's own audit-log checks (verify.ts), with the RFC 6962 test vectors the server's Merkle code is
 * tested with. Run twice: with node:crypto, and with WebCrypto (Node's, the same API the browser page uses).
 */
interface Vectors {
  hasher: { kind: 'empty' | 'leaf' | 'node'; input_hex?: string; left_hex?: string; right_hex?: string; hash_hex: string }[];
  leaves_hex: string[];
  roots: { size: number; root_hex: string }[];
  inclusion: { size: number; index: number; proof_hex: string[] }[];
  verifier_probes: {
    inclusion: { desc: string; leaf_index: number; tree_size: number; root_hex: string; leaf_hash_hex: string; proof_hex: string[]; want_error: boolean }[];
  };
}

const vectors: Vectors = JSON.parse(readFileSync(resolve(__dirname, '../../../../../../shared/data/rfc6962_vectors.json'), 'utf8'));

const nodeDeps: CryptoDeps = {
  sha256: async (data) => Uint8Array.from(createHash('sha256').update(data).digest()),
  verifyEd25519: async (jwk, signature, message) => {
    try {
      return verify(null, message, createPublicKey({ key: { ...jwk }, format: 'jwk' }), signature);
    } catch {
      return false;
    }
  },
};
const webDeps = webCrypto(webcrypto.subtle as unknown as SubtleLike);

const rootOf = (size: number) => vectors.roots.find((r) => r.size === size)!.root_hex;

describe.each([['node:crypto', nodeDeps], ['WebCrypto', webDeps]])('audit-log verification in the portal (%s)', (_name, deps) => {
  /** RFC 6962 §2.1 MTH, the recursion as written, over leaf hashes. */
  async function mth(leaves: Bytes[]): Promise<Bytes> {
    if (leaves.length === 0) return fromHex(EMPTY_ROOT_HEX)!;
    if (leaves.length === 1) return leaves[0];
    let k = 1;
    while (k * 2 < leaves.length) k *= 2;
    return nodeHash(deps, await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
  }
  const leafHashes = () => Promise.all(vectors.leaves_hex.map((hex) => leafHash(deps, fromHex(hex)!)));

  it('hashes leaves and nodes as the RFC 6962 hasher vectors say', async () => {
    const hash = async (v: Vectors['hasher'][number]): Promise<Bytes> => {
      if (v.kind === 'leaf') return leafHash(deps, fromHex(v.input_hex)!);
      if (v.kind === 'node') return nodeHash(deps, fromHex(v.left_hex)!, fromHex(v.right_hex)!);
      return deps.sha256(new Uint8Array(0));
    };
    const got = await Promise.all(vectors.hasher.map(async (v) => toHex(await hash(v))));
    expect(got).toEqual(vectors.hasher.map((v) => v.hash_hex));
  });

  it('its hashes give the vector roots of sizes 0..8', async () => {
    const leaves = await leafHashes();
    for (const { size, root_hex } of vectors.roots) expect([size, toHex(await mth(leaves.slice(0, size)))]).toEqual([size, root_hex]);
  });

  it('accepts every vector inclusion proof, and refuses each one changed in any way', async () => {
    const leaves = await leafHashes();
    for (const v of vectors.inclusion) {
      const leaf = toHex(leaves[v.index]);
      const root = rootOf(v.size);
      expect([v.size, v.index, await verifyInclusion(deps, leaf, v.index, v.size, v.proof_hex, root)]).toEqual([v.size, v.index, true]);
      // a tampered element, a dropped or extra element, another index, another size, another leaf or root
      const changed: [string, string, number, number, string[], string][] = v.proof_hex.map((p, i) => {
        const tampered = [...v.proof_hex];
        tampered[i] = p.slice(0, 10) + (p[10] === '0' ? '1' : '0') + p.slice(11);
        return [`element ${i}`, leaf, v.index, v.size, tampered, root];
      });
      changed.push(['extra element', leaf, v.index, v.size, [...v.proof_hex, leaf], root]);
      if (v.proof_hex.length) changed.push(['dropped element', leaf, v.index, v.size, v.proof_hex.slice(1), root]);
      changed.push(['another index', leaf, v.index ^ 1, v.size, v.proof_hex, root]);
      // the size is bound by the signed head, not by the path: the path of one size does not lead to another size's root
      if (v.size < 8) changed.push(['another size', leaf, v.index, v.size + 1, v.proof_hex, rootOf(v.size + 1)]);
      changed.push(['another leaf', toHex(leaves[(v.index + 1) % 8]), v.index, v.size, v.proof_hex, root]);
      changed.push(['another root', leaf, v.index, v.size, v.proof_hex, rootOf(v.size === 8 ? 7 : v.size + 1)]);
      for (const [what, ...args] of changed) expect([v.size, v.index, what, await verifyInclusion(deps, ...args)]).toEqual([v.size, v.index, what, false]);
    }
  });

  it('answers the transparency-dev inclusion probes as wanted (valid ones true, every wantErr false)', async () => {
    const probes = vectors.verifier_probes.inclusion;
    expect(probes.length).toBeGreaterThan(50);
    for (const p of probes) {
      const ok = await verifyInclusion(deps, p.leaf_hash_hex, p.leaf_index, p.tree_size, p.proof_hex, p.root_hex);
      expect({ probe: p.desc, ok }).toEqual({ probe: p.desc, ok: !p.want_error });
    }
  });

  it('never throws on garbage', async () => {
    const leaf = toHex(new Uint8Array(32));
    for (const args of [[null, 0, 1, [], leaf], [leaf, -1, 1, [], leaf], [leaf, 0, 1.5, [], leaf], [leaf, 0, 1, 'x', leaf],
      [leaf, 0, 2, ['zz'], leaf], [leaf, 0, 2, [leaf.slice(2)], leaf], [leaf, 0, 1, [], 'ABC'], [leaf, 0, 2 ** 60, [], leaf]] as const) {
      await expect(verifyInclusion(deps, ...(args as unknown as [string, number, number, string[], string]))).resolves.toBe(false);
    }
  });

  it('checks a tree head signed as the server signs it, and refuses any change to it', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const kid = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
    const body = { treeSize: 5, rootHash: rootOf(5), timestamp: '2026-11-11T10:30:05+08:00' };
    // the server's message: JCS of the three fields (keys sorted: rootHash, timestamp, treeSize)
    expect(new TextDecoder().decode(treeHeadMessage(body))).toBe(`{"rootHash":"${rootOf(5)}","timestamp":"2026-11-11T10:30:05+08:00","treeSize":5}`);
    const head = { ...body, signature: sign(null, Buffer.from(canonicalize(body)!, 'utf8'), privateKey).toString('hex'), keyId: kid };
    const jwk = { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };

    expect(await checkKey(deps, head, jwk)).toEqual({ ok: true });
    expect(await checkTreeHeadSignature(deps, head, jwk)).toEqual({ ok: true });
    for (const changed of [{ treeSize: 6 }, { rootHash: rootOf(4) }, { timestamp: '2026-11-11T10:30:06+08:00' },
      { signature: head.signature.replace(/^../, head.signature.startsWith('00') ? '01' : '00') }]) {
      expect(await checkTreeHeadSignature(deps, { ...head, ...changed }, jwk)).toEqual({ ok: false, reason: 'signature_invalid' });
    }
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
    expect(await checkTreeHeadSignature(deps, head, { ...jwk, x: other })).toEqual({ ok: false, reason: 'signature_invalid' });
    expect(await checkKey(deps, head, { ...jwk, x: other, kid: undefined })).toEqual({ ok: false, reason: 'key_mismatch' });
    expect(await checkKey(deps, { ...head, keyId: 'someone-else' }, jwk)).toEqual({ ok: false, reason: 'key_mismatch' });
    expect(await checkTreeHeadSignature(deps, head, { kty: 'RSA' })).toEqual({ ok: false, reason: 'key_malformed' });
    expect(await checkTreeHeadSignature(deps, { ...head, treeSize: '5' }, jwk)).toEqual({ ok: false, reason: 'head_malformed' });
    expect(await checkTreeHeadSignature(deps, { ...head, signature: 'abc' }, jwk)).toEqual({ ok: false, reason: 'signature_invalid' });
  });

  it('verifies an audit entry end to end, and names what fails when the event, the proof or the head is changed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const kid = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
    const events = Array.from({ length: 5 }, (_, i) => ({
      actor: { kind: 'user', id: `u-${i}`, role: 'auditor' }, action: i % 2 ? 'claim.approved' : 'claim.submitted',
      subject: { type: 'claim', id: i === 3 ? null : `c-${i}` }, time: `2026-11-11T10:0${i}:00.123456+08:00`,
      details: { reason: '核实无误 ✓', amountFen: 119980 + i, nested: { z: 1, a: [true, null, 'é'] } },
    }));
    // the server's leaf: SHA-256(0x00 ‖ canonicalize(event))
    const leaves = events.map((e) => createHash('sha256').update(Buffer.from([0])).update(canonicalize(e)!, 'utf8').digest());
    expect(await Promise.all(events.map((e) => eventLeafHash(deps, e)))).toEqual(leaves.map((l) => l.toString('hex')));
    const root = toHex(await mth(leaves.map((l) => Uint8Array.from(l))));
    const body = { treeSize: 5, rootHash: root, timestamp: '2026-11-11T10:30:05+08:00' };
    const head = { ...body, signature: sign(null, Buffer.from(canonicalize(body)!), privateKey).toString('hex'), keyId: kid };
    const publicKeyJwk = { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
    // the path of leaf 1 in a tree of 5: leaf 0, node(2,3), leaf 4
    const auditPath = [leaves[0].toString('hex'), toHex(await nodeHash(deps, leaves[2], leaves[3])), leaves[4].toString('hex')];
    const entry = { index: 1, event: events[1], leafHash: leaves[1].toString('hex') };
    const proof = { index: 1, treeSize: 5, leafHash: leaves[1].toString('hex'), auditPath };

    const good = await verifyEntry(deps, { head, publicKey: publicKeyJwk, entry, proof });
    expect(good).toEqual({ ok: true, leafHash: entry.leafHash, key: { ok: true }, signature: { ok: true }, leaf: { ok: true }, inclusion: { ok: true } });

    const tamperedPath = [auditPath[0], auditPath[1].replace(/.$/, (c) => (c === '0' ? '1' : '0')), auditPath[2]];
    const badProof = await verifyEntry(deps, { head, publicKey: publicKeyJwk, entry, proof: { ...proof, auditPath: tamperedPath } });
    expect(badProof).toMatchObject({ ok: false, signature: { ok: true }, leaf: { ok: true }, inclusion: { ok: false, reason: 'proof_invalid' } });

    // the event changed after sealing: it no longer hashes to the sealed leaf, nor to the proof's
    const changedEvent = { ...entry, event: { ...events[1], details: { ...events[1].details, amountFen: 1 } } };
    const changed = await verifyEntry(deps, { head, publicKey: publicKeyJwk, entry: changedEvent, proof });
    expect(changed).toMatchObject({ ok: false, leaf: { ok: false, reason: 'sealed_leaf_mismatch' }, inclusion: { ok: false, reason: 'proof_invalid' } });

    const forged = await verifyEntry(deps, { head: { ...head, rootHash: toHex(new Uint8Array(32)) }, publicKey: publicKeyJwk, entry, proof });
    expect(forged).toMatchObject({ ok: false, signature: { ok: false, reason: 'signature_invalid' }, inclusion: { ok: false } });

    const otherSize = await verifyEntry(deps, { head, publicKey: publicKeyJwk, entry, proof: { ...proof, treeSize: 4 } });
    expect(otherSize).toMatchObject({ ok: false, inclusion: { ok: false, reason: 'proof_mismatch' } });
    expect(await verifyEntry(deps, { head, publicKey: publicKeyJwk, entry: null, proof })).toMatchObject({ ok: false, leaf: { reason: 'entry_malformed' } });
  });
});

describe('canonical JSON (RFC 8785) and base64url', () => {
  it('writes what the canonicalize package (the server’s JCS) writes', () => {
    const samples: unknown[] = [
      null, true, 0, -0, 1e21, 1e-7, 0.1 + 0.2, -123.456, 'a"b\\c\n\t\u0001\u001f€😀', [], {}, [1, 'x', null, [{}]],
      { b: 1, a: 2, A: 3, é: 4, '😀': 5, '\u20ac': 6, '\r': 7, 10: 8, 2: 9, '': 10 },
      { numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000001], string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/', literals: [null, true, false] },
      { nested: { z: [3, { y: 'y', x: 'x' }], a: undefined, m: 'keep' } },
    ];
    for (const s of samples) expect(canonicalJson(s)).toBe(canonicalize(s));
    expect(() => canonicalJson(NaN)).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });

  it('encodes base64url as Buffer does', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 255);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });
});
