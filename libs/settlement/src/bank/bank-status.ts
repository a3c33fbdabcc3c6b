import { yuanToFen } from '@huanxin/core';
import { at, child, childrenNamed, parseXml, textAt, XmlElement } from './xml';

/**
 * What the bank says about the transfers of our pain.001 files, in any of the three forms it sends:
 *
 * - pain.002 (payment status report): per transaction `TxSts` — ACSC / ACCC (settlement completed) is paid,
 *   RJCT is failed, anything else (ACTC, ACCP, ACSP, PDNG, …) is still on its way. A group or payment-level
 *   status with no transaction lines applies to every transaction of the original message.
 * - camt.053 (bank-to-customer statement): a booked debit entry is paid (with its booked amount); a reversed
 *   entry or a returned credit (RtrInf) is failed; pending entries are on their way.
 * - CSV, for banks that offer neither: a header line and one line per transfer,
 *   `end_to_end_id,status,amount,reason` — status `paid`, `failed` or `pending` (ACSC/RJCT accepted too),
 *   amount in yuan with up to two decimals (optional), reason free text (optional). Fields may be quoted.
 *
 * `reference` is the EndToEndId we wrote (the payout id without hyphens).
 */
export type BankRecordStatus = 'paid' | 'failed' | 'pending';

export interface BankStatusRecord {
  reference: string;
  status: BankRecordStatus;
  amountFen?: number;
  reason?: string;
}

export interface ParsedBankFile {
  format: 'pain.002' | 'camt.053' | 'csv';
  records: BankStatusRecord[];
  /** A status for the whole original message (pain.002 GrpSts/PmtInfSts without transaction lines). */
  messageStatus?: { originalMessageId: string; status: BankRecordStatus; reason?: string };
}

export class BankFileError extends Error {}

function txStatus(code: string | undefined): BankRecordStatus {
  if (code === 'ACSC' || code === 'ACCC') return 'paid';
  if (code === 'RJCT') return 'failed';
  return 'pending';
}

function reasonOf(info: XmlElement | undefined): string | undefined {
  if (!info) return undefined;
  const code = textAt(info, 'Rsn/Cd') ?? textAt(info, 'Rsn/Prtry');
  const extra = childrenNamed(info, 'AddtlInf').map((e) => e.text).join(' ');
  return [code, extra].filter(Boolean).join(': ') || undefined;
}

function amount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,16}(\.\d{1,2})?$/.test(text.trim())) throw new BankFileError(`not an amount with at most 2 decimals: ${text}`);
  return yuanToFen(text.trim());
}

function parsePain002(doc: XmlElement): ParsedBankFile {
  const rpt = child(doc, 'CstmrPmtStsRpt');
  if (!rpt) throw new BankFileError('a pain.002 document needs CstmrPmtStsRpt');
  const grp = child(rpt, 'OrgnlGrpInfAndSts');
  const originalMessageId = textAt(grp, 'OrgnlMsgId') ?? '';
  const records: BankStatusRecord[] = [];
  let messageStatus: ParsedBankFile['messageStatus'];
  const grpSts = textAt(grp, 'GrpSts');
  if (grpSts) messageStatus = { originalMessageId, status: txStatus(grpSts), reason: reasonOf(child(grp, 'StsRsnInf')) };
  for (const pmt of childrenNamed(rpt, 'OrgnlPmtInfAndSts')) {
    const pmtSts = textAt(pmt, 'PmtInfSts');
    const txs = childrenNamed(pmt, 'TxInfAndSts');
    if (pmtSts && txs.length === 0) messageStatus = { originalMessageId, status: txStatus(pmtSts), reason: reasonOf(child(pmt, 'StsRsnInf')) };
    for (const tx of txs) {
      const reference = textAt(tx, 'OrgnlEndToEndId');
      if (!reference) throw new BankFileError('a TxInfAndSts without OrgnlEndToEndId');
      records.push({
        reference,
        status: txStatus(textAt(tx, 'TxSts') ?? pmtSts ?? grpSts),
        amountFen: amount(textAt(tx, 'OrgnlTxRef/Amt/InstdAmt')),
        reason: reasonOf(child(tx, 'StsRsnInf')),
      });
    }
  }
  return { format: 'pain.002', records, messageStatus };
}

