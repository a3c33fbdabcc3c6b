import { parseBankFile } from './bank-status';
import { buildPain001, fenToDecimal, Pain001Message, validatePain001 } from './pain001';
import { parseXml } from './xml';

const message = (over: Partial<Pain001Message> = {}): Pain001Message => ({
  messageId: 'a'.repeat(32),
  createdAt: '2026-11-11T10:00:00+08:00',
  executionDate: '2026-11-11',
  initiatingPartyName: '浙江省商务厅',
  paymentInfoId: 'a'.repeat(32),
  debtorName: '浙江省商务厅 以旧换新专户',
  debtorAccount: '3301040160000123456',
  debtorBic: 'ICBKCNBJZJP',
  currency: 'CNY',
  transfers: [
    { endToEndId: 'b'.repeat(32), amountFen: 119980, creditorName: '杭州 <测试> & 电器', creditorAccount: '6222020200112233445', creditorBankCode: '102331000010', remittance: 'payout 1' },
    { endToEndId: 'c'.repeat(32), amountFen: 5, creditorName: 'Ningbo TV', creditorAccount: 'DE89370400440532013000', creditorBankCode: '104332000010', remittance: 'payout 2' },
  ],
  ...over,
});

describe('pain.001.001.09', () => {
  it('writes a file that validates, with NbOfTxs and CtrlSum at both levels', () => {
    const xml = buildPain001(message());
    const check = validatePain001(xml);
    expect(check.problems).toEqual([]);
    expect(check).toMatchObject({ ok: true, nbOfTxs: 2, ctrlSumFen: 119985, messageId: 'a'.repeat(32) });
    expect(xml.match(/<NbOfTxs>2<\/NbOfTxs>/g)).toHaveLength(2);
    expect(xml.match(/<CtrlSum>1199.85<\/CtrlSum>/g)).toHaveLength(2);
    expect(xml).toContain('<IBAN>DE89370400440532013000</IBAN>');
    expect(xml).toContain('杭州 &lt;测试&gt; &amp; 电器');
    expect(parseXml(xml).children[0].children[1].children.filter((c) => c.name === 'CdtTrfTxInf')[0].children[3].children[0].text).toBe('杭州 <测试> & 电器');
  });

  it.each([
    ['a control sum that does not add up', (x: string) => x.replace('<CtrlSum>1199.85</CtrlSum>', '<CtrlSum>1199.86</CtrlSum>'), /CtrlSum says 1199.86/],
    ['a wrong count', (x: string) => x.replace('<NbOfTxs>2</NbOfTxs>', '<NbOfTxs>3</NbOfTxs>'), /NbOfTxs says 3/],
    ['elements out of order', (x: string) => x.replace(/<PmtMtd>TRF<\/PmtMtd>\s*<BtchBookg>false<\/BtchBookg>/, '<BtchBookg>false</BtchBookg><PmtMtd>TRF</PmtMtd>'), /out of order|is required/],
    ['a misspelt element', (x: string) => x.replace(/<Cdtr>/, '<Creditor>').replace(/<\/Cdtr>/, '</Creditor>'), /unexpected element Creditor/],
    ['a missing debtor', (x: string) => x.replace(/<Dbtr>.*<\/Dbtr>/, ''), /Dbtr is required/],
    ['another namespace', (x: string) => x.replace('pain.001.001.09', 'pain.001.001.03'), /namespace/],
    ['three decimals', (x: string) => x.replace('>0.05<', '>0.050<'), /at most 2 decimals/],
    ['an EndToEndId too long', (x: string) => x.replace(`<EndToEndId>${'c'.repeat(32)}`, `<EndToEndId>${'c'.repeat(36)}`), /EndToEndId must be 1-35/],
    ['a DTD', (x: string) => x.replace('<Document', '<!DOCTYPE x [<!ENTITY a "b">]><Document'), /DTD/],
  ])('refuses %s', (_what, mutate, problem) => {
    const check = validatePain001(mutate(buildPain001(message())));
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(problem);
  });

  it('formats fen exactly', () => {
    expect([0, 5, 100, 119980, 9007199254740991].map(fenToDecimal)).toEqual(['0.00', '0.05', '1.00', '1199.80', '90071992547409.91']);
  });
});

describe('bank status files', () => {
  it('reads pain.002 transaction and group statuses', () => {
    const xml = `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
      <OrgnlGrpInfAndSts><OrgnlMsgId>M1</OrgnlMsgId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
      <OrgnlPmtInfAndSts><OrgnlPmtInfId>M1</OrgnlPmtInfId>
        <TxInfAndSts><OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>ACSC</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy="CNY">12.30</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
        <TxInfAndSts><OrgnlEndToEndId>E2</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>closed</AddtlInf></StsRsnInf></TxInfAndSts>
        <TxInfAndSts><OrgnlEndToEndId>E3</OrgnlEndToEndId><TxSts>ACSP</TxSts></TxInfAndSts>
      </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>`;
    expect(parseBankFile(xml)).toEqual({
      format: 'pain.002',
      messageStatus: { originalMessageId: 'M1', status: 'pending', reason: undefined },
      records: [
        { reference: 'E1', status: 'paid', amountFen: 1230, reason: undefined },
        { reference: 'E2', status: 'failed', amountFen: undefined, reason: 'AC04: closed' },
        { reference: 'E3', status: 'pending', amountFen: undefined, reason: undefined },
      ],
    });
  });

  it('reads camt.053 booked debits and returns, and a CSV', () => {
    const camt = `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
      <Ntry><Amt Ccy="CNY">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
      <Ntry><Amt Ccy="CNY">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><NtryDtls><TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
    </Stmt></BkToCstmrStmt></Document>`;
    expect(parseBankFile(camt).records).toEqual([
      { reference: 'E1', status: 'paid', amountFen: 1000, reason: undefined },
      { reference: 'E2', status: 'failed', amountFen: 1000, reason: 'AC04' },
    ]);
    expect(parseBankFile('End-To-End Id,Status,Amount,Reason\r\nE1,ACSC,"1.00",\n"E-2",failed,,"a ""quoted"", reason"\n').records).toEqual([
      { reference: 'E1', status: 'paid', amountFen: 100, reason: undefined },
      { reference: 'E2', status: 'failed', amountFen: undefined, reason: 'a "quoted", reason' },
    ]);
    expect(() => parseBankFile('end_to_end_id,status\nE1,maybe\n')).toThrow(/status must be/);
  });
});
