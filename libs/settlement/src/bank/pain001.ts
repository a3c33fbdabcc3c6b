import { yuanToFen } from '@huanxin/core';
import { childrenNamed, escapeXml, parseXml, XmlElement, XmlError } from './xml';

/**
 * ISO 20022 customer credit transfer initiation, pain.001.001.09: the file a bank takes to pay many
 * creditors from one account. One file per payout run, one payment information block, one
 * CdtTrfTxInf per retailer; NbOfTxs and CtrlSum (the control total) at group and payment level.
 * Identifiers are at most 35 characters, so ids go in without their hyphens.
 */
export const PAIN001_NS = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09';

export interface CreditTransfer {
  /** Max 35 characters; comes back in the bank's status report and statement. */
  endToEndId: string;
  amountFen: number;
  creditorName: string;
  creditorAccount: string;
  /** The creditor bank's clearing code (CNAPS bank code in China). */
  creditorBankCode: string;
  remittance: string;
}

export interface Pain001Message {
  messageId: string;
  createdAt: string;
  /** YYYY-MM-DD */
  executionDate: string;
  initiatingPartyName: string;
  paymentInfoId: string;
  debtorName: string;
  /** An IBAN, or a domestic account number. */
  debtorAccount: string;
  debtorBic?: string;
  currency: string;
  transfers: CreditTransfer[];
}

/** 12345 → "123.45": exact, integer arithmetic only. */
export function fenToDecimal(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not a non-negative amount of fen: ${fen}`);
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** ISO 20022 text types: Max35Text, Max140Text… (characters, not bytes). */
const clip = (s: string, max: number) => [...s].slice(0, max).join('');
const IBAN_RE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/;

function account(id: string): string {
  return IBAN_RE.test(id) ? `<Id><IBAN>${escapeXml(id)}</IBAN></Id>` : `<Id><Othr><Id>${escapeXml(clip(id, 34))}</Id></Othr></Id>`;
}

export function buildPain001(m: Pain001Message): string {
  const count = m.transfers.length;
  const sum = m.transfers.reduce((s, t) => s + t.amountFen, 0);
  const ccy = escapeXml(m.currency.toUpperCase());
  const debtorAgent = m.debtorBic
    ? `<FinInstnId><BICFI>${escapeXml(m.debtorBic)}</BICFI></FinInstnId>`
    : '<FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId>';
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="${PAIN001_NS}">`,
    '  <CstmrCdtTrfInitn>',
    '    <GrpHdr>',
    `      <MsgId>${escapeXml(clip(m.messageId, 35))}</MsgId>`,
    `      <CreDtTm>${escapeXml(m.createdAt)}</CreDtTm>`,
    `      <NbOfTxs>${count}</NbOfTxs>`,
    `      <CtrlSum>${fenToDecimal(sum)}</CtrlSum>`,
    `      <InitgPty><Nm>${escapeXml(clip(m.initiatingPartyName, 140))}</Nm></InitgPty>`,
    '    </GrpHdr>',
    '    <PmtInf>',
    `      <PmtInfId>${escapeXml(clip(m.paymentInfoId, 35))}</PmtInfId>`,
    '      <PmtMtd>TRF</PmtMtd>',
    '      <BtchBookg>false</BtchBookg>',
    `      <NbOfTxs>${count}</NbOfTxs>`,
    `      <CtrlSum>${fenToDecimal(sum)}</CtrlSum>`,
    `      <ReqdExctnDt><Dt>${escapeXml(m.executionDate)}</Dt></ReqdExctnDt>`,
    `      <Dbtr><Nm>${escapeXml(clip(m.debtorName, 140))}</Nm></Dbtr>`,
    `      <DbtrAcct>${account(m.debtorAccount)}</DbtrAcct>`,
    `      <DbtrAgt>${debtorAgent}</DbtrAgt>`,
    '      <ChrgBr>SLEV</ChrgBr>',
  ];
  for (const t of m.transfers) {
    lines.push(
      '      <CdtTrfTxInf>',
      `        <PmtId><InstrId>${escapeXml(clip(t.endToEndId, 35))}</InstrId><EndToEndId>${escapeXml(clip(t.endToEndId, 35))}</EndToEndId></PmtId>`,
      `        <Amt><InstdAmt Ccy="${ccy}">${fenToDecimal(t.amountFen)}</InstdAmt></Amt>`,
      `        <CdtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId><MmbId>${escapeXml(clip(t.creditorBankCode, 35))}</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>`,
      `        <Cdtr><Nm>${escapeXml(clip(t.creditorName, 140))}</Nm></Cdtr>`,
      `        <CdtrAcct>${account(t.creditorAccount)}</CdtrAcct>`,
      `        <RmtInf><Ustrd>${escapeXml(clip(t.remittance, 140))}</Ustrd></RmtInf>`,
      '      </CdtTrfTxInf>',
    );
  }
  lines.push('    </PmtInf>', '  </CstmrCdtTrfInitn>', '</Document>', '');
  return lines.join('\n');
}

