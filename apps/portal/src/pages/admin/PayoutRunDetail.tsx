import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Loading, Notice, Page, ProblemAlert, StatusBadge, useAction, useLoad } from '../../ui/components';
import { CountsLine } from './PayoutRuns';
import { Badge, useWord } from './shared';

type Run = components['schemas']['PayoutRunDto'];
type Reconciliation = components['schemas']['ReconciliationDto'];

const AUTO_REFRESH_MS = 10_000;

/** A retailer by the start of its id, linked to its page. */
function RetailerLink({ id }: { id: string | null }) {
  if (!id) return <>—</>;
  return <Link to={`/admin/organisations/retailers/${id}`} className="mono" title={id}>{id.slice(0, 8)}</Link>;
}

/** One payout run followed: its payouts and their states (refreshed on demand or every few seconds), and its reconciliation. */
export function PayoutRunDetail() {
  const { id = '' } = useParams();
  const { t, time, yuan } = useI18n();
  const data = useLoad(async () => ({ run: await call(() => api.GET('/v1/admin/payout-runs/{id}', { params: { path: { id } } })), at: new Date().toISOString() }), [id]);
  const [auto, setAuto] = useState(false);
  const run = data.data?.run;
  const { reload } = data;
  useEffect(() => {
    if (!auto) return undefined;
    const timer = window.setInterval(reload, AUTO_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [auto, reload]);
  return (
    <Page title={run ? t('admin.run.title', { code: run.programCode, time: time(run.createdAt) }) : t('admin.runs.title')} wide>
      <p><Link to="/admin/payout-runs">{t('admin.run.back')}</Link></p>
      {data.loading && !run && <Loading />}
      <ProblemAlert error={data.error} />
      {run && (
        <>
          <section className="card" aria-labelledby="run-h">
            <h2 id="run-h">{t('admin.run.summary')}</h2>
            <dl className="summary" data-testid="run-summary">
              <dt>{t('admin.org.status')}</dt><dd><StatusBadge status={run.status} /></dd>
              <dt>{t('admin.run.gateway')}</dt><dd>{t(run.gateway === 'stripe' ? 'admin.run.gateway.stripe' : 'admin.run.gateway.bank')}</dd>
              <dt>{t('admin.runs.trigger')}</dt><dd>{t(`admin.runs.triggers.${run.trigger}`)}</dd>
              <dt>{t('admin.runs.created')}</dt><dd>{time(run.createdAt)}</dd>
              <dt>{t('admin.run.started')}</dt><dd>{time(run.startedAt)}</dd>
              <dt>{t('admin.run.completed')}</dt><dd>{time(run.completedAt)}</dd>
              <dt>{t('admin.runs.payouts')}</dt><dd>{run.payoutCount}</dd>
              <dt>{t('admin.runs.claims')}</dt><dd>{run.claimCount}</dd>
              <dt>{t('admin.run.gross')}</dt><dd>{yuan(run.grossFen)}</dd>
              <dt>{t('admin.run.netted')}</dt><dd>{yuan(run.nettedFen)}</dd>
              <dt>{t('admin.runs.total')}</dt><dd>{yuan(run.totalFen)}</dd>
              <dt>{t('admin.runs.states')}</dt><dd><CountsLine counts={run.counts} /></dd>
            </dl>
            <div className="actions">
              <Button type="button" kind="secondary" busy={data.loading} onClick={reload}>{t('admin.run.refresh')}</Button>
              <label className="admin-check"><input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> {t('admin.run.auto')}</label>
            </div>
            <p className="hint" role="status">{t('admin.run.updated', { time: time(data.data!.at) })}</p>
          </section>
          <Payouts run={run} />
          <Reconcile runId={run.id} />
        </>
      )}
    </Page>
  );
}

function Payouts({ run }: { run: Run }) {
  const { t, yuan } = useI18n();
  const word = useWord();
  return (
    <section className="card" aria-labelledby="payouts-h">
      <h2 id="payouts-h">{t('admin.run.payouts')}</h2>
      {run.payouts.length === 0 ? <Notice>{t('admin.run.noPayouts')}</Notice> : (
        <div className="table-wrap">
          <table className="table" data-testid="payouts">
            <thead>
              <tr>
                <th scope="col">{t('admin.run.retailer')}</th>
                <th scope="col" className="num">{t('admin.runs.claims')}</th>
                <th scope="col" className="num">{t('admin.run.gross')}</th>
                <th scope="col" className="num">{t('admin.run.netted')}</th>
                <th scope="col" className="num">{t('admin.run.amount')}</th>
                <th scope="col">{t('admin.org.status')}</th>
                <th scope="col">{t('admin.run.reference')}</th>
              </tr>
            </thead>
            <tbody>
              {run.payouts.map((p) => (
                <tr key={p.id}>
                  <td><RetailerLink id={p.retailerId} /></td>
                  <td className="num">{p.claimCount}</td>
                  <td className="num">{yuan(p.grossFen)}</td>
                  <td className="num">{yuan(p.nettedFen)}</td>
                  <td className="num">{yuan(p.amountFen)}</td>
                  <td><StatusBadge status={p.status} />{p.failureReason && <span className="hint"> {p.failureReason}</span>}</td>
                  <td className="mono admin-wrap">{p.reference ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {run.held.length > 0 && (
        <>
          <h3>{t('admin.run.held')}</h3>
          <div className="table-wrap">
            <table className="table" data-testid="held">
              <thead>
                <tr>
                  <th scope="col">{t('admin.run.retailer')}</th>
                  <th scope="col">{t('admin.run.reason')}</th>
                  <th scope="col" className="num">{t('admin.runs.claims')}</th>
                  <th scope="col" className="num">{t('admin.run.amount')}</th>
                </tr>
              </thead>
              <tbody>
                {run.held.map((h) => (
                  <tr key={h.retailerId}>
                    <td><RetailerLink id={h.retailerId} /></td>
                    <td>{word('admin.run.holds', h.reason)}</td>
                    <td className="num">{h.claimCount}</td>
                    <td className="num">{yuan(h.amountFen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {run.reversals.length > 0 && (
        <>
          <h3>{t('admin.run.reversals')}</h3>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.run.retailer')}</th>
                  <th scope="col" className="num">{t('admin.run.amount')}</th>
                  <th scope="col">{t('admin.org.status')}</th>
                  <th scope="col">{t('admin.run.reference')}</th>
                </tr>
              </thead>
              <tbody>
                {run.reversals.map((v) => (
                  <tr key={v.id}>
                    <td><RetailerLink id={v.retailerId} /></td>
                    <td className="num">{yuan(v.amountFen)}</td>
                    <td><StatusBadge status={v.status} /></td>
                    <td className="mono admin-wrap">{v.reference ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function Reconcile({ runId }: { runId: string }) {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  const [result, setResult] = useState<Reconciliation>();
  const check = useAction(async () => {
    setResult(await call(() => api.GET('/v1/admin/reconciliation', { params: { query: { runId } } })));
  });
  return (
    <section className="card" aria-labelledby="recon-h">
      <h2 id="recon-h">{t('admin.recon.title')}</h2>
      <p className="hint">{t('admin.recon.intro')}</p>
      <div className="actions">
        <Button type="button" kind="secondary" busy={check.busy} onClick={() => void check.run()}>{result ? t('admin.recon.again') : t('admin.recon.check')}</Button>
      </div>
      <ProblemAlert error={check.error} />
      {result && (
        <div data-testid="reconciliation" className="admin-subform">
          <dl className="summary">
            <dt>{t('admin.recon.result')}</dt>
            <dd><Badge prefix="admin.recon" code={result.balanced ? 'balanced' : 'unbalanced'} tone={result.balanced ? 'ok' : 'bad'} /></dd>
            <dt>{t('admin.recon.ledger')}</dt><dd>{yuan(result.ledgerPaidFen)}</dd>
            <dt>{t('admin.recon.gateway')}</dt><dd>{yuan(result.gatewayPaidFen)}</dd>
            <dt>{t('admin.recon.matched')}</dt><dd>{result.matched}</dd>
            <dt>{t('admin.recon.open')}</dt><dd>{result.open.length}</dd>
            <dt>{t('admin.recon.checkedAt')}</dt><dd>{time(result.checkedAt)}</dd>
          </dl>
          {result.open.length > 0 && (
            <>
              <h3>{t('admin.recon.openTitle')}</h3>
              <ul className="list">
                {result.open.map((o) => (
                  <li key={o.payoutId} className="list-row"><span><RetailerLink id={o.retailerId} /> {yuan(o.amountFen)}</span> <StatusBadge status={o.status} /></li>
                ))}
              </ul>
            </>
          )}
          <h3>{t('admin.recon.mismatches', { n: result.mismatches.length })}</h3>
          {result.mismatches.length === 0 ? <Notice kind="ok">{t('admin.recon.none')}</Notice> : (
            <div className="table-wrap">
              <table className="table" data-testid="mismatches">
                <thead>
                  <tr>
                    <th scope="col">{t('admin.recon.kind')}</th>
                    <th scope="col">{t('admin.run.retailer')}</th>
                    <th scope="col">{t('admin.run.reference')}</th>
                    <th scope="col" className="num">{t('admin.recon.ledgerFen')}</th>
                    <th scope="col" className="num">{t('admin.recon.gatewayFen')}</th>
                    <th scope="col">{t('admin.recon.detail')}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.mismatches.map((m, i) => (
                    <tr key={`${m.kind}-${m.payoutId ?? m.reference ?? i}`}>
                      <td>{word('admin.recon.kinds', m.kind)}</td>
                      <td><RetailerLink id={m.retailerId} /></td>
                      <td className="mono admin-wrap">{m.reference ?? '—'}</td>
                      <td className="num">{yuan(m.ledgerFen)}</td>
                      <td className="num">{yuan(m.gatewayFen)}</td>
                      <td lang="en">{m.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
