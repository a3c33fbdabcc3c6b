import { Injectable } from '@nestjs/common';
import { Clock, toShanghaiIso } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { eventFromRow } from './audit-event';
import { AuditLogRepository, Queryable } from './audit-log.repository';
import { canonicalJson, EMPTY_ROOT_HEX, Frontier, leafHash, TreeNode } from './merkle';
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
 * skip it for ever. The sealer never uses a watermark. An event stays unsealed (leaf_index NULL, in the
 * partial index audit_events_unsealed) until a batch takes it, and batches take only events whose inserting
 * transaction is visible, i.e. committed:
 *
 *  - The sealer works through COMMIT WINDOWS. A window is a PostgreSQL snapshot (`pg_current_snapshot()`,
 *    stored in audit_seal_state); it holds the unsealed events whose transactions had committed when it was
 *    taken (`pg_visible_in_snapshot(tx_id, window)`). Events of transactions still running then, including
 *    ones with smaller ids, are not in it; they are sealed in a later window, after everything already sealed,
 *    and never skipped. Once a window is used up the next batch takes a new one.
 *  - Within a window, events are sealed in (tx_id, id) order: transaction by transaction (tx_id is
 *    `pg_current_xact_id()`, the top-level transaction even inside a savepoint), each transaction's events
 *    contiguous and in insertion order. A window larger than a batch continues from (tx_id, id) of the last
 *    event sealed, so a batch boundary never lets another transaction in between.
 *
 * So indices follow commit order at the granularity of the sealer's snapshots: an event committed before a
 * window was taken always precedes the events that first appear in a later window. Inside one window the
 * order is by transaction id, which respects real time: a transaction that began after another committed
 * has the larger id. (True commit order inside a window would need track_commit_timestamp, a server setting
 * the platform cannot rely on; transactions in one window overlapped, so none of them saw another's commit.)
 * Unlike sealing only below the oldest running transaction (snapshot xmin), one long transaction does not
 * hold back the events of those that commit around it.
 *
 * SINGLE SEALER. Each batch takes pg_advisory_xact_lock first, so any number of workers may run the job: a
 * second one waits, then reads the state the first committed. The batch writes the leaf indices, the new
 * perfect-subtree nodes (Frontier.append, restored from O(log n) stored nodes), the signed head and the state
 * in one transaction: a crash leaves either all of it or none.
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
      let window = state.window;
      let after = state.after;
      let rows = window === null ? [] : await this.repo.unsealedInWindow(tx, window, after, limit);
      if (rows.length === 0) {
        window = await this.repo.currentSnapshot(tx);
        after = null;
        rows = await this.repo.unsealedInWindow(tx, window, after, limit);
      }
      if (rows.length === 0) {
        // Nothing committed to seal. Publish the empty tree's head if no head exists yet; the state is left
        // as it is (a used-up window costs one empty index probe next time).
        if (state.treeSize === 0) await this.ensureEmptyHead(tx);
        return 0;
      }

      const frontier = await Frontier.fromReader(this.repo.nodeReader(tx), state.treeSize);
      const nodes: TreeNode[] = [];
      for (const row of rows) {
        for (const node of frontier.append(leafHash(Buffer.from(canonicalJson(eventFromRow(row)), 'utf8')))) nodes.push(node);
      }
      await this.repo.markSealed(tx, rows.map((r) => r.id), state.treeSize);
      await this.repo.insertNodes(tx, nodes);
      await this.repo.insertHead(tx, this.signer.sign({ treeSize: frontier.size, rootHash: frontier.root(), timestamp: this.now() }));
      const last = rows[rows.length - 1];
      await this.repo.saveSealState(tx, { treeSize: frontier.size, window, after: { txId: last.tx_id, eventId: last.id } });
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
