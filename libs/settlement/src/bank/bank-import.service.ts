import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, DomainError, newId } from '@huanxin/core';
import { TransactionService, Tx } from '@huanxin/database';
import { PayoutLedger } from '../payout-ledger.service';
import type { BankImportReport } from '../settlement.types';
import { BankFilesRepository } from './bank-files.repository';
import { BankFileError, BankStatusRecord, parseBankFile } from './bank-status';
import { XmlError } from './xml';

/**
 * `npm run payouts:import -- file`: the bank's status report (pain.002), statement (camt.053) or a CSV
 * (bank-status.ts documents it) marks the payouts of our pain.001 files paid or failed, in one transaction
 * with their claims, ledger movements and audit events. A file is imported once (by its SHA-256): importing
 * it again reports what it did the first time and changes nothing. A record whose amount differs from the
 * payout, or that names no payout of ours, changes nothing and is listed in the report (and reconciliation).
 */
@Injectable()
export class BankImportService {
  constructor(
    private readonly db: TransactionService,
    private readonly files: BankFilesRepository,
    private readonly settle: PayoutLedger,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async importFile(actor: Actor, fileName: string, content: Buffer): Promise<BankImportReport> {
    let parsed;
    try {
      parsed = parseBankFile(content.toString('utf8'));
    } catch (err) {
      if (err instanceof BankFileError || err instanceof XmlError || err instanceof RangeError) {
        throw new DomainError('validation_failed', `${basename(fileName)} is not a bank status file we can read: ${err.message}`);
      }
      throw err;
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    const now = this.clock.now();
    const importId = newId();
    return this.db.run(async (tx) => {
      if (!(await this.files.startImport(tx, { id: importId, fileName: basename(fileName), sha256, format: parsed.format, now }))) {
        return { ...(await this.files.priorReport(tx, sha256)), duplicate: true };
      }
      const explicit = new Set(parsed.records.map((r) => r.reference.toLowerCase()));
      const implied = (await this.expandMessageStatus(tx, parsed.messageStatus)).filter((r) => !explicit.has(r.reference));
      const records = [...parsed.records, ...implied];
      const refs = [...new Set(records.map((r) => r.reference.toLowerCase()))];
      const payouts = await this.files.lockPayoutsByRef(tx, refs);
      const byRef = new Map(payouts.map((p) => [p.gatewayRef, p]));
      const report: BankImportReport = {
        importId, fileName: basename(fileName), format: parsed.format, duplicate: false, records: records.length,
        paid: 0, failed: 0, unchanged: 0, unmatched: [], amountMismatches: [],
      };
      const toPay = new Set<string>();
      const toFail = new Map<string, { code: string; reason: string }>();
      const toReturn = new Map<string, string>();
      const kept: { record: BankStatusRecord; payoutId: string | null }[] = [];
      for (const r of records) {
        const p = byRef.get(r.reference.toLowerCase());
        kept.push({ record: r, payoutId: p?.id ?? null });
        if (!p) {
          report.unmatched.push(r.reference);
          continue;
        }
        if (r.status === 'paid' && r.amountFen !== undefined && r.amountFen !== p.amountFen) {
          report.amountMismatches.push({ reference: r.reference, payoutId: p.id, expectedFen: p.amountFen, reportedFen: r.amountFen });
          continue;
        }
        if (r.status === 'paid' && p.status === 'sent' && !toFail.has(p.id)) toPay.add(p.id);
        else if (r.status === 'failed' && p.status === 'sent') {
          toPay.delete(p.id);
          toFail.set(p.id, { code: 'bank_rejected', reason: r.reason ?? 'rejected by the bank' });
        } else if (r.status === 'failed' && p.status === 'paid') toReturn.set(p.id, r.reason ?? 'returned by the bank');
        else report.unchanged++;
      }
      await this.files.insertRecords(tx, importId, kept.map((k) => ({
        payoutId: k.payoutId, reference: k.record.reference, status: k.record.status, amountFen: k.record.amountFen ?? null, reason: k.record.reason ?? null,
      })));
      report.paid = (await this.settle.markPaid(tx, actor, [...toPay].map((id) => ({ id })), now)).length;
      report.failed = (await this.settle.markFailed(tx, actor, [...toFail].map(([id, f]) => ({ id, ...f })), now)).length;
      for (const [id, reason] of toReturn) {
        if (await this.settle.unpay(tx, actor, id, 'bank_returned', reason, now)) report.failed++;
      }
      await this.files.finishImport(tx, importId, report);
      await this.audit.append(tx, actor, {
        action: 'payout_bank_import.imported', subjectType: 'payout_bank_import', subjectId: importId,
        details: {
          fileName: report.fileName, sha256, format: report.format, records: report.records, paid: report.paid, failed: report.failed,
          unchanged: report.unchanged, unmatched: report.unmatched.length, amountMismatches: report.amountMismatches.length,
        },
      });
      return report;
    });
  }

  /** A status for a whole pain.001 message applies to each of its transfers still waiting for one. */
  private async expandMessageStatus(tx: Tx, status: ReturnType<typeof parseBankFile>['messageStatus']): Promise<BankStatusRecord[]> {
    if (!status || status.status === 'pending') return [];
    const refs = await this.files.sentRefsOfMessage(tx, status.originalMessageId.toLowerCase());
    return refs.map((reference) => ({ reference, status: status.status, reason: status.reason }));
  }
}
