/**
 * What the simulated bank sends back about our pain.001 files: a pain.002.001.10 status report or a
 * camt.053.001.08 statement, as ISO 20022 documents (the same shapes the settlement tests use).
 */
export type BankTxStatus = 'ACSC' | 'RJCT';

export const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/** A status report on one of our messages: per transfer (EndToEndId) or, with no lines, for the whole message. */
export function pain002(messageId: string, originalMessageId: string, txs: { endToEndId: string; status: BankTxStatus }[], groupStatus?: BankTxStatus): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">',
    '  <CstmrPmtStsRpt>',
    `    <GrpHdr><MsgId>${messageId}</MsgId><CreDtTm>2030-06-01T09:00:00+08:00</CreDtTm></GrpHdr>`,
    '    <OrgnlGrpInfAndSts>',
    `      <OrgnlMsgId>${originalMessageId}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>`,
    ...(groupStatus ? [`      <GrpSts>${groupStatus}</GrpSts>`, '      <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>'] : []),
    '    </OrgnlGrpInfAndSts>',
  ];
  if (txs.length) {
    lines.push('    <OrgnlPmtInfAndSts>', `      <OrgnlPmtInfId>${originalMessageId}</OrgnlPmtInfId>`);
    for (const tx of txs) {
      lines.push(
        '      <TxInfAndSts>',
        `        <OrgnlInstrId>${tx.endToEndId}</OrgnlInstrId><OrgnlEndToEndId>${tx.endToEndId}</OrgnlEndToEndId><TxSts>${tx.status}</TxSts>`,
        ...(tx.status === 'RJCT' ? ['        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>账户已销户 account closed</AddtlInf></StsRsnInf>'] : []),
        '      </TxInfAndSts>',
      );
    }
    lines.push('    </OrgnlPmtInfAndSts>');
  }
  lines.push('  </CstmrPmtStsRpt>', '</Document>', '');
  return lines.join('\n');
}

/** A statement of the programme account: booked debits (paid) and money that came back (returned). */
export function camt053(messageId: string, entries: { endToEndId: string; amountFen: number; returned?: boolean }[]): string {
  const ntry = entries.map((e) => [
    '      <Ntry>',
    `        <Amt Ccy="CNY">${yuan(e.amountFen)}</Amt><CdtDbtInd>${e.returned ? 'CRDT' : 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>`,
    '        <BookgDt><Dt>2030-06-01</Dt></BookgDt><BkTxCd><Prtry><Cd>TRF</Cd></Prtry></BkTxCd>',
    `        <NtryDtls><TxDtls><Refs><EndToEndId>${e.endToEndId}</EndToEndId></Refs><Amt Ccy="CNY">${yuan(e.amountFen)}</Amt>`,
    ...(e.returned ? ['          <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>'] : []),
    '        </TxDtls></NtryDtls>',
    '      </Ntry>',
  ].join('\n'));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">',
    '  <BkToCstmrStmt>',
    `    <GrpHdr><MsgId>${messageId}</MsgId><CreDtTm>2030-06-01T18:00:00+08:00</CreDtTm></GrpHdr>`,
    `    <Stmt><Id>${messageId}</Id><CreDtTm>2030-06-01T18:00:00+08:00</CreDtTm><Acct><Id><Othr><Id>0000000000000000</Id></Othr></Id></Acct>`,
    ...ntry,
    '    </Stmt>',
    '  </BkToCstmrStmt>',
    '</Document>',
    '',
  ].join('\n');
}
