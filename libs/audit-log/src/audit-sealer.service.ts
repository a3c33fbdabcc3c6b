import { Injectable } from '@nestjs/common';
import { Clock, toShanghaiIso } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { auditLeafHash, eventFromRow } from './audit-event';
import { AuditLogRepository, Queryable } from './audit-log.repository';
import { EMPTY_ROOT_HEX, Frontier, TreeNode } from './merkle';
import type { SignedTreeHead } from './tree-head';
import { TreeHeadSigner } from './tree-head-signer';

/** Events per sealing transaction unless the caller says otherwise (AUDIT_SEAL_BATCH in the worker). */
export const DEFAULT_SEAL_BATCH = 5000;

/**
 * The sealer: gives committed audit events dense leaf indices, extends the Merkle tree and signs a tree head,
 * one batch per transaction. Run by the worker's `audit-seal` job; tests and the benchmark call it directly.
 *
 * ORDER. Business transactions insert events concurrently, so bigserial ids are not commit order: an event
 * can commit after one with a larger id, and a "seal everything below the largest id seen" watermark would
 * skip it for ever. The sealer never uses an id watermark; it works through COMMIT WINDOWS:
 *
 *  - A window is a PostgreSQL snapshot (`pg_current_snapshot()`, stored in audit_seal_state). It holds the
 *    events whose inserting transactions had committed when it was taken (`pg_visible_in_snapshot(tx_id, w)`)
 *    and not yet when the previous window was taken, since everything visible in that one is sealed. Events
 *    of transactions still running, including ones with smaller ids, are in no window yet; they fall into
 *    the first window taken after they commit, after everything already sealed, and are never skipped.
 *    A rolled-back transaction's events are never visible, so they take no index and leave no gap.
 *  - Windows are sealed one after another; once a window is used up, the next batch takes a new one.
 *  - Within a window, events are sealed in (tx_id, id) order: transaction by transaction (tx_id is
 *    `pg_current_xact_id()`, the top-level transaction even inside a savepoint), each transaction's events
 *    contiguous and in insertion order. A window larger than a batch continues from (tx_id, id) of the last
 *    event sealed, so a batch boundary never lets another transaction in between.
 *
 * So indices follow commit order at the granularity of the sealer's snapshots: an event committed before a
 * window was taken always precedes the events that first appear in a later window. Inside one window the
 * order is by transaction id, which respects real time: a transaction that began after another committed
 * has the larger id. (True commit order inside a window would need track_commit_timestamp, a server setting
 * the platform cannot rely on; ordering by transaction id differs from it only for transactions that ran
 * at the same time, where neither order is observable by the transactions themselves.)
 * Unlike sealing only below the oldest running transaction (snapshot xmin), one long transaction does not
 * hold back the events of those that commit around it.
 *
 * SINGLE SEALER. Each batch takes pg_advisory_xact_lock first, so any number of workers may run the job: a
 * second one waits, then reads the state the first committed. The batch writes the leaves (audit_leaves: index
 * → event; audit_events itself is never updated), the new perfect-subtree nodes (Frontier.append, restored
 * from O(log n) stored nodes), the signed head and the state in one transaction: a crash leaves all or none.
 */
@Injectable()
export class AuditSealer {
  constructor(
    private readonly db: TransactionService,
    private readonly repo: AuditLogRepository,
    private readonly signer: TreeHeadSigner,
    private readonly clock: Clock,
  ) {}

  /** Seals up to `limit` committed events in one transaction and signs the new head; answers how many. */
  sealBatch(limit: number = DEFAULT_SEAL_BATCH): Promise<number> {
    return this.db.run(async (tx) => {
      await this.repo.lockSealer(tx);
      const state = await this.repo.sealState(tx);
      let { sealedWindow, window, after } = state;
      let rows = window === null ? [] : await this.repo.unsealedInWindow(tx, window, sealedWindow, after, limit);
      if (rows.length === 0) {
        // The window is used up: all it saw is sealed, so it bounds what is left, and a new one starts now.
        sealedWindow = window ?? sealedWindow;
        window = await this.repo.currentSnapshot(tx);
        after = null;
        rows = await this.repo.unsealedInWindow(tx, window, sealedWindow, after, limit);
      }
      if (rows.length === 0) {
        // Nothing committed to seal. Publish the empty tree's head if no head exists yet. The state is not
        // written: an idle tick costs two index probes and no WAL.
        if (state.treeSize === 0) await this.ensureEmptyHead(tx);
        return 0;
      }

      const frontier = await Frontier.fromReader(this.repo.nodeReader(tx), state.treeSize);
      const nodes: TreeNode[] = [];
      for (const row of rows) {
        for (const node of frontier.append(auditLeafHash(eventFromRow(row)))) nodes.push(node);
      }
      await this.repo.insertLeaves(tx, rows.map((r) => r.id), state.treeSize);
      await this.repo.insertNodes(tx, nodes);
      await this.repo.insertHead(tx, this.signer.sign({ treeSize: frontier.size, rootHash: frontier.root(), timestamp: this.now() }));
      const last = rows[rows.length - 1];
      await this.repo.saveSealState(tx, { treeSize: frontier.size, sealedWindow, window, after: { txId: last.tx_id, eventId: last.id } });
      return rows.length;
    });
  }

  /** Seals until nothing committed is left unsealed; answers the total. For tests, tools and the benchmark. */
  async sealAll(batch: number = DEFAULT_SEAL_BATCH): Promise<number> {
    let total = 0;
    for (let n = await this.sealBatch(batch); n > 0; n = await this.sealBatch(batch)) total += n;
    return total;
  }

  /**
   * The empty tree's signed head (treeSize 0, root SHA-256("")), stored once so that a log with nothing sealed
   * yet still answers `GET /v1/audit/tree-head` with a signed head. Idempotent under races.
   */
  async ensureEmptyHead(db: Queryable = this.db.manager): Promise<SignedTreeHead> {
    const head = this.signer.sign({ treeSize: 0, rootHash: EMPTY_ROOT_HEX, timestamp: this.now() });
    await this.repo.insertHead(db, head, { ifAbsent: true });
    return (await this.repo.latestHead(db)) ?? head;
  }

  private now(): string {
    return toShanghaiIso(this.clock.now());
  }
}
