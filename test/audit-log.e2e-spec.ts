import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import type { Response } from 'supertest';
import {
  AuditSealer,
  AuditService,
  EMPTY_ROOT_HEX,
  eventLeafHash,
  fromHex,
  MemoryTree,
  verifyConsistency,
  verifyExport,
  verifyInclusion,
} from '@huanxin/audit-log';
import { SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { startTestApp, TestApp } from './support/app';
import { uniq } from './support/ids';

type Auth = { Authorization: string };

interface Entry {
  index: number;
  event: { actor: Record<string, unknown>; action: string; subject: { type: string; id: string | null }; time: string; details: Record<string, unknown> };
  leafHash: string;
}

interface Head {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  signature: string;
  keyId: string;
}

const sealer = (t: TestApp) => t.app.get(AuditSealer);

async function head(t: TestApp, auth: Auth): Promise<Head> {
  return (await t.http().get('/v1/audit/tree-head').set(auth).expect(200)).body;
}

async function allEntries(t: TestApp, auth: Auth): Promise<Entry[]> {
  const out: Entry[] = [];
  for (;;) {
    const res = await t.http().get(`/v1/audit/entries?from=${out.length}&limit=1000`).set(auth).expect(200);
    if (res.body.items.length === 0) return out;
    out.push(...res.body.items);
  }
}

/** The export as text: supertest does not buffer application/x-ndjson by itself. */
async function exportText(t: TestApp, auth: Auth): Promise<{ text: string; treeSize: number }> {
  const res: Response = await t.http()
    .get('/v1/audit/export.jsonl')
    .set(auth)
    .buffer(true)
    .parse((r, cb) => {
      let data = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => (data += chunk));
      r.on('end', () => cb(null, data));
    })
    .expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
  return { text: res.body as string, treeSize: Number(res.headers['x-audit-tree-size']) };
}

const lines = (text: string) => text.split('\n');

/** The signature checked with node:crypto alone, on JSON built by hand: independent of the library's code. */
function signatureVerifies(h: Head, jwk: Record<string, unknown>): boolean {
  const message = JSON.stringify({ rootHash: h.rootHash, timestamp: h.timestamp, treeSize: h.treeSize });
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, format: 'jwk' });
  return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(h.signature, 'hex'));
}

/** Appends one event in its own committed transaction, as a business action would. */
function appendCommitted(t: TestApp, action: string, subjectId = uniq()) {
  return t.app.get(TransactionService).run((tx) => t.app.get(AuditService).append(tx, SYSTEM_ACTOR, { action, subjectType: 'test', subjectId }));
}

/** A transaction left open, to commit (or roll back) later: what a slow business transaction looks like. */
async function openTransaction(t: TestApp) {
  const qr = t.db.createQueryRunner();
  await qr.connect();
  await qr.startTransaction('READ COMMITTED');
  return {
    append: (action: string, subjectId = uniq()) => t.app.get(AuditService).append(qr.manager, SYSTEM_ACTOR, { action, subjectType: 'test', subjectId }),
    query: (sql: string, params?: unknown[]) => qr.query(sql, params),
    commit: async () => {
      await qr.commitTransaction();
      await qr.release();
    },
    rollback: async () => {
      await qr.rollbackTransaction();
      await qr.release();
    },
  };
}

async function rowsBySubject(t: TestApp, subjectIds: string[]): Promise<{ id: number; subject_id: string; leaf_index: number | null }[]> {
  const rows = await t.db.query(
    `SELECT e.id, e.subject_id, l.leaf_index FROM audit_events e LEFT JOIN audit_leaves l ON l.event_id = e.id
      WHERE e.subject_id = ANY($1) ORDER BY e.id`,
    [subjectIds],
  );
  return rows.map((r: { id: string; subject_id: string; leaf_index: string | null }) => ({
    id: Number(r.id), subject_id: r.subject_id, leaf_index: r.leaf_index === null ? null : Number(r.leaf_index),
  }));
}

