import { sealBankAccount } from '@huanxin/retailers';
import { LedgerService } from '@huanxin/ledger';
import { PayoutProcessor } from '@huanxin/settlement';
import type { TestApp } from './app';
import type { RetailerFixture } from './factories';
import { uniq } from './ids';
import type { Scenario } from './scenario';

/** Helpers for the settlement tests: claims to pay, payout details, driving the processor, bank answers. */

export interface PaidClaim {
  id: string;
  amountFen: number;
  city: string;
}

/** An approved claim of `retailer` (the scenario's by default) in `city`, through the till. */
export async function approvedClaim(s: Scenario, opts: { city?: string; retailer?: RetailerFixture; salePriceFen?: number; modelCode?: string } = {}): Promise<PaidClaim> {
  const city = opts.city ?? 'hangzhou';
  const retailer = opts.retailer ?? s.retailer;
  const store = retailer.stores.find((x) => x.city === city);
  if (!store) throw new Error(`retailer ${retailer.id} has no store in ${city}`);
  const h = await s.household(city);
  const v = await s.voucher(h);
  const body = await s.tradeInBody(h, v.code, {
    storeCode: store.code, salePriceFen: opts.salePriceFen ?? 500000, ...(opts.modelCode ? { modelCode: opts.modelCode } : {}),
  });
  const res = await s.tradeIn(body, `ti-${uniq()}`, retailer.keyAuth);
  if (res.status !== 201 || res.body.status !== 'approved') throw new Error(`trade-in → ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.claimId, amountFen: res.body.subsidy.amountFen, city };
}

/** Several approved claims, sharing one catalogue model (fewer admin calls). */
export async function approvedClaims(s: Scenario, count: number, opts: { city?: string; retailer?: RetailerFixture; salePriceFen?: number } = {}): Promise<PaidClaim[]> {
  const modelCode = await s.model();
  const out: PaidClaim[] = [];
  for (let i = 0; i < count; i++) out.push(await approvedClaim(s, { ...opts, modelCode, salePriceFen: (opts.salePriceFen ?? 400000) + i * 1000 }));
  return out;
}

/** Payout details as the programme office recorded them at certification (no endpoint edits them yet). */
export async function setBank(t: TestApp, retailerId: string, accountNumber = `62220202${String(Date.now()).slice(-8)}`): Promise<{ accountName: string; accountNumber: string; bankCode: string }> {
  const bank = { accountName: `测试电器 ${retailerId.slice(0, 8)}`, accountNumber, bankCode: '102331000010' };
  // stored as the repository stores it: the number sealed, its last four in clear
  await t.db.query(`UPDATE retailers SET bank = $2 WHERE id = $1`, [retailerId, sealBankAccount(t.config.dataEncryptionKey, retailerId, bank)]);
  return bank;
}

export async function setStripeAccount(t: TestApp, retailerId: string, accountId: string): Promise<void> {
  await t.db.query(`UPDATE retailers SET stripe_account_id = $2 WHERE id = $1`, [retailerId, accountId]);
}

/** Runs the worker's processor in this process until it has nothing left to do. */
export async function drain(t: TestApp, rounds = 50): Promise<void> {
  const processor = t.app.get(PayoutProcessor);
  for (let i = 0; i < rounds; i++) {
    if ((await processor.processBatch()) === 0) return;
  }
  throw new Error('the payout processor did not settle down');
}

export async function programId(t: TestApp, code: string): Promise<string> {
  return (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [code]))[0].id;
}

export async function ledgerBalanced(t: TestApp, code: string): Promise<string[]> {
  return (await t.app.get(LedgerService).checkInvariants(await programId(t, code))).problems;
}

export async function claimStatuses(t: TestApp, ids: string[]): Promise<string[]> {
  const rows: { id: string; status: string }[] = await t.db.query(`SELECT id, status FROM claims WHERE id = ANY($1::uuid[])`, [ids]);
  const by = new Map(rows.map((r) => [r.id, r.status]));
  return ids.map((id) => by.get(id) ?? 'missing');
}

/** A pain.002.001.10 status report for the given transfers (by EndToEndId). */
export function pain002(originalMessageId: string, txs: { endToEndId: string; status: 'ACSC' | 'RJCT' | 'ACSP' | 'ACCC'; reason?: string; amount?: string }[], groupStatus?: string): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">',
    '  <CstmrPmtStsRpt>',
    `    <GrpHdr><MsgId>STS-${uniq()}</MsgId><CreDtTm>2026-11-12T09:00:00+08:00</CreDtTm></GrpHdr>`,
    '    <OrgnlGrpInfAndSts>',
    `      <OrgnlMsgId>${originalMessageId}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>`,
    ...(groupStatus ? [`      <GrpSts>${groupStatus}</GrpSts>`] : []),
    '    </OrgnlGrpInfAndSts>',
  ];
  if (txs.length) {
    lines.push('    <OrgnlPmtInfAndSts>', `      <OrgnlPmtInfId>${originalMessageId}</OrgnlPmtInfId>`);
    for (const tx of txs) {
      lines.push(
        '      <TxInfAndSts>',
        `        <OrgnlInstrId>${tx.endToEndId}</OrgnlInstrId><OrgnlEndToEndId>${tx.endToEndId}</OrgnlEndToEndId><TxSts>${tx.status}</TxSts>`,
        ...(tx.reason ? [`        <StsRsnInf><Rsn><Cd>${tx.reason}</Cd></Rsn><AddtlInf>账户已销户 account closed</AddtlInf></StsRsnInf>`] : []),
        ...(tx.amount ? [`        <OrgnlTxRef><Amt><InstdAmt Ccy="CNY">${tx.amount}</InstdAmt></Amt></OrgnlTxRef>`] : []),
        '      </TxInfAndSts>',
      );
    }
    lines.push('    </OrgnlPmtInfAndSts>');
  }
  lines.push('  </CstmrPmtStsRpt>', '</Document>', '');
  return lines.join('\n');
}

/** A camt.053.001.08 statement booking the given debits (and returns) on the programme account. */
export function camt053(entries: { endToEndId: string; amount: string; returned?: boolean }[]): string {
  const ntry = entries.map((e) => [
    '      <Ntry>',
    `        <Amt Ccy="CNY">${e.amount}</Amt><CdtDbtInd>${e.returned ? 'CRDT' : 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>`,
    '        <BookgDt><Dt>2026-11-12</Dt></BookgDt><BkTxCd><Prtry><Cd>TRF</Cd></Prtry></BkTxCd>',
    `        <NtryDtls><TxDtls><Refs><EndToEndId>${e.endToEndId}</EndToEndId></Refs><Amt Ccy="CNY">${e.amount}</Amt>`,
    ...(e.returned ? ['          <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>'] : []),
    '        </TxDtls></NtryDtls>',
    '      </Ntry>',
  ].join('\n'));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
    '  <BkToCstmrStmt>',
    `    <GrpHdr><MsgId>STMT-${uniq()}</MsgId><CreDtTm>2026-11-12T18:00:00+08:00</CreDtTm></GrpHdr>`,
    `    <Stmt><Id>S-${uniq()}</Id><CreDtTm>2026-11-12T18:00:00+08:00</CreDtTm><Acct><Id><Othr><Id>0000000000000000</Id></Othr></Id></Acct>`,
    ...ntry,
    '    </Stmt>',
    '  </BkToCstmrStmt>',
    '</Document>',
    '',
  ].join('\n');
}

export const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
