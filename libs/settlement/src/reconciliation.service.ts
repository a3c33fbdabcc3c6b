import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { ProgramsRepository } from '@huanxin/programs';
import { BankFilesRepository } from './bank/bank-files.repository';
import { BankFileGateway } from './bank/bank-file.gateway';
import type { GatewayRecord, PayoutGateway } from './payout-gateway';
import { SETTLEMENT_ACTOR } from './payout-processor.service';
import { PayoutRunsRepository, Run } from './payout-runs.repository';
import { Payout, PayoutsRepository } from './payouts.repository';
import type { ReconciliationMismatch, ReconciliationView } from './settlement.types';
import { StripeGateway } from './stripe/stripe.gateway';

type RunWithCode = Run & { programCode: string };

/**
 * Ties every yuan of a run: the ledger's net paid per payout (the pay, recover and un-pay movements that
 * name it) against what the gateway reports — the Stripe transfers of the run's transfer group less their
 * reversals, or the records of the imported bank statements and status reports — plus, for a bank run, the
 * payment file's control totals. Every difference is listed; a payout still on its way is listed as open.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TransactionService,
    private readonly runs: PayoutRunsRepository,
    private readonly payouts: PayoutsRepository,
    private readonly bankFiles: BankFilesRepository,
    private readonly programs: ProgramsRepository,
    private readonly ledger: LedgerService,
    private readonly stripe: StripeGateway,
    private readonly bank: BankFileGateway,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async reconcile(actor: Actor, runId: string): Promise<ReconciliationView> {
    requireAccess(actor, 'programme.manage');
    const run = isUuid(runId) ? await this.findRun(runId.toLowerCase()) : undefined;
    if (!run) throw new DomainError('not_found', 'No such payout run');
    return this.compare(run);
  }

  /** The job: reconciles finished runs of the last 30 days not checked within the interval; records and audits each. */
  async reconcileDue(limit = 20): Promise<number> {
    const now = this.clock.now();
    const due = await this.runs.dueForReconciliation(now, this.config.settlement.reconcileIntervalMs, limit);
    for (const id of due) {
      const view = await this.compare((await this.findRun(id))!);
      await this.db.run(async (tx) => {
        await this.runs.insertReconciliation(tx, {
          runId: id, balanced: view.balanced, ledgerFen: view.ledgerPaidFen, gatewayFen: view.gatewayPaidFen, mismatches: view.mismatches, checkedAt: now,
        });
        await this.audit.append(tx, SETTLEMENT_ACTOR, {
          action: 'payout_run.reconciled', subjectType: 'payout_run', subjectId: id,
          details: {
            balanced: view.balanced, ledgerPaidFen: view.ledgerPaidFen, gatewayPaidFen: view.gatewayPaidFen,
            mismatches: view.mismatches.map((m) => ({ kind: m.kind, payoutId: m.payoutId, ledgerFen: m.ledgerFen, gatewayFen: m.gatewayFen })),
            open: view.open.length,
          },
        });
      });
    }
    return due.length;
  }

  private async findRun(id: string): Promise<RunWithCode | undefined> {
    const run = await this.runs.findRun(id);
    if (!run) return undefined;
    const [program] = await this.programs.findByIds(this.db.manager, [run.programId]);
    return { ...run, programCode: program.code };
  }

  private gateway(run: RunWithCode): PayoutGateway {
    if (run.gateway === 'bank-file') return this.bank;
    if (!this.stripe.configured) throw new DomainError('conflict', 'This run was paid through Stripe and no Stripe key is configured here');
    return this.stripe;
  }

  private async compare(run: RunWithCode): Promise<ReconciliationView> {
    const payouts = await this.payouts.findPayoutsOfRun(run.id);
    // net movement of the `paid` accounts in the ledger transactions that name each payout
    const ledger = await this.ledger.netByReference(run.programId, 'paid', payouts.map((p) => p.id));
    const records = await this.gateway(run).report({ id: run.id, programCode: run.programCode, createdAt: run.createdAt });
    const byPayout = new Map<string, GatewayRecord[]>();
    const byRef = new Map(payouts.filter((p) => p.gatewayRef).map((p) => [p.gatewayRef!, p.id]));
    const unknown: GatewayRecord[] = [];
    for (const r of records) {
      const id = (r.payoutId && payouts.some((p) => p.id === r.payoutId) ? r.payoutId : undefined) ?? byRef.get(r.reference);
      if (!id) unknown.push(r);
      else byPayout.set(id, [...(byPayout.get(id) ?? []), r]);
    }
    const mismatches: ReconciliationMismatch[] = [];
    const open: ReconciliationView['open'] = [];
    let matched = 0;
    const miss = (kind: ReconciliationMismatch['kind'], p: Payout | null, ledgerFen: number, gatewayFen: number, detail: string, reference?: string | null) =>
      mismatches.push({ kind, payoutId: p?.id ?? null, retailerId: p?.retailerId ?? null, reference: reference ?? p?.gatewayRef ?? null, ledgerFen, gatewayFen, detail });
    for (const p of payouts) {
      const recs = byPayout.get(p.id) ?? [];
      const ledgerFen = ledger.get(p.id) ?? 0;
      const gatewayFen = recs.reduce((s, r) => s + r.netFen, 0);
      if (run.gateway === 'stripe' && recs.length > 1) {
        miss('duplicate_at_gateway', p, ledgerFen, gatewayFen, `${recs.length} transfers for one payout: ${recs.map((r) => r.reference).join(', ')}`);
        continue;
      }
      if (p.status === 'pending' || p.status === 'sent') {
        if (gatewayFen !== 0 && gatewayFen !== p.amountFen) {
          miss('amount_differs', p, ledgerFen, gatewayFen, `the gateway reports ${gatewayFen} fen paid, the payout is for ${p.amountFen} fen`);
        } else {
          open.push({ payoutId: p.id, retailerId: p.retailerId, status: p.status, amountFen: p.amountFen });
        }
        continue;
      }
      if (p.status === 'paid' && p.amountFen > 0 && recs.length === 0) {
        miss('missing_at_gateway', p, ledgerFen, 0, 'the ledger says paid, the gateway has no record of it');
      } else if (p.status === 'failed' && gatewayFen > 0) {
        miss('failed_but_paid_at_gateway', p, ledgerFen, gatewayFen, `the payout failed, the gateway reports ${gatewayFen} fen paid`);
      } else if (ledgerFen !== gatewayFen) {
        miss('amount_differs', p, ledgerFen, gatewayFen, `the ledger says ${ledgerFen} fen paid, the gateway ${gatewayFen} fen`);
      } else {
        matched++;
      }
    }
    for (const r of unknown) miss('unknown_at_gateway', null, 0, r.netFen, `the gateway holds ${r.reference} for this run, no payout of ours matches it`, r.reference);
    if (run.gateway === 'bank-file') {
      const file = await this.bankFiles.findBankFile(run.id);
      const inFile = payouts.filter((p) => p.gatewayRef && p.amountFen > 0);
      const sum = inFile.reduce((s, p) => s + p.amountFen, 0);
      if (file && (file.nbOfTxs !== inFile.length || file.ctrlSumFen !== sum)) {
        miss('file_control_total_differs', null, sum, file.ctrlSumFen,
          `${file.fileName}: NbOfTxs ${file.nbOfTxs} / CtrlSum ${file.ctrlSumFen} fen, the run sent ${inFile.length} payouts for ${sum} fen`, file.messageId);
      }
    }
    return {
      runId: run.id,
      programCode: run.programCode,
      gateway: run.gateway,
      ledgerPaidFen: [...ledger.values()].reduce((s, v) => s + v, 0),
      gatewayPaidFen: records.reduce((s, r) => s + r.netFen, 0),
      matched,
      open,
      mismatches,
      balanced: mismatches.length === 0,
      checkedAt: toShanghaiIso(this.clock.now()),
    };
  }
}
