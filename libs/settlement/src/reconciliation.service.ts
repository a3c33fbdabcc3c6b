import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { Actor, Clock, DomainError, isUuid, toShanghaiIso, requireAccess } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { BankFileGateway } from './bank/bank-file.gateway';
import type { GatewayRecord, PayoutGateway } from './payout-gateway';
import { SETTLEMENT_ACTOR } from './payout-processor.service';
import { PayoutRow, PayoutRunsRepository, RunRow } from './payout-runs.repository';
import type { ReconciliationMismatch, ReconciliationView } from './settlement.types';
import { StripeGateway } from './stripe/stripe.gateway';

const n = (s: string | number | null | undefined) => Number(s ?? 0);

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
    private readonly repo: PayoutRunsRepository,
    private readonly stripe: StripeGateway,
    private readonly bank: BankFileGateway,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async reconcile(actor: Actor, runId: string): Promise<ReconciliationView> {
    requireAccess(actor, 'programme.manage');
    const run = isUuid(runId) ? await this.repo.findRun(runId.toLowerCase()) : undefined;
    if (!run) throw new DomainError('not_found', 'No such payout run');
    return this.compare(run);
  }

  /** The job: reconciles finished runs of the last 30 days not checked within the interval; records and audits each. */
  async reconcileDue(limit = 20): Promise<number> {
    const now = this.clock.now();
    const due: { id: string }[] = await this.db.manager.query(
      `SELECT r.id FROM payout_runs r
        WHERE r.status = 'completed' AND r.completed_at > $1::timestamptz - interval '30 days'
          AND NOT EXISTS (SELECT 1 FROM payout_reconciliations c WHERE c.run_id = r.id AND c.checked_at > $1::timestamptz - $2 * interval '1 millisecond')
        ORDER BY r.completed_at
        LIMIT $3`,
      [now, this.config.settlement.reconcileIntervalMs, limit],
    );
    for (const { id } of due) {
      const view = await this.compare((await this.repo.findRun(id))!);
      await this.db.run(async (tx) => {
        await tx.query(
          `INSERT INTO payout_reconciliations (run_id, balanced, ledger_fen, gateway_fen, mismatches, checked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, view.balanced, view.ledgerPaidFen, view.gatewayPaidFen, JSON.stringify(view.mismatches), now],
        );
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

  private gateway(run: RunRow): PayoutGateway {
    if (run.gateway === 'bank-file') return this.bank;
    if (!this.stripe.configured) throw new DomainError('conflict', 'This run was paid through Stripe and no Stripe key is configured here');
    return this.stripe;
  }

  private async compare(run: RunRow): Promise<ReconciliationView> {
    const payouts = await this.repo.runPayouts(run.id);
    const ledger = await this.ledgerPaid(run.program_id, payouts.map((p) => p.id));
    const records = await this.gateway(run).report({ id: run.id, programCode: run.program_code, createdAt: run.created_at });
    const byPayout = new Map<string, GatewayRecord[]>();
    const byRef = new Map(payouts.filter((p) => p.gateway_ref).map((p) => [p.gateway_ref!, p.id]));
    const unknown: GatewayRecord[] = [];
    for (const r of records) {
      const id = (r.payoutId && payouts.some((p) => p.id === r.payoutId) ? r.payoutId : undefined) ?? byRef.get(r.reference);
      if (!id) unknown.push(r);
      else byPayout.set(id, [...(byPayout.get(id) ?? []), r]);
    }
    const mismatches: ReconciliationMismatch[] = [];
    const open: ReconciliationView['open'] = [];
    let matched = 0;
    const miss = (kind: ReconciliationMismatch['kind'], p: PayoutRow | null, ledgerFen: number, gatewayFen: number, detail: string, reference?: string | null) =>
      mismatches.push({ kind, payoutId: p?.id ?? null, retailerId: p?.retailer_id ?? null, reference: reference ?? p?.gateway_ref ?? null, ledgerFen, gatewayFen, detail });
    for (const p of payouts) {
      const recs = byPayout.get(p.id) ?? [];
      const ledgerFen = ledger.get(p.id) ?? 0;
      const gatewayFen = recs.reduce((s, r) => s + r.netFen, 0);
      if (run.gateway === 'stripe' && recs.length > 1) {
        miss('duplicate_at_gateway', p, ledgerFen, gatewayFen, `${recs.length} transfers for one payout: ${recs.map((r) => r.reference).join(', ')}`);
        continue;
      }
      if (p.status === 'pending' || p.status === 'sent') {
        if (gatewayFen !== 0 && gatewayFen !== n(p.amount_fen)) {
          miss('amount_differs', p, ledgerFen, gatewayFen, `the gateway reports ${gatewayFen} fen paid, the payout is for ${n(p.amount_fen)} fen`);
        } else {
          open.push({ payoutId: p.id, retailerId: p.retailer_id, status: p.status, amountFen: n(p.amount_fen) });
        }
        continue;
      }
      if (p.status === 'paid' && n(p.amount_fen) > 0 && recs.length === 0) {
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
      const file = await this.repo.bankFile(run.id);
      const inFile = payouts.filter((p) => p.gateway_ref && n(p.amount_fen) > 0);
      const sum = inFile.reduce((s, p) => s + n(p.amount_fen), 0);
      if (file && (file.nb_of_txs !== inFile.length || n(file.ctrl_sum_fen) !== sum)) {
        miss('file_control_total_differs', null, sum, n(file.ctrl_sum_fen),
          `${file.file_name}: NbOfTxs ${file.nb_of_txs} / CtrlSum ${n(file.ctrl_sum_fen)} fen, the run sent ${inFile.length} payouts for ${sum} fen`, file.message_id);
      }
    }
    return {
      runId: run.id,
      programCode: run.program_code,
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

  /** Net movement of the `paid` accounts in transactions that name each payout. */
  private async ledgerPaid(programId: string, payoutIds: string[]): Promise<Map<string, number>> {
    if (!payoutIds.length) return new Map();
    const rows: { reference: string; paid: string }[] = await this.db.manager.query(
      `SELECT t.reference, sum(e.amount_fen)::text AS paid
         FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id
         JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'paid'
        WHERE t.program_id = $1 AND t.reference = ANY($2::text[])
        GROUP BY t.reference`,
      [programId, payoutIds],
    );
    return new Map(rows.map((r) => [r.reference, n(r.paid)]));
  }
}