async function expectDense(t: TestApp): Promise<number> {
  const [row] = await t.db.query(
    `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS distinct_n, coalesce(max(leaf_index), -1)::int AS max,
            (SELECT tree_size::int FROM audit_seal_state) AS size
       FROM audit_leaves`,
  );
  expect(row.distinct_n).toBe(row.n);
  expect(row.max).toBe(row.n - 1);
  expect(row.size).toBe(row.n);
  return row.n;
}

describe('audit log (e2e)', () => {
  let t: TestApp;
  let admin: Auth;
  let auditor: Auth;
  let household: Awaited<ReturnType<TestApp['make']['household']>>;
  let staffPasswords: string[];
  let jwk: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestApp();
    const a = await t.make.admin();
    const au = await t.make.auditor();
    admin = a.auth;
    auditor = au.auth;
    household = await t.make.household({ city: 'ningbo' });
    staffPasswords = [a.password, au.password];
    // an admin action through the API, and a failed login
    await t.http().post('/v1/admin/users').set(admin).send({ email: `aud-${uniq().toLowerCase()}@example.gov.cn`, password: 'another-auditor-pw', name: '审计', role: 'auditor' }).expect(201);
    staffPasswords.push('another-auditor-pw');
    await t.http().post('/v1/auth/login').send({ username: household.phone, password: 'wrong-password-123' }).expect(401);
    await sealer(t).sealAll();
    jwk = (await t.http().get('/v1/audit/public-key').set(auditor).expect(200)).body;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('seals the events of business actions with dense indices 0..n-1 and serves them by index', async () => {
    const n = await expectDense(t);
    const [{ unsealed }] = await t.db.query(
      `SELECT count(*)::int AS unsealed FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.event_id = e.id)`);
    expect(unsealed).toBe(0);
    const entries = await allEntries(t, auditor);
    expect(entries.map((e) => e.index)).toEqual([...Array(n).keys()]);
    for (const e of entries) {
      expect(Object.keys(e.event).sort()).toEqual(['action', 'actor', 'details', 'subject', 'time']);
      expect(e.event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+08:00$/);
      expect(e.leafHash).toBe(eventLeafHash(e.event));
    }
    const actions = entries.map((e) => e.event.action);
    expect(actions).toEqual(expect.arrayContaining(['user.created', 'household.registered', 'auth.login', 'auth.login_failed']));
    const registered = entries.find((e) => e.event.action === 'household.registered' && e.event.subject.id === household.id);
    expect(registered?.event).toMatchObject({ subject: { type: 'user', id: household.id }, details: { city: 'ningbo' } });

    const page = await t.http().get('/v1/audit/entries?from=2&limit=3').set(admin).expect(200);
    expect(page.body.items.map((e: Entry) => e.index)).toEqual([2, 3, 4]);
    expect((await t.http().get(`/v1/audit/entries?from=${n + 10}`).set(admin).expect(200)).body).toEqual({ items: [] });
  });

  it('signs tree heads with the key GET /v1/audit/public-key serves', async () => {
    const h = await head(t, auditor);
    expect(h.treeSize).toBe(await expectDense(t));
    expect(h.rootHash).toMatch(/^[0-9a-f]{64}$/);
    expect(h.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: h.keyId });
    expect(jwk).not.toHaveProperty('d');
    expect(signatureVerifies(h, jwk)).toBe(true);
    expect(signatureVerifies({ ...h, treeSize: h.treeSize + 1 }, jwk)).toBe(false);
    // the root is the RFC 6962 root of the served entries' leaf hashes
    const entries = await allEntries(t, auditor);
    expect(MemoryTree.fromLeafHashes(entries.map((e) => fromHex(e.leafHash))).root()).toBe(h.rootHash);
  });

  it('serves an inclusion proof for every index that verifies against the signed root', async () => {
    const h = await head(t, auditor);
    const entries = await allEntries(t, auditor);
    for (const e of entries) {
      const res = await t.http().get(`/v1/audit/proofs/inclusion?index=${e.index}&treeSize=${h.treeSize}`).set(auditor).expect(200);
      expect(res.body).toMatchObject({ index: e.index, treeSize: h.treeSize, leafHash: e.leafHash });
      expect(verifyInclusion(res.body.leafHash, e.index, h.treeSize, res.body.auditPath, h.rootHash)).toBe(true);
    }
    // treeSize defaults to the latest head; any sealed size is allowed, not only those with a head
    const byDefault = await t.http().get('/v1/audit/proofs/inclusion?index=0').set(admin).expect(200);
    expect(byDefault.body.treeSize).toBe(h.treeSize);
    const tree = MemoryTree.fromLeafHashes(entries.map((e) => fromHex(e.leafHash)));
    const mid = Math.max(1, Math.floor(h.treeSize / 2));
    const res = await t.http().get(`/v1/audit/proofs/inclusion?index=${mid - 1}&treeSize=${mid}`).set(admin).expect(200);
    expect(verifyInclusion(res.body.leafHash, mid - 1, mid, res.body.auditPath, tree.root(mid))).toBe(true);
  });

  it('serves consistency proofs between two signed heads', async () => {
    const before = await head(t, auditor);
    await t.make.household();
    await appendCommitted(t, 'test.more');
    expect(await sealer(t).sealAll()).toBeGreaterThan(0);
    const after = await head(t, auditor);
    expect(after.treeSize).toBeGreaterThan(before.treeSize);
    expect(signatureVerifies(after, jwk)).toBe(true);

    const res = await t.http().get(`/v1/audit/proofs/consistency?from=${before.treeSize}&to=${after.treeSize}`).set(auditor).expect(200);
    expect(res.body.from).toBe(before.treeSize);
    expect(res.body.to).toBe(after.treeSize);
    expect(verifyConsistency(before.treeSize, after.treeSize, res.body.proof, before.rootHash, after.rootHash)).toBe(true);
    expect(verifyConsistency(before.treeSize, after.treeSize, res.body.proof, EMPTY_ROOT_HEX, after.rootHash)).toBe(false);

    // every older size, against the roots of the served leaves
    const tree = MemoryTree.fromLeafHashes((await allEntries(t, auditor)).map((e) => fromHex(e.leafHash)));
    for (let m = 1; m <= after.treeSize; m++) {
      const r = await t.http().get(`/v1/audit/proofs/consistency?from=${m}`).set(admin).expect(200);
      expect(r.body.to).toBe(after.treeSize);
      expect(verifyConsistency(m, after.treeSize, r.body.proof, tree.root(m), after.rootHash)).toBe(true);
    }
    // from the empty tree and to itself: nothing to prove
    expect((await t.http().get(`/v1/audit/proofs/consistency?from=0&to=${after.treeSize}`).set(admin).expect(200)).body.proof).toEqual([]);
    expect((await t.http().get(`/v1/audit/proofs/consistency?from=${after.treeSize}&to=${after.treeSize}`).set(admin).expect(200)).body.proof).toEqual([]);
  });

  it('refuses bad proof and page parameters with clear codes', async () => {
    const h = await head(t, auditor);
    const get = (q: string) => t.http().get(q).set(auditor);
    const r1 = await get(`/v1/audit/proofs/inclusion?index=${h.treeSize}&treeSize=${h.treeSize}`).expect(400);
    expect(r1.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'index' }] });
    expect((await get(`/v1/audit/proofs/inclusion?index=0&treeSize=${h.treeSize + 1000}`).expect(404)).body.code).toBe('not_found');
    expect((await get(`/v1/audit/proofs/consistency?from=${h.treeSize}&to=1`).expect(400)).body.errors[0].field).toBe('from');
    expect((await get(`/v1/audit/proofs/consistency?from=1&to=${h.treeSize + 1}`).expect(404)).body.code).toBe('not_found');
    for (const q of [
      '/v1/audit/proofs/inclusion', '/v1/audit/proofs/inclusion?index=', '/v1/audit/proofs/inclusion?index=abc',
      '/v1/audit/proofs/inclusion?index=-1', '/v1/audit/proofs/inclusion?index=1e2', '/v1/audit/proofs/inclusion?index=0&treeSize=0',
      '/v1/audit/proofs/inclusion?index=0&extra=1', '/v1/audit/proofs/consistency', '/v1/audit/proofs/consistency?from=1.5',
      '/v1/audit/entries?limit=0', '/v1/audit/entries?limit=1001', '/v1/audit/entries?from=-1', `/v1/audit/entries?from=${2 ** 53}`,
    ]) {
      const res = await get(q);
      expect([q, res.status, res.body.code]).toEqual([q, 400, 'validation_failed']);
    }
  });

  it('lets only auditors and admins read the log', async () => {
    const retailer = await t.make.retailer();
    const paths = ['/v1/audit/entries', '/v1/audit/tree-head', '/v1/audit/proofs/inclusion?index=0', '/v1/audit/proofs/consistency?from=1',
      '/v1/audit/public-key', '/v1/audit/export.jsonl'];
    for (const path of paths) {
      expect((await t.http().get(path)).status).toBe(401);
      expect((await t.http().get(path).set(household.auth)).status).toBe(403);
      expect((await t.http().get(path).set(retailer.auth)).status).toBe(403);
      expect((await t.http().get(path).set(retailer.keyAuth)).status).toBe(403);
      expect((await t.http().get(path).set(auditor)).status).toBe(200);
      expect((await t.http().get(path).set(admin)).status).toBe(200);
    }
  });

  it('exports every sealed entry as JSON lines that the offline verifier accepts', async () => {
    await sealer(t).sealAll();
    const h = await head(t, auditor);
    const { text, treeSize } = await exportText(t, auditor);
    expect(treeSize).toBe(h.treeSize);
    expect(text.endsWith('\n')).toBe(true);
    const parsed = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(parsed).toEqual(await allEntries(t, auditor));

    let progress = 0;
    const report = await verifyExport(lines(text), { treeHead: h, publicKey: jwk, progressEvery: 5, onProgress: () => progress++ });
    expect(report).toMatchObject({ ok: true, entries: h.treeSize, rootHash: h.rootHash, firstMismatch: null, mismatches: 0 });
    expect(report.treeHead).toMatchObject({ rootMatches: true, signature: 'valid' });
    expect(progress).toBe(Math.floor(h.treeSize / 5));

    // a head from another key fails, and so does a head for a size the export does not reach
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    expect((await verifyExport(lines(text), { treeHead: h, publicKey: otherKey })).treeHead?.signature).toBe('invalid');
    expect((await verifyExport(lines(text), { treeHead: { ...h, timestamp: `${h.timestamp} ` }, publicKey: jwk })).treeHead?.signature).toBe('invalid');
    const short = await verifyExport(lines(text).slice(0, 3), { treeHead: h });
    expect(short.ok).toBe(false);
    expect(short.treeHead?.computedRoot).toBeNull();
  });

  it('never holds ID numbers, passwords or keys', async () => {
    await sealer(t).sealAll();
    const { text } = await exportText(t, admin);
    const d = createPrivateKey(t.config.auditSigningKey).export({ format: 'jwk' }).d as string;
    const secrets = [household.idNumber, household.password, ...staffPasswords, d, t.config.jwtSecret, t.config.idHashSecret, household.refreshToken];
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    const raw = JSON.stringify(await t.db.query(`SELECT actor, details FROM audit_events`));
    for (const secret of secrets) expect(raw.includes(secret)).toBe(false);
  });

  it('seals an event whose transaction commits late after those sealed meanwhile, never skipping it', async () => {
    const [a, b, c] = [uniq('A'), uniq('B'), uniq('C')];
    const slow = await openTransaction(t);
    await slow.append('test.slow', a); // smaller id, still uncommitted
    await appendCommitted(t, 'test.fast', b); // larger id, committed
    await sealer(t).sealAll();
    const [slowRow] = await slow.query(
      `SELECT e.id::int AS id, l.leaf_index FROM audit_events e LEFT JOIN audit_leaves l ON l.event_id = e.id WHERE e.subject_id = $1`, [a]);
    let rows = await rowsBySubject(t, [a, b]);
    expect(rows.map((r) => r.subject_id)).toEqual([b]); // A is not visible outside its transaction yet
    expect(slowRow.id).toBeLessThan(rows[0].id);
    expect(slowRow.leaf_index).toBeNull();
    const indexOfB = rows[0].leaf_index as number;
    expect(indexOfB).toBe((await head(t, auditor)).treeSize - 1);

    await slow.commit();
    await appendCommitted(t, 'test.after', c);
    await sealer(t).sealAll();
    rows = await rowsBySubject(t, [a, b, c]);
    expect(rows.map((r) => [r.subject_id, r.leaf_index])).toEqual([[a, indexOfB + 1], [b, indexOfB], [c, indexOfB + 2]]);
    await expectDense(t);

    // a rolled-back event is never sealed and leaves no hole
    const aborted = await openTransaction(t);
    const gone = uniq('R');
    await aborted.append('test.aborted', gone);
    await aborted.rollback();
    await appendCommitted(t, 'test.after-rollback');
    await sealer(t).sealAll();
    expect(await rowsBySubject(t, [gone])).toEqual([]);
    await expectDense(t);
  });

  it('keeps each transaction contiguous and in insertion order, also across batch boundaries', async () => {
    const x = await openTransaction(t);
    const y = await openTransaction(t);
    const xs = [uniq('X'), uniq('X'), uniq('X')];
    const ys = [uniq('Y'), uniq('Y'), uniq('Y')];
    for (let k = 0; k < 3; k++) {
      await x.append('test.x', xs[k]); // x takes its transaction id first
      await y.append('test.y', ys[k]);
    }
    await y.commit();
    await x.commit();
    while ((await sealer(t).sealBatch(2)) > 0);
    const rows = await rowsBySubject(t, [...xs, ...ys]);
    const indexOf = (s: string) => rows.find((r) => r.subject_id === s)?.leaf_index as number;
    const first = indexOf(xs[0]);
    expect([...xs, ...ys].map(indexOf)).toEqual([0, 1, 2, 3, 4, 5].map((k) => first + k));
    await expectDense(t);
  });

  it('keeps indices dense and every proof valid when events are appended while several sealers run', async () => {
    const before = await head(t, auditor);
    const writers = Array.from({ length: 24 }, (_, k) => (async () => {
      await new Promise((r) => setTimeout(r, (k * 7) % 40));
      await t.app.get(TransactionService).run(async (tx) => {
        for (let e = 0; e <= k % 3; e++) await t.app.get(AuditService).append(tx, SYSTEM_ACTOR, { action: 'test.concurrent', subjectType: 'test', subjectId: `w${k}` });
      });
    })());
    const sealers = [0, 1, 2].map(async (s) => {
      for (let round = 0; round < 8; round++) {
        await sealer(t).sealBatch(3 + s);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    await Promise.all([...writers, ...sealers]);
    await Promise.all([sealer(t).sealAll(), sealer(t).sealAll()]);
    const n = await expectDense(t);

    // each writer's events stayed together
    const rows = await t.db.query(`SELECT e.subject_id, l.leaf_index::int AS i FROM audit_events e JOIN audit_leaves l ON l.event_id = e.id
      WHERE e.action = 'test.concurrent' ORDER BY l.leaf_index`);
    expect(rows.length).toBe(48); // 24 writers × 1–3 events, each sealed once
    const spans = new Map<string, number[]>();
    for (const r of rows) spans.set(r.subject_id, [...(spans.get(r.subject_id) ?? []), r.i]);
    for (const indices of spans.values()) expect(indices[indices.length - 1] - indices[0]).toBe(indices.length - 1);

    const after = await head(t, auditor);
    expect(after.treeSize).toBe(n);
    const entries = await allEntries(t, auditor);
    expect(MemoryTree.fromLeafHashes(entries.map((e) => fromHex(eventLeafHash(e.event)))).root()).toBe(after.rootHash);
    const res = await t.http().get(`/v1/audit/proofs/consistency?from=${before.treeSize}&to=${after.treeSize}`).set(auditor).expect(200);
    expect(verifyConsistency(before.treeSize, after.treeSize, res.body.proof, before.rootHash, after.rootHash)).toBe(true);
    // every signed head is consistent with the latest one
    const heads = await t.db.query(`SELECT tree_size::int AS size, encode(root_hash, 'hex') AS root FROM audit_tree_heads WHERE tree_size > 0 ORDER BY tree_size`);
    for (const { size, root } of heads) {
      const p = await t.http().get(`/v1/audit/proofs/consistency?from=${size}&to=${after.treeSize}`).set(auditor).expect(200);
      expect(verifyConsistency(size, after.treeSize, p.body.proof, root, after.rootHash)).toBe(true);
    }
  });
});

describe('an empty audit log (e2e)', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('answers a signed head of the empty tree, no entries and an empty export', async () => {
    t = await startTestApp();
    const auditor = (await t.make.auditor()).auth; // its events exist but are not sealed yet
    const h = await head(t, auditor);
    expect(h).toMatchObject({ treeSize: 0, rootHash: EMPTY_ROOT_HEX });
    const jwk = (await t.http().get('/v1/audit/public-key').set(auditor).expect(200)).body;
    expect(signatureVerifies(h, jwk)).toBe(true);
    expect(await head(t, auditor)).toEqual(h); // stored once, not re-signed on every request
    expect((await t.http().get('/v1/audit/entries').set(auditor).expect(200)).body).toEqual({ items: [] });
    const { text, treeSize } = await exportText(t, auditor);
    expect([text, treeSize]).toEqual(['', 0]);
    const report = await verifyExport(lines(text), { treeHead: h, publicKey: jwk });
    expect(report).toMatchObject({ ok: true, entries: 0, rootHash: EMPTY_ROOT_HEX });
    expect((await t.http().get('/v1/audit/proofs/consistency?from=0&to=0').set(auditor).expect(200)).body).toEqual({ from: 0, to: 0, proof: [] });
    expect((await t.http().get('/v1/audit/proofs/inclusion?index=0').set(auditor).expect(400)).body.code).toBe('validation_failed');
    // the first seal moves on from the empty head
    expect(await sealer(t).sealAll()).toBeGreaterThan(0);
    const next = await head(t, auditor);
    expect(next.treeSize).toBeGreaterThan(0);
    expect(signatureVerifies(next, jwk)).toBe(true);
  });
});

