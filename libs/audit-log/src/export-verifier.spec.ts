import { generateKeyPairSync } from 'node:crypto';
import type { AuditEntry, AuditEvent } from './audit-event';
import { verifyExport } from './export-verifier';
import { EMPTY_ROOT_HEX, eventLeafHash, fromHex, MemoryTree } from './merkle';
import { publicJwkOf, signTreeHead } from './tree-head';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const jwk = publicJwkOf(publicKey);

function event(k: number): AuditEvent {
  return {
    actor: { kind: 'user', id: `u-${k % 7}`, role: 'admin' },
    action: k % 2 ? 'budget.granted' : 'claim.approved',
    subject: { type: 'claim', id: k % 5 ? `c-${k}` : null },
    time: `2026-11-11T10:${String(k % 60).padStart(2, '0')}:00.000123+08:00`,
    details: { amountFen: k * 100, note: `第 ${k} 条`, nested: { b: [1, 2.5, k], a: true } },
  };
}

function build(n: number) {
  const entries: AuditEntry[] = Array.from({ length: n }, (_, k) => ({ index: k, event: event(k), leafHash: eventLeafHash(event(k)) }));
  const tree = MemoryTree.fromLeafHashes(entries.map((e) => fromHex(e.leafHash)));
  const headAt = (size: number) => signTreeHead({ treeSize: size, rootHash: tree.root(size), timestamp: '2026-11-11T10:30:00+08:00' }, privateKey, jwk.kid);
  const lines = (list: unknown[] = entries) => list.map((e) => JSON.stringify(e));
  return { entries, tree, headAt, lines };
}

