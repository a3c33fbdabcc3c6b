import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import type { BankImportReport, PayoutStatus } from '../settlement.types';

/** The payment file written for a run, with its control totals. */
export interface BankFile {
  fileName: string;
  messageId: string;
  nbOfTxs: number;
  ctrlSumFen: number;
}

/** The latest imported bank record of a payout, with the payout's own amount. */
export interface BankRecord {
  payoutId: string;
  endToEndId: string;
  status: 'paid' | 'failed' | 'pending';
  /** What the bank booked, when it says (a statement); null for a status report. */
  amountFen: number | null;
  payoutAmountFen: number;
}

/** A bank-file payout named by a bank record's reference (its EndToEndId). */
export interface BankPayoutRef {
  id: string;
  gatewayRef: string;
  status: PayoutStatus;
  amountFen: number;
}

/** A record of an imported file, as kept: the payout it names (null: none of ours). */
export interface NewBankRecord {
  payoutId: string | null;
  reference: string;
  status: string;
  amountFen: number | null;
  reason: string | null;
}

/** The bank-file gateway's tables: payment files written, bank files imported and their records. */
@Injectable()
export class BankFilesRepository {
  constructor(private readonly db: TransactionService) {}

  async insertBankFile(tx: Tx, f: { runId: string; fileName: string; messageId: string; sha256: string; nbOfTxs: number; ctrlSumFen: number; now: Date }): Promise<void> {
    await tx.query(
      `INSERT INTO payout_bank_files (run_id, file_name, message_id, sha256, nb_of_txs, ctrl_sum_fen, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id) DO UPDATE SET file_name = $2, message_id = $3, sha256 = $4, nb_of_txs = $5, ctrl_sum_fen = $6`,
      [f.runId, f.fileName, f.messageId, f.sha256, f.nbOfTxs, f.ctrlSumFen, f.now],
    );
  }

  /** The run's payment file, read from the pool. */
  async findBankFile(runId: string): Promise<BankFile | undefined> {
    const rows: { file_name: string; message_id: string; nb_of_txs: number; ctrl_sum_fen: string }[] = await this.db.manager.query(
      `SELECT file_name, message_id, nb_of_txs, ctrl_sum_fen::text FROM payout_bank_files WHERE run_id = $1`, [runId]);
    const r = rows[0];
    return r && { fileName: r.file_name, messageId: r.message_id, nbOfTxs: r.nb_of_txs, ctrlSumFen: fenFromDb(r.ctrl_sum_fen, 'file control sum') };
  }

  /** The latest imported record of each payout of the run (statement or status report), read from the pool. */
  async latestRecords(runId: string): Promise<BankRecord[]> {
    const rows: { payout_id: string; end_to_end_id: string; status: BankRecord['status']; amount_fen: string | null; payout_amount: string }[] =
      await this.db.manager.query(
        `SELECT DISTINCT ON (r.payout_id) r.payout_id, r.end_to_end_id, r.status, r.amount_fen::text, p.amount_fen::text AS payout_amount
           FROM payout_bank_records r
           JOIN payouts p ON p.id = r.payout_id
          WHERE p.run_id = $1
          ORDER BY r.payout_id, r.id DESC`,
        [runId],
      );
    return rows.map((r) => ({
      payoutId: r.payout_id, endToEndId: r.end_to_end_id, status: r.status,
      amountFen: r.amount_fen === null ? null : fenFromDb(r.amount_fen, 'record amount'), payoutAmountFen: fenFromDb(r.payout_amount, 'payout amount'),
    }));
  }

  /** Records an import by the file's SHA-256; false if this very file was imported before. */
  async startImport(tx: Tx, i: { id: string; fileName: string; sha256: string; format: string; now: Date }): Promise<boolean> {
    const fresh = await tx.query(
      `INSERT INTO payout_bank_imports (id, file_name, sha256, format, records, paid, failed, report, imported_at)
       VALUES ($1, $2, $3, $4, 0, 0, 0, '{}'::jsonb, $5) ON CONFLICT (sha256) DO NOTHING RETURNING id`,
      [i.id, i.fileName, i.sha256, i.format, i.now],
    );
    return fresh.length > 0;
  }

  /** What importing the file with this SHA-256 reported the first time. */
  async priorReport(tx: Tx, sha256: string): Promise<BankImportReport> {
    const [prior]: { report: BankImportReport }[] = await tx.query(`SELECT report FROM payout_bank_imports WHERE sha256 = $1`, [sha256]);
    return prior.report;
  }

  async finishImport(tx: Tx, importId: string, report: BankImportReport): Promise<void> {
    await tx.query(`UPDATE payout_bank_imports SET records = $2, paid = $3, failed = $4, report = $5 WHERE id = $1`,
      [importId, report.records, report.paid, report.failed, JSON.stringify(report)]);
  }

  async insertRecords(tx: Tx, importId: string, records: NewBankRecord[]): Promise<void> {
    await tx.query(
      `INSERT INTO payout_bank_records (import_id, payout_id, end_to_end_id, status, amount_fen, reason)
       SELECT $1, x.payout_id, x.ref, x.status, x.amount_fen, x.reason
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS x(payout_id, ref, status, amount_fen, reason)`,
      [importId, records.map((r) => r.payoutId), records.map((r) => r.reference), records.map((r) => r.status),
        records.map((r) => (r.amountFen === null ? null : String(r.amountFen))), records.map((r) => r.reason)],
    );
  }

  /** The bank-file payouts these references name, locked in id order. */
  async lockPayoutsByRef(tx: Tx, refs: string[]): Promise<BankPayoutRef[]> {
    const rows: { id: string; gateway_ref: string; status: PayoutStatus; amount_fen: string }[] = await tx.query(
      `SELECT id, gateway_ref, status, amount_fen::text FROM payouts
        WHERE gateway = 'bank-file' AND gateway_ref = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [refs],
    );
    return rows.map((r) => ({ id: r.id, gatewayRef: r.gateway_ref, status: r.status, amountFen: fenFromDb(r.amount_fen, 'payout amount') }));
  }

  /** References of the payouts a payment file (by message id) sent and that still wait for the bank's word. */
  async sentRefsOfMessage(tx: Tx, messageId: string): Promise<string[]> {
    const rows: { gateway_ref: string }[] = await tx.query(
      `SELECT p.gateway_ref FROM payout_bank_files f JOIN payouts p ON p.run_id = f.run_id
        WHERE f.message_id = $1 AND p.gateway_ref IS NOT NULL AND p.status = 'sent'`,
      [messageId],
    );
    return rows.map((r) => r.gateway_ref);
  }
}