function parseCamt053(doc: XmlElement): ParsedBankFile {
  const stmts = childrenNamed(child(doc, 'BkToCstmrStmt'), 'Stmt');
  if (!stmts.length) throw new BankFileError('a camt.053 document needs BkToCstmrStmt/Stmt');
  const records: BankStatusRecord[] = [];
  for (const stmt of stmts) {
    for (const ntry of childrenNamed(stmt, 'Ntry')) {
      const sts = textAt(ntry, 'Sts/Cd') ?? textAt(ntry, 'Sts');
      if (sts === 'INFO') continue;
      const debit = textAt(ntry, 'CdtDbtInd') === 'DBIT';
      const reversal = textAt(ntry, 'RvslInd') === 'true';
      const txs = childrenNamed(ntry, 'NtryDtls').flatMap((d) => childrenNamed(d, 'TxDtls'));
      for (const tx of txs) {
        const reference = textAt(tx, 'Refs/EndToEndId');
        if (!reference || reference === 'NOTPROVIDED') continue;
        const returned = at(tx, 'RtrInf');
        const status: BankRecordStatus = sts === 'PDNG' ? 'pending' : reversal || returned || !debit ? 'failed' : 'paid';
        const amt = textAt(tx, 'Amt') ?? textAt(tx, 'AmtDtls/TxAmt/Amt') ?? (txs.length === 1 ? textAt(ntry, 'Amt') : undefined);
        records.push({ reference, status, amountFen: amount(amt), reason: status === 'failed' ? (reasonOf(returned) ?? (reversal ? 'reversed' : 'returned')) : undefined });
      }
    }
  }
  return { format: 'camt.053', records };
}

function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new BankFileError(`an unterminated quote in: ${line}`);
  out.push(cur);
  return out.map((f) => f.trim());
}

function parseCsv(text: string): ParsedBankFile {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new BankFileError('the CSV file is empty');
  const header = csvFields(lines[0]).map((h) => h.toLowerCase().replace(/[\s_-]/g, ''));
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const ref = col('endtoendid', 'reference', 'payoutid');
  const st = col('status');
  if (ref < 0 || st < 0) throw new BankFileError('the CSV header needs end_to_end_id and status columns');
  const amt = col('amount', 'amountyuan');
  const rsn = col('reason');
  const records = lines.slice(1).map((line, i) => {
    const f = csvFields(line);
    const raw = (f[st] ?? '').toLowerCase();
    const status: BankRecordStatus | undefined =
      raw === 'paid' || raw === 'acsc' || raw === 'accc' ? 'paid' : raw === 'failed' || raw === 'rjct' ? 'failed' : raw === 'pending' ? 'pending' : undefined;
    if (!status) throw new BankFileError(`line ${i + 2}: status must be paid, failed or pending, got ${JSON.stringify(f[st])}`);
    const reference = (f[ref] ?? '').replace(/-/g, '');
    if (!reference) throw new BankFileError(`line ${i + 2}: no end_to_end_id`);
    return { reference, status, amountFen: amt >= 0 && f[amt] ? amount(f[amt]) : undefined, reason: rsn >= 0 && f[rsn] ? f[rsn] : undefined };
  });
  return { format: 'csv', records };
}

export function parseBankFile(content: string): ParsedBankFile {
  const text = content.replace(/^\uFEFF/, '');
  if (!text.trimStart().startsWith('<')) return parseCsv(text);
  const doc = parseXml(text);
  if (doc.name !== 'Document') throw new BankFileError(`an ISO 20022 file has a Document root, not ${doc.name}`);
  if (child(doc, 'CstmrPmtStsRpt')) return parsePain002(doc);
  if (child(doc, 'BkToCstmrStmt')) return parseCamt053(doc);
  throw new BankFileError(`not a pain.002 or camt.053 document (namespace ${doc.ns ?? 'none'})`);
}