// ------------------------------------------------------------------------------------------- validation

/** One element of an XSD sequence: name, minOccurs, maxOccurs (Infinity = unbounded). */
type Particle = [string, number, number];
const MANY = Infinity;

/** The sequences of pain.001.001.09 this platform writes, with every optional element the schema allows there. */
const SEQUENCES: Record<string, Particle[]> = {
  Document: [['CstmrCdtTrfInitn', 1, 1]],
  CstmrCdtTrfInitn: [['GrpHdr', 1, 1], ['PmtInf', 1, MANY], ['SplmtryData', 0, MANY]],
  GrpHdr: [['MsgId', 1, 1], ['CreDtTm', 1, 1], ['Authstn', 0, 2], ['NbOfTxs', 1, 1], ['CtrlSum', 0, 1], ['InitgPty', 1, 1], ['FwdgAgt', 0, 1]],
  PmtInf: [
    ['PmtInfId', 1, 1], ['PmtMtd', 1, 1], ['BtchBookg', 0, 1], ['NbOfTxs', 0, 1], ['CtrlSum', 0, 1], ['PmtTpInf', 0, 1],
    ['ReqdExctnDt', 1, 1], ['PoolgAdjstmntDt', 0, 1], ['Dbtr', 1, 1], ['DbtrAcct', 1, 1], ['DbtrAgt', 1, 1], ['DbtrAgtAcct', 0, 1],
    ['InstrForDbtrAgt', 0, 1], ['UltmtDbtr', 0, 1], ['ChrgBr', 0, 1], ['ChrgsAcct', 0, 1], ['ChrgsAcctAgt', 0, 1], ['CdtTrfTxInf', 1, MANY],
  ],
  CdtTrfTxInf: [
    ['PmtId', 1, 1], ['PmtTpInf', 0, 1], ['Amt', 1, 1], ['XchgRateInf', 0, 1], ['ChrgBr', 0, 1], ['ChqInstr', 0, 1], ['UltmtDbtr', 0, 1],
    ['IntrmyAgt1', 0, 1], ['IntrmyAgt1Acct', 0, 1], ['IntrmyAgt2', 0, 1], ['IntrmyAgt2Acct', 0, 1], ['IntrmyAgt3', 0, 1], ['IntrmyAgt3Acct', 0, 1],
    ['CdtrAgt', 0, 1], ['CdtrAgtAcct', 0, 1], ['Cdtr', 0, 1], ['CdtrAcct', 0, 1], ['UltmtCdtr', 0, 1], ['InstrForCdtrAgt', 0, MANY],
    ['InstrForDbtrAgt', 0, 1], ['Purp', 0, 1], ['RgltryRptg', 0, 10], ['Tax', 0, 1], ['RltdRmtInf', 0, 10], ['RmtInf', 0, 1], ['SplmtryData', 0, MANY],
  ],
  PmtId: [['InstrId', 0, 1], ['EndToEndId', 1, 1], ['UETR', 0, 1]],
  Amt: [['InstdAmt', 0, 1], ['EqvtAmt', 0, 1]],
  ReqdExctnDt: [['Dt', 0, 1], ['DtTm', 0, 1]],
  RmtInf: [['Ustrd', 0, MANY], ['Strd', 0, MANY]],
};

const MAX_LENGTH: Record<string, number> = {
  MsgId: 35, PmtInfId: 35, InstrId: 35, EndToEndId: 35, Nm: 140, Ustrd: 140, MmbId: 35,
};

function checkSequence(el: XmlElement, path: string, problems: string[]): void {
  const seq = SEQUENCES[el.name];
  if (!seq) return;
  let k = 0;
  const names = el.children.map((c) => c.name);
  for (const [name, min, max] of seq) {
    let n = 0;
    while (k < names.length && names[k] === name) {
      n++;
      k++;
    }
    if (n < min) problems.push(`${path}: ${name} is required${n ? ` ${min} times` : ''}`);
    if (n > max) problems.push(`${path}: ${name} may occur at most ${max} times, found ${n}`);
  }
  if (k < names.length) problems.push(`${path}: unexpected element ${names[k]} (not allowed there or out of order)`);
  if (el.name === 'Amt' && names.length !== 1) problems.push(`${path}: Amt holds exactly one of InstdAmt or EqvtAmt`);
  if (el.name === 'ReqdExctnDt' && names.length !== 1) problems.push(`${path}: ReqdExctnDt holds exactly one of Dt or DtTm`);
}

function walk(el: XmlElement, path: string, problems: string[]): void {
  checkSequence(el, path, problems);
  const max = MAX_LENGTH[el.name];
  if (max && el.children.length === 0 && ([...el.text].length > max || el.text.length === 0)) {
    problems.push(`${path}: ${el.name} must be 1-${max} characters`);
  }
  el.children.forEach((c) => walk(c, `${path}/${c.name}`, problems));
}

