import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, ApiProblem, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Loading, Notice, Page, ProblemAlert, Select, StatusBadge, useAction, useLoad } from '../../ui/components';
import { CITIES, Facts, TableWrap, TextArea, useWord } from './shared';

type Appeal = components['schemas']['AuditorAppealDto'];
type Detail = components['schemas']['AuditorAppealDetailDto'];
const APPEAL_STATUSES = ['open', 'upheld', 'dismissed'] as const;
const PAGE = 20;

/** Who someone is, by name when the platform knows it. */
function staff(by: { id: string; name: string | null } | null | undefined): string {
  return by ? by.name ?? by.id : '—';
}

/**
 * The appeals queue: rejections contested by a household or a retailer, open ones first in arrival order. An appeal the
 * auditor rejected the claim of is marked: another auditor decides it.
 */
export function AppealsQueue() {
  const { t, time, yuan } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = (APPEAL_STATUSES as readonly string[]).includes(params.get('status') ?? 'open') ? (params.get('status') ?? 'open') as Appeal['status'] : 'open';
  const city = (CITIES as readonly string[]).includes(params.get('city') ?? '') ? params.get('city') as (typeof CITIES)[number] : undefined;
  const [items, setItems] = useState<Appeal[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const query = { status: status as (typeof APPEAL_STATUSES)[number], city, limit: PAGE, order: status === 'open' ? 'asc' as const : 'desc' as const };
  const first = useLoad(async () => {
    const r = await call(() => api.GET('/v1/auditor/appeals', { params: { query } }));
    setItems(r.items);
    setCursor(r.nextCursor ?? undefined);
    return r;
  }, [status, city]);
  const more = useAction(async () => {
    const r = await call(() => api.GET('/v1/auditor/appeals', { params: { query: { ...query, cursor } } }));
    setItems((xs) => [...xs, ...r.items]);
    setCursor(r.nextCursor ?? undefined);
  });
  const set = (k: 'status' | 'city') => (e: { target: { value: string } }) => {
    const next = new URLSearchParams(params);
    if (e.target.value) next.set(k, e.target.value);
    else next.delete(k);
    setParams(next);
  };

  return (
    <Page title={t('auditor.appeals.title')} wide>
      <div className="form-inline" role="search">
        <Select label={t('auditor.field.status')} value={status} onChange={set('status')}
          options={APPEAL_STATUSES.map((s) => ({ value: s, label: t(`auditor.appeals.status.${s}` as MessageKey) }))} />
        <Select label={t('auditor.field.city')} value={city ?? ''} onChange={set('city')}
          options={[{ value: '', label: t('auditor.any') }, ...CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))]} />
      </div>
      <p className="muted">{t('auditor.appeals.explain')}</p>
      {first.loading && <Loading />}
      <ProblemAlert error={first.error} />
      {first.data && items.length === 0 && <Notice>{t('auditor.appeals.empty')}</Notice>}
      {items.length > 0 && (
        <TableWrap label={t('auditor.appeals.title')}>
          <table className="table auditor-table">
            <caption className="visually-hidden">{t('auditor.appeals.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('auditor.appeals.filed')}</th>
                <th scope="col">{t('auditor.col.city')}</th>
                <th scope="col">{t('auditor.claim.retailer')}</th>
                <th scope="col">{t('auditor.appeals.appellant')}</th>
                <th scope="col" className="num">{t('auditor.col.subsidy')}</th>
                <th scope="col">{t('auditor.appeals.rejectedBy')}</th>
                <th scope="col">{t('auditor.col.status')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid="appeal-row" data-appeal-id={a.id}>
                  <td><Link to={`/auditor/appeals/${a.id}`}>{time(a.createdAt)}</Link></td>
                  <td>{t(`city.${a.city}` as MessageKey)}</td>
                  <td>{a.retailerName}</td>
                  <td>{t(`auditor.appeals.by.${a.appellant}` as MessageKey)}</td>
                  <td className="num">{yuan(a.amountFen)}</td>
                  <td>
                    {staff(a.rejection.by)}
                    {a.status === 'open' && !a.decidableByMe && <div className="muted" data-testid="not-mine">{t('auditor.appeals.yoursRejected')}</div>}
                  </td>
                  <td><span className={`badge badge-${a.status === 'upheld' ? 'approved' : a.status === 'dismissed' ? 'rejected' : 'pending_review'}`}>{t(`auditor.appeals.status.${a.status}` as MessageKey)}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <ProblemAlert error={more.error} />
      {cursor && <Button kind="secondary" busy={more.busy} onClick={() => void more.run()}>{t('app.more')}</Button>}
    </Page>
  );
}

/** One appeal: what was rejected and by whom, what the appellant says, the claim's story, and the decision. */
export function AppealDetail() {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  const { id = '' } = useParams();
  const [appeal, setAppeal] = useState<Detail | undefined>();
  const load = useLoad(async () => {
    const d = await call(() => api.GET('/v1/auditor/appeals/{id}', { params: { path: { id } } }));
    setAppeal(d);
    return d;
  }, [id]);
  const a = appeal;
  return (
    <Page title={t('auditor.appeals.one')} wide>
      <p><Link to="/auditor/appeals">{t('auditor.appeals.back')}</Link></p>
      {load.loading && !a && <Loading />}
      <ProblemAlert error={load.error} />
      {a && (
        <>
          <AppealDecision appeal={a} onDecided={setAppeal} onStale={load.reload} />
          <section className="card" aria-labelledby="appeal-h">
            <h2 id="appeal-h">{t('auditor.appeals.appeal')}</h2>
            <Facts rows={[
              [t('auditor.appeals.appellant'), t(`auditor.appeals.by.${a.appellant}` as MessageKey)],
              [t('auditor.appeals.filed'), time(a.createdAt)],
              [t('auditor.appeals.reason'), <span data-testid="appeal-reason" className="pre-wrap">{a.reason}</span>],
            ]} />
          </section>
          <section className="card" aria-labelledby="rejection-h">
            <h2 id="rejection-h">{t('auditor.appeals.rejection')}</h2>
            <Facts rows={[
              [t('auditor.appeals.rejectedBy'), <span data-testid="rejected-by">{staff(a.rejection.by)}</span>],
              [t('auditor.decision.at'), time(a.rejection.at)],
              [t('auditor.decision.reason'), <span data-testid="rejection-reason">{a.rejection.reason}</span>],
            ]} />
          </section>
          <section className="card" aria-labelledby="appeal-claim-h">
            <h2 id="appeal-claim-h">{t('auditor.claim.facts')}</h2>
            <Facts rows={[
              [t('auditor.claim.id'), <Link className="mono" to={`/auditor/claims/${a.claimId}`}>{a.claimId}</Link>],
              [t('auditor.field.status'), <StatusBadge status={a.claim.status} />],
              [t('auditor.claim.retailer'), a.retailerName],
              [t('auditor.col.model'), <span className="mono">{a.claim.modelCode}</span>],
              [t('auditor.claim.serial'), <span className="mono">{a.claim.serialNumber}</span>],
              [t('auditor.col.price'), yuan(a.claim.salePriceFen)],
              [t('auditor.col.subsidy'), yuan(a.claim.subsidy.amountFen)],
              [t('auditor.claim.flags'), a.claim.flags.map((f) => word('auditor.flag', f)).join('、')],
            ]} />
            <h3>{t('auditor.history.title')}</h3>
            <ol className="timeline">
              {a.claim.history.filter((e) => e.subjectType === 'claim').map((e) => (
                <li key={e.id} className="step step-done" data-testid="appeal-history">
                  <strong>{word('auditor.action', e.action)}</strong> <time dateTime={e.at}>{time(e.at)}</time>
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </Page>
  );
}

function AppealDecision({ appeal: a, onDecided, onStale }: { appeal: Detail; onDecided: (d: Detail) => void; onStale: () => void }) {
  const { t, time, yuan } = useI18n();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const decide = useAction(async (decision: 'uphold' | 'dismiss') => {
    try {
      onDecided(await call(() => api.POST('/v1/auditor/appeals/{id}/decision', { params: { path: { id: a.id } }, body: { decision, reason: reason.trim() } })));
      setReason('');
    } catch (err) {
      // another auditor decided first: show the appeal as it now is, with the refusal
      if (err instanceof ApiProblem && err.problem.code === 'appeal_already_decided') onStale();
      throw err;
    }
  });
  const run = (decision: 'uphold' | 'dismiss') => (e?: FormEvent) => {
    e?.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    void decide.run(decision);
  };
  return (
    <section className="card" aria-labelledby="appeal-decision-h">
      <h2 id="appeal-decision-h">
        {t('auditor.appeals.decision')}{' '}
        <span className="badge" data-testid="appeal-status">{t(`auditor.appeals.status.${a.status}` as MessageKey)}</span>
      </h2>
      <ProblemAlert error={decide.error} />
      {a.decision && (
        <Facts rows={[
          [t('auditor.decision.by'), staff(a.decision.by)],
          [t('auditor.decision.at'), time(a.decision.at)],
          [t('auditor.decision.reason'), a.decision.reason],
        ]} />
      )}
      {a.status === 'open' && !a.decidableByMe && <Notice kind="warn">{t('auditor.appeals.notYours')}</Notice>}
      {a.status === 'open' && a.decidableByMe && (
        <form className="form" onSubmit={run('uphold')} noValidate>
          <p>{t('auditor.appeals.upholdExplain', { amount: yuan(a.amountFen) })}</p>
          <TextArea label={t('auditor.decision.reasonLabel')} value={reason} maxLength={500} required
            error={missing ? t('auditor.decision.reasonRequired') : undefined}
            onChange={(e) => { setReason(e.target.value); if (e.target.value.trim()) setMissing(false); }} />
          <div className="actions">
            <Button type="submit" busy={decide.busy}>{t('auditor.appeals.uphold')}</Button>
            <Button type="button" kind="danger" busy={decide.busy} onClick={() => run('dismiss')()}>{t('auditor.appeals.dismiss')}</Button>
          </div>
        </form>
      )}
    </section>
  );
}