describe('verifyExport (the offline verifier core)', () => {
  it('accepts a complete export, its signed head and key, and reports progress', async () => {
    const { tree, headAt, lines } = build(1000);
    const seen: number[] = [];
    const report = await verifyExport(lines(), { treeHead: headAt(1000), publicKey: jwk, progressEvery: 250, onProgress: (n) => seen.push(n) });
    expect(report).toEqual({
      ok: true, entries: 1000, rootHash: tree.root(), firstMismatch: null, mismatches: 0, broken: false,
      treeHead: { treeSize: 1000, rootHash: tree.root(), computedRoot: tree.root(), rootMatches: true, signature: 'valid' },
    });
    expect(seen).toEqual([250, 500, 750, 1000]);
  });

  it('checks a head for an earlier size against the root at that size, and reads async line sources', async () => {
    const { headAt, lines } = build(37);
    async function* source() {
      for (const line of lines()) yield line;
      yield '';
    }
    const report = await verifyExport(source(), { treeHead: headAt(20), publicKey: jwk });
    expect(report.ok).toBe(true);
    expect(report.entries).toBe(37);
    expect(report.treeHead?.rootMatches).toBe(true);
  });

  it('names the first entry whose event does not match its sealed leafHash, and counts the others', async () => {
    const { entries, headAt, lines } = build(100);
    const tampered = entries.map((e) => ({ ...e, event: { ...e.event, details: { ...e.event.details } } }));
    tampered[41].event.details.amountFen = 1;
    tampered[77].event.action = 'claim.rejected';
    const report = await verifyExport(lines(tampered), { treeHead: headAt(100), publicKey: jwk });
    expect(report.ok).toBe(false);
    expect(report.firstMismatch).toMatchObject({ index: 41, line: 42 });
    expect(report.firstMismatch?.reason).toMatch(/does not match its sealed leafHash/);
    expect(report.mismatches).toBe(2);
    expect(report.broken).toBe(false);
    expect(report.entries).toBe(100);
    expect(report.treeHead).toMatchObject({ rootMatches: false, signature: 'valid' });
  });

  it('still fails the signed head when a changed event comes with a matching forged leafHash', async () => {
    const { entries, headAt, lines } = build(64);
    const forged = entries.map((e) => ({ ...e }));
    forged[10] = { index: 10, event: { ...forged[10].event, action: 'forged' }, leafHash: '' };
    forged[10].leafHash = eventLeafHash(forged[10].event);
    const report = await verifyExport(lines(forged), { treeHead: headAt(64), publicKey: jwk });
    expect(report.firstMismatch).toBeNull();
    expect(report.ok).toBe(false);
    expect(report.treeHead).toMatchObject({ rootMatches: false, signature: 'valid' });
  });

  it('stops at a missing, repeated, malformed or non-JSON line and names the index expected there', async () => {
    const { entries, lines } = build(10);
    const cases: [unknown[] | string[], number, RegExp][] = [
      [entries.filter((e) => e.index !== 4), 4, /entry 4 is missing/],
      [[...entries.slice(0, 6), entries[5], ...entries.slice(6)], 6, /expected index 6, found 5/],
      [entries.map((e) => (e.index === 3 ? { ...e, index: '3' } : e)), 3, /expected index 3/],
      [entries.map((e) => (e.index === 2 ? { index: 2, leafHash: e.leafHash } : e)), 2, /not an entry/],
    ];
    for (const [list, index, reason] of cases) {
      const report = await verifyExport(lines(list));
      expect(report).toMatchObject({ ok: false, broken: true, firstMismatch: { index } });
      expect(report.firstMismatch?.reason).toMatch(reason);
    }
    const broken = lines();
    broken[7] = broken[7].slice(0, 20);
    expect((await verifyExport(broken)).firstMismatch).toMatchObject({ index: 7, line: 8, reason: 'the line is not valid JSON' });
  });

  it('refuses leaf hashes that are not 64 lower-case hex digits', async () => {
    const { entries, lines } = build(5);
    const upper = entries.map((e) => (e.index === 1 ? { ...e, leafHash: e.leafHash.toUpperCase() } : e));
    expect((await verifyExport(lines(upper))).firstMismatch).toMatchObject({ index: 1, reason: 'leafHash is not 64 lower-case hex digits' });
  });

  it('reports a bad signature, another key, a head the export does not reach, and a malformed head', async () => {
    const { headAt, lines } = build(8);
    const head = headAt(8);
    const other = publicJwkOf(generateKeyPairSync('ed25519').publicKey);
    const byOther = await verifyExport(lines(), { treeHead: head, publicKey: other });
    expect(byOther.treeHead).toMatchObject({ rootMatches: true, signature: 'invalid' });
    expect(byOther.treeHead?.reason).toMatch(/signed with key/);
    expect(byOther.ok).toBe(false);
    const altered = await verifyExport(lines(), { treeHead: { ...head, timestamp: '2030-01-01T00:00:00+08:00' }, publicKey: jwk });
    expect(altered.treeHead).toMatchObject({ signature: 'invalid', reason: 'the signature does not verify with this key' });
    const unchecked = await verifyExport(lines(), { treeHead: head });
    expect(unchecked).toMatchObject({ ok: true, treeHead: { signature: 'not_checked' } });
    const beyond = await verifyExport(lines().slice(0, 5), { treeHead: head, publicKey: jwk });
    expect(beyond).toMatchObject({ ok: false, entries: 5, treeHead: { computedRoot: null, rootMatches: false, signature: 'valid' } });
    const malformed = await verifyExport(lines(), { treeHead: { ...head, rootHash: 'xyz' } });
    expect(malformed).toMatchObject({ ok: false, treeHead: { treeSize: null, signature: 'not_checked' } });
  });

  it('gives the same answer whatever the batch size, blank lines included', async () => {
    const { entries, headAt, lines } = build(40);
    const tampered = entries.map((e) => (e.index === 17 ? { ...e, event: { ...e.event, action: 'x' } } : e));
    const withBlanks = (list: string[]) => list.flatMap((l, k) => (k % 6 === 5 ? ['', l, '  '] : [l]));
    const variants = [withBlanks(lines()), withBlanks(lines(tampered)), withBlanks(lines(entries.filter((e) => e.index !== 23)))];
    const expected = [{ ok: true }, { ok: false, firstMismatch: { index: 17, line: 23 } } /* 5 blank lines before it */, { ok: false, broken: true, firstMismatch: { index: 23 } }];
    for (const [v, input] of variants.entries()) {
      const reference = await verifyExport(input, { treeHead: headAt(30), publicKey: jwk });
      expect(reference).toMatchObject(expected[v]);
      for (const batchSize of [1, 3, 7, 64]) {
        expect(await verifyExport(input, { treeHead: headAt(30), publicKey: jwk, batchSize })).toEqual(reference);
      }
    }
  });

  it('treats an empty export with the empty head as valid', async () => {
    const head = signTreeHead({ treeSize: 0, rootHash: EMPTY_ROOT_HEX, timestamp: '2026-11-11T10:30:00+08:00' }, privateKey, jwk.kid);
    const report = await verifyExport([], { treeHead: head, publicKey: jwk });
    expect(report).toMatchObject({ ok: true, entries: 0, rootHash: EMPTY_ROOT_HEX, treeHead: { rootMatches: true, signature: 'valid' } });
  });
});