/** ActiveOrHistoricCurrencyAndAmount / DecimalNumber as fen, refusing anything that is not a plain amount. */
function amountFen(text: string | undefined, what: string, problems: string[]): number {
  if (text === undefined || !/^\d{1,16}(\.\d{1,2})?$/.test(text)) {
    problems.push(`${what} must be a decimal amount with at most 2 decimals, got ${JSON.stringify(text)}`);
    return 0;
  }
  return yuanToFen(text);
}

export interface Pain001Check {
  ok: boolean;
  problems: string[];
  messageId: string | undefined;
  nbOfTxs: number;
  ctrlSumFen: number;
  transfers: { endToEndId: string; amountFen: number; currency: string | undefined }[];
}

/**
 * Checks a pain.001.001.09 document the way the bank's schema validation would for the parts we write
 * (namespace, element names and their order, required elements, identifier lengths) and then the
 * business rules a bank checks next: NbOfTxs and CtrlSum at group and payment level agree with the
 * transactions, amounts are positive, EndToEndIds are unique.
 */
export function validatePain001(xml: string): Pain001Check {
  const problems: string[] = [];
  const out: Pain001Check = { ok: false, problems, messageId: undefined, nbOfTxs: 0, ctrlSumFen: 0, transfers: [] };
  let doc: XmlElement;
  try {
    doc = parseXml(xml);
  } catch (err) {
    problems.push(`not well-formed XML: ${err instanceof XmlError ? err.message : String(err)}`);
    return out;
  }
  if (doc.name !== 'Document') problems.push(`the root element is ${doc.name}, not Document`);
  if (doc.ns !== PAIN001_NS) problems.push(`the namespace is ${doc.ns ?? 'missing'}, not ${PAIN001_NS}`);
  walk(doc, 'Document', problems);
  const initn = childrenNamed(doc, 'CstmrCdtTrfInitn')[0];
  const hdr = childrenNamed(initn, 'GrpHdr')[0];
  out.messageId = childrenNamed(hdr, 'MsgId')[0]?.text;
  const seen = new Set<string>();
  let total = 0;
  let count = 0;
  for (const [i, pmt] of childrenNamed(initn, 'PmtInf').entries()) {
    let pmtSum = 0;
    const txs = childrenNamed(pmt, 'CdtTrfTxInf');
    for (const [j, tx] of txs.entries()) {
      const where = `PmtInf[${i}]/CdtTrfTxInf[${j}]`;
      const e2e = childrenNamed(childrenNamed(tx, 'PmtId')[0], 'EndToEndId')[0]?.text ?? '';
      if (seen.has(e2e)) problems.push(`${where}: EndToEndId ${e2e} appears twice`);
      seen.add(e2e);
      const instd = childrenNamed(childrenNamed(tx, 'Amt')[0], 'InstdAmt')[0];
      const fen = amountFen(instd?.text, `${where}/Amt/InstdAmt`, problems);
      if (instd && !/^[A-Z]{3}$/.test(instd.attrs.Ccy ?? '')) problems.push(`${where}/Amt/InstdAmt: Ccy must be an ISO 4217 code`);
      if (fen <= 0) problems.push(`${where}: the amount must be positive`);
      pmtSum += fen;
      out.transfers.push({ endToEndId: e2e, amountFen: fen, currency: instd?.attrs.Ccy });
    }
    const nb = childrenNamed(pmt, 'NbOfTxs')[0];
    if (nb && Number(nb.text) !== txs.length) problems.push(`PmtInf[${i}]: NbOfTxs says ${nb.text}, the block holds ${txs.length}`);
    const cs = childrenNamed(pmt, 'CtrlSum')[0];
    if (cs && amountFen(cs.text, `PmtInf[${i}]/CtrlSum`, problems) !== pmtSum) problems.push(`PmtInf[${i}]: CtrlSum says ${cs.text}, the transactions sum to ${fenToDecimal(pmtSum)}`);
    total += pmtSum;
    count += txs.length;
  }
  const nb = childrenNamed(hdr, 'NbOfTxs')[0]?.text;
  if (nb !== undefined && !/^\d{1,15}$/.test(nb)) problems.push('GrpHdr/NbOfTxs must be 1-15 digits');
  out.nbOfTxs = Number(nb ?? NaN);
  if (out.nbOfTxs !== count) problems.push(`GrpHdr/NbOfTxs says ${nb}, the message holds ${count} transactions`);
  const cs = childrenNamed(hdr, 'CtrlSum')[0];
  if (cs) {
    out.ctrlSumFen = amountFen(cs.text, 'GrpHdr/CtrlSum', problems);
    if (out.ctrlSumFen !== total) problems.push(`GrpHdr/CtrlSum says ${cs.text}, the transactions sum to ${fenToDecimal(total)}`);
  } else {
    out.ctrlSumFen = total;
  }
  out.ok = problems.length === 0;
  return out;
}
