import { Inject, Injectable } from '@nestjs/common';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '@huanxin/config';
import { shanghaiDate, toShanghaiIso } from '@huanxin/core';
import { compactId, GatewayRecord, PayoutGateway, PayoutInstruction, RunRef, SendOutcome } from '../payout-gateway';
import { BankFilesRepository } from './bank-files.repository';
import { buildPain001, CreditTransfer } from './pain001';

/**
 * The default gateway: one ISO 20022 pain.001 credit-transfer file per run, written under PAYOUT_FILE_DIR for
 * the finance office to hand to the bank. Payouts in the file are `sent`; the bank's status report or
 * statement, imported with `npm run payouts:import`, marks them paid or failed.
 *
 * The file is a pure function of the run and its payouts (its time stamps are the run's), written to a
 * temporary name and renamed into place, so writing it again after a crash yields the same bytes under the
 * same name — never a second file for the bank to pay twice.
 */
@Injectable()
export class BankFileGateway implements PayoutGateway {
  readonly name = 'bank-file' as const;
  readonly scope = 'run' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly files: BankFilesRepository,
  ) {}

  fileOf(run: RunRef): { dir: string; fileName: string; path: string; messageId: string } {
    const dir = this.config.settlement.fileDir;
    const fileName = `huanxin-payouts-${run.programCode}-${compactId(run.id)}.pain001.xml`;
    return { dir, fileName, path: join(dir, fileName), messageId: compactId(run.id) };
  }

  async send(run: RunRef, payouts: PayoutInstruction[]): Promise<Map<string, SendOutcome>> {
    const out = new Map<string, SendOutcome>();
    const transfers: CreditTransfer[] = [];
    for (const p of [...payouts].sort((a, b) => (a.payoutId < b.payoutId ? -1 : 1))) {
      if (!p.bank) {
        out.set(p.payoutId, { kind: 'refused', code: 'no_payout_account', reason: 'The retailer has no bank account for the payment file' });
        continue;
      }
      const ref = compactId(p.payoutId);
      transfers.push({
        endToEndId: ref,
        amountFen: p.amountFen,
        creditorName: p.bank.accountName,
        creditorAccount: p.bank.accountNumber,
        creditorBankCode: p.bank.bankCode,
        remittance: `换新补贴 Huanxin payout ${ref} run ${compactId(run.id)} ${p.claimCount} claims`,
      });
      out.set(p.payoutId, { kind: 'sent', reference: ref });
    }
    if (transfers.length === 0) return out;
    const s = this.config.settlement;
    const file = this.fileOf(run);
    const xml = buildPain001({
      messageId: file.messageId,
      createdAt: toShanghaiIso(run.createdAt),
      executionDate: shanghaiDate(run.createdAt),
      initiatingPartyName: s.bankDebtorName,
      paymentInfoId: file.messageId,
      debtorName: s.bankDebtorName,
      debtorAccount: s.bankDebtorAccount,
      debtorBic: s.bankDebtorBic,
      currency: s.currency,
      transfers,
    });
    mkdirSync(file.dir, { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, xml, { encoding: 'utf8', mode: 0o640 });
    renameSync(tmp, file.path);
    return out;
  }

  /** The bank's word on the run: the latest imported record of each payout (statement or status report). */
  async report(run: RunRef): Promise<GatewayRecord[]> {
    return (await this.files.latestRecords(run.id)).map((r) => ({
      payoutId: r.payoutId,
      reference: r.endToEndId,
      // a status report carries no booked amount: "paid" is the amount we instructed
      netFen: r.status === 'paid' ? (r.amountFen ?? r.payoutAmountFen) : 0,
      status: r.status,
    }));
  }
}
