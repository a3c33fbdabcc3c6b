import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { copyOut } from './copy-out';

export type Tx = EntityManager;

/**
 * Made by the idempotency interceptor for a request whose answer must be saved in the same transaction as the
 * work (a trade-in, a voucher), and handed by the route to its service (`@InTransactionAnswer()`), which passes
 * it to `TransactionService.run` for the work's transaction: the first such transaction that succeeds calls
 * `save` before it commits, so a committed trade-in can never lose its answer to a crash or an outage between
 * the commit and a separate write.
 *
 * Passed by hand, not through an AsyncLocalStorage: a storage in use turns on Node's promise hooks for every
 * promise of the process (issue 11: measured 4–8 % of a request's cost in the API), and a
 * transaction the work opens on the side (the day's release) can only save the answer by being given it.
 */
export interface AnswerInTransaction {
  save(tx: Tx, result: unknown): Promise<void>;
  /** true once a transaction that saved the answer has committed */
  saved: boolean;
}

/** The one way to open a transaction (STYLE.md): repositories take the transaction's EntityManager. */
@Injectable()
export class TransactionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `answer`: the request's answer to save before COMMIT (the route's `@InTransactionAnswer()`), if it has one. */
  async run<T>(work: (tx: Tx) => Promise<T>, answer?: AnswerInTransaction): Promise<T> {
    // READ COMMITTED is every session's default (data-source.ts): naming it here would cost a round trip per transaction
    if (!answer || answer.saved) return this.dataSource.transaction(work);
    let saving = false;
    const result = await this.dataSource.transaction(async (tx) => {
      const r = await work(tx);
      if (!answer.saved) {
        await answer.save(tx, r);
        saving = true;
      }
      return r;
    });
    if (saving) answer.saved = true;
    return result;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * `COPY (…) TO STDOUT` streamed from a pooled connection of its own (copy-out.ts), under `timeoutMs` when given
   * (set on that session for the statement), else the pool's `statement_timeout` (DB_STATEMENT_TIMEOUT_MS), which Node enforces too, a second later, for a reader that
   * stopped reading. Outside any transaction: a COPY is one statement, one snapshot.
   */
  copyOut(sql: string, timeoutMs?: number): Promise<Readable> {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const extra = (this.dataSource.options as { extra?: { statement_timeout?: number } }).extra;
    const timeout = timeoutMs ?? extra?.statement_timeout;
    return copyOut(pool, sql, timeout ? timeout + 1000 : undefined, timeoutMs);
  }
}