describe('a tampered audit log (e2e)', () => {
  let t: TestApp;
  let auditor: Auth;
  let household: Awaited<ReturnType<TestApp['make']['household']>>;

  beforeAll(async () => {
    t = await startTestApp();
    auditor = (await t.make.auditor()).auth;
    await t.make.admin();
    household = await t.make.household({ city: 'hangzhou' });
    await t.make.household();
    await sealer(t).sealAll();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('refuses changes to sealed events and to the tree through the append-only triggers', async () => {
    const [row] = await t.db.query(`SELECT event_id AS id FROM audit_leaves WHERE leaf_index = 0`);
    await expect(t.db.query(`UPDATE audit_events SET details = '{}' WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM audit_events WHERE id = $1`, [row.id])).rejects.toThrow(/append-only/);
    await expect(t.db.query(`UPDATE audit_leaves SET event_id = event_id WHERE leaf_index = 0`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`UPDATE audit_tree_nodes SET hash = hash WHERE level = 0 AND idx = 0`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM audit_tree_heads`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`TRUNCATE audit_events CASCADE`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`TRUNCATE audit_tree_nodes`)).rejects.toThrow(/append-only/);
  });

  it('exposes a sealed event changed behind the triggers\' back: the verifier and the proofs name its index', async () => {
    const jwk = (await t.http().get('/v1/audit/public-key').set(auditor).expect(200)).body;
    const old = await head(t, auditor);
    expect((await verifyExport(lines((await exportText(t, auditor)).text), { treeHead: old, publicKey: jwk })).ok).toBe(true);

    // a malicious DBA with the table owner's rights: disable the trigger, rewrite one row, put the trigger back
    const [{ target }] = await t.db.query(
      `SELECT l.leaf_index::int AS target FROM audit_events e JOIN audit_leaves l ON l.event_id = e.id
        WHERE e.action = 'household.registered' AND e.subject_id = $1`, [household.id]);
    expect(target).toBeGreaterThan(0);
    expect(target).toBeLessThan(old.treeSize - 1);
    await t.db.transaction(async (tx) => {
      await tx.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await tx.query(`UPDATE audit_events SET details = details || '{"city": "wenzhou"}'
        WHERE id = (SELECT event_id FROM audit_leaves WHERE leaf_index = $1)`, [target]);
      await tx.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    });

    // the offline verifier names exactly that index, and the signed head no longer matches
    const { text } = await exportText(t, auditor);
    const report = await verifyExport(lines(text), { treeHead: old, publicKey: jwk });
    expect(report.ok).toBe(false);
    expect(report.firstMismatch).toMatchObject({ index: target, line: target + 1 });
    expect(report.mismatches).toBe(1);
    expect(report.treeHead).toMatchObject({ rootMatches: false, signature: 'valid' });

    // the API: the entry no longer hashes to its sealed leaf, and its inclusion proof fails against the old head
    const [entry] = (await t.http().get(`/v1/audit/entries?from=${target}&limit=1`).set(auditor).expect(200)).body.items;
    expect(entry.event.details.city).toBe('wenzhou');
    expect(eventLeafHash(entry.event)).not.toBe(entry.leafHash);
    const proof = (await t.http().get(`/v1/audit/proofs/inclusion?index=${target}&treeSize=${old.treeSize}`).set(auditor).expect(200)).body;
    expect(proof.leafHash).toBe(eventLeafHash(entry.event));
    expect(verifyInclusion(proof.leafHash, target, old.treeSize, proof.auditPath, old.rootHash)).toBe(false);
    expect(verifyInclusion(entry.leafHash, target, old.treeSize, proof.auditPath, old.rootHash)).toBe(true); // what was sealed
    for (const other of [0, target - 1, target + 1, old.treeSize - 1]) {
      const p = (await t.http().get(`/v1/audit/proofs/inclusion?index=${other}&treeSize=${old.treeSize}`).set(auditor).expect(200)).body;
      expect(verifyInclusion(p.leafHash, other, old.treeSize, p.auditPath, old.rootHash)).toBe(true);
    }

    // a root recomputed from the rows as they are now differs from the old signed head
    const entries = await allEntries(t, auditor);
    const fromRows = MemoryTree.fromLeafHashes(entries.map((e) => fromHex(eventLeafHash(e.event))));
    expect(fromRows.root(old.treeSize)).not.toBe(old.rootHash);
    const firstDiffering = entries.findIndex((e) => eventLeafHash(e.event) !== e.leafHash);
    expect(firstDiffering).toBe(target);
  });
});
