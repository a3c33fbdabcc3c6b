import { Client } from 'pg';
import { CLAIM_STATUSES, ClaimSettlementRepository, claimPhase } from '@huanxin/claims';
import { TransactionService, Tx } from '@huanxin/database';
import { startTestApp, TestApp } from '../support/app';
import { Scenario } from '../support/scenario';
import { approvedClaims, programId } from '../support/settlement';

/**
 * Service level, no HTTP: claims' `phase` column (migration HeapOnlyClaimMoves) and the indexes written on it. A payout
 * moves a claim approved → in_payout → paid (or back) without changing any indexed value, so PostgreSQL rewrites the
 * row on its own page (a heap-only tuple) and no index of claims gains an entry: counted here with PostgreSQL's
 * per-transaction counters, never timed.
 */
describe('claims: phase, and payout moves that touch no index (service)', () => {
  let t: TestApp;
  let c: Client;

  beforeAll(async () => {
    t = await startTestApp();
    c = new Client({ connectionString: t.database.url });
    await c.connect();
  }, 120_000);
  afterAll(async () => {
    await c?.end();
    await t?.close();
  });

  /**
   * Runs `work` in a transaction and counts the row updates of claims it made, and how many were heap-only (the
   * backend's counters before and after: PostgreSQL 15 adds a committed transaction's counts to them until it next
   * reports its statistics, so only the difference within one transaction is this transaction's).
   */
  async function counted<T>(work: (tx: Tx) => Promise<T>): Promise<{ result: T; updated: number; heapOnly: number }> {
    return t.app.get(TransactionService).run(async (tx) => {
      const read = async (): Promise<{ updated: number; heapOnly: number }> => (await tx.query(
        `SELECT pg_stat_get_xact_tuples_updated('claims'::regclass)::int AS updated, pg_stat_get_xact_tuples_hot_updated('claims'::regclass)::int AS "heapOnly"`))[0];
      const before = await read();
      const result = await work(tx);
      const after = await read();
      return { result, updated: after.updated - before.updated, heapOnly: after.heapOnly - before.heapOnly };
    });
  }

  /**
   * Waits until nothing can still need a row version replaced before this call: only then may the next visit to a
   * page prune the replaced versions and reuse their room. Two things hold them: a snapshot of this database older
   * than the call (the app's background work, an autovacuum ANALYZE), and a transaction of ANY database that was
   * running at the call — a new snapshot's xmin is the oldest running transaction of the whole cluster, and pruning
   * takes nothing at or past it as gone without a closer look (CI runs other suites' transactions beside this one).
   * While either lasts, a move finds its page full and is not heap-only: a fact about the moment, not about the
   * indexes this test is about.
   */
  async function settled(): Promise<void> {
    const { rows: [{ next }] } = await c.query(`SELECT xid(pg_snapshot_xmax(pg_current_snapshot()))::text AS next`);
    const deadline = Date.now() + 50_000;
    for (;;) {
      const { rows: [{ n }] } = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid()
           AND (age(backend_xid) > age($1::xid) OR (datname = current_database() AND age(backend_xmin) > age($1::xid)))`, [next]);
      if (n === 0) return;
      if (Date.now() > deadline) throw new Error(`a transaction older than xid ${next} is still open after 50 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('the stored phase is claimPhase(status) for every status', async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const [claim] = await approvedClaims(s, 1);
    const seen: Record<string, string> = {};
    for (const status of CLAIM_STATUSES) {
      // placed behind the state machine's back (replica role: triggers do not fire), as setup only
      await c.query('BEGIN');
      await c.query(`SET LOCAL session_replication_role = replica`);
      seen[status] = (await c.query(`UPDATE claims SET status = $2 WHERE id = $1 RETURNING phase`, [claim.id, status])).rows[0].phase;
      await c.query('ROLLBACK');
    }
    expect(seen).toEqual(Object.fromEntries(CLAIM_STATUSES.map((x) => [x, claimPhase(x)])));
    expect(new Set(Object.values(seen))).toEqual(new Set(['pending_review', 'settlement', 'rejected', 'cancelled', 'clawed_back']));
    expect(() => claimPhase('lost' as never)).toThrow(RangeError);
  }, 60_000);

  it('no index of claims names status, so a move within the settlement phase changes no indexed value', async () => {
    const rows: { name: string; def: string }[] = (await c.query(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i WHERE i.indrelid = 'claims'::regclass`)).rows;
    expect(rows.filter((r) => /\bstatus\b/.test(r.def)).map((r) => r.def)).toEqual([]);
    // the uniques that keep a serial, a receipt and an invoice subsidised once are still there, on the live phases
    for (const name of ['claims_serial_live', 'claims_receipt_live', 'claims_invoice_live']) {
      expect(rows.find((r) => r.name === name)?.def).toMatch(/^CREATE UNIQUE INDEX .* WHERE \(phase <> ALL \(ARRAY\['rejected'::text, 'cancelled'::text\]\)\)$/);
    }
    const [{ options }] = (await c.query(`SELECT reloptions AS options FROM pg_class WHERE oid = 'claims'::regclass`)).rows;
    expect(options).toContain('fillfactor=50');
  });

  it("a run's move and the payment's move are heap-only; a move to another phase is not", async () => {
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const claims = await approvedClaims(s, 12);
    const ids = claims.map((x) => x.id);
    const pid = await programId(t, s.programCode);
    const repo = t.app.get(ClaimSettlementRepository);

    // each move in its own transaction, as a run and the gateway's answer are: the page is pruned in between
    await settled();
    const run = await counted((tx) => repo.moveForPayout(tx, pid, [s.retailer.id], new Date()));
    expect(run.result.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(run).toMatchObject({ updated: 12, heapOnly: 12 });

    await settled();
    const paid = await counted((tx) => repo.moveMany(tx, ids, 'in_payout', 'paid', new Date()));
    expect(paid.result.sort()).toEqual([...ids].sort());
    expect(paid).toMatchObject({ updated: 12, heapOnly: 12 });

    // a clawback leaves the settlement phase: the indexes on phase must learn of it
    const clawed = await counted((tx) => repo.moveMany(tx, ids.slice(0, 2), 'paid', 'clawed_back', new Date()));
    expect(clawed).toMatchObject({ updated: 2, heapOnly: 0 });
    expect((await counted((tx) => repo.clawedBack(tx, pid, [s.retailer.id]))).result.map((x) => x.id).sort()).toEqual(ids.slice(0, 2).sort());

    // the SQL settlement embeds keeps to the state machine and takes only statement parameters and plain names
    expect(() => repo.moveCte({ ids: 'lines', from: 'paid', to: 'in_payout', at: '$1' })).toThrow(RangeError);
    expect(() => repo.moveCte({ ids: 'lines; DROP TABLE claims', from: 'in_payout', to: 'paid', at: '$1' })).toThrow(/plain name/);
    expect(() => repo.payoutMoveCte({ program: "'x' OR true", retailers: '$2::uuid[]', at: '$3' })).toThrow(/parameter/);
  }, 120_000);
});
