import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Loading, MoreButton, Notice, Page, ProblemAlert, StatusBadge, usePages } from '../../ui/components';
import { PayoutDetailsNotice } from './PayoutDetailsNotice';

type Payout = components['schemas']['RetailerPayoutDto'];

/** One payout's statement as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese), amounts in yuan. */
export function statementCsv(p: Payout): string {
  const y = (fen: number) => (fen / 100).toFixed(2);
  const q = (s: string | number | null | undefined) => {
    const v = s === null || s === undefined ? '' : String(s);
    return /[",\n\r]/.test(v) || /^[=+\-@]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const rows = [
    ['payout_id', 'run_id', 'status', 'reference', 'gross_yuan', 'netted_yuan', 'amount_yuan'],
    [p.id, p.runId, p.status, p.reference ?? '', y(p.grossFen), y(p.nettedFen), y(p.amountFen)],
    [],
    ['line', 'claim_id', 'city', 'store_code', 'invoice_number', 'sold_at', 'amount_yuan'],
    ...p.claims.map((c) => ['claim', c.claimId, c.city, c.storeCode, c.invoiceNumber, c.soldAt, y(c.amountFen)]),
    ...p.clawbacks.map((c) => [`clawback_${c.kind}`, c.claimId, c.city, '', c.invoiceNumber, '', y(-c.amountFen)]),
  ];
  return `\uFEFF${rows.map((r) => r.map(q).join(',')).join('\r\n')}\r\n`;
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The retailer's payouts, newest first, each with its statement: claims, clawbacks kept back, what arrived. */
export function TillPayouts() {
  const { t, yuan, time } = useI18n();
  const pages = usePages((cursor) => call(() => api.GET('/v1/retailer/payouts', { params: { query: { limit: 10, cursor } } })), []);
  return (
    <Page title={t('cashier.payouts')} wide>
      <PayoutDetailsNotice />
      {pages.first.loading && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
      {pages.items.map((p) => (
        <section key={p.id} className="card" aria-labelledby={`po-${p.id}`} data-testid="payout">
          <h2 id={`po-${p.id}`}>{t('cashier.payout', { time: time(p.createdAt), count: p.claims.length })} <StatusBadge status={p.status} /></h2>
          <dl className="summary">
            <dt>{t('cashier.gross')}</dt><dd>{yuan(p.grossFen)}</dd>
            <dt>{t('cashier.netted')}</dt><dd>{yuan(p.nettedFen)}</dd>
            <dt>{t('cashier.amount')}</dt><dd>{yuan(p.amountFen)}</dd>
            <dt>{t('cashier.reference')}</dt><dd className="mono">{p.reference ?? '—'}</dd>
            <dt>{t('cashier.destination')}</dt><dd className="mono">{p.destination ?? '—'}</dd>
          </dl>
          <details>
            <summary>{t('cashier.nav.claims')} ({p.claims.length})</summary>
            <div className="table-wrap">
              <table className="table">
                <thead><tr><th scope="col">{t('cashier.col.time')}</th><th scope="col">{t('cashier.col.store')}</th><th scope="col">{t('cashier.col.invoice')}</th><th scope="col" className="num">{t('cashier.col.subsidy')}</th></tr></thead>
                <tbody>{p.claims.map((c) => <tr key={c.claimId}><td>{time(c.soldAt)}</td><td>{c.storeCode}</td><td className="mono">{c.invoiceNumber}</td><td className="num">{yuan(c.amountFen)}</td></tr>)}</tbody>
              </table>
            </div>
          </details>
          {p.clawbacks.length > 0 && (
            <details>
              <summary>{t('cashier.clawbacks')} ({p.clawbacks.length})</summary>
              <ul>{p.clawbacks.map((c, i) => <li key={i}><span className="mono">{c.invoiceNumber}</span> · {c.kind} · {yuan(c.amountFen)}</li>)}</ul>
            </details>
          )}
          <div className="actions">
            <Button kind="secondary" onClick={() => download(`huanxin-payout-${p.id}.csv`, statementCsv(p))}>{t('cashier.csv')}</Button>
          </div>
        </section>
      ))}
      <MoreButton pages={pages} />
    </Page>
  );
}
