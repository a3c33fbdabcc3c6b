import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Loading, Notice, Page, ProblemAlert, Select, StatusBadge, useAction, useLoad } from '../../ui/components';
import { ConfirmButton, MoreButton, useAttemptKey, usePages, useWord } from './shared';

type RunSummary = components['schemas']['PayoutRunSummaryDto'];
type Counts = components['schemas']['PayoutCountsDto'];

/** The programmes, for the run pages' selects (the first page holds 200 by code). */
export function useProgramCodes() {
  return useLoad(async () => (await call(() => api.GET('/v1/admin/programs', { params: { query: { limit: 200 } } }))).items.map((p) => ({ code: p.code, name: p.name })), []);
}

/** Payouts counted by state, in words: "1 paid · 1 sent". */
export function CountsLine({ counts }: { counts: Counts }) {
  const { t } = useI18n();
  const parts = (['paid', 'sent', 'pending', 'failed'] as const).filter((s) => counts[s] > 0).map((s) => `${t(`status.${s}`)} ${counts[s]}`);
  return <>{parts.length ? parts.join(' · ') : '—'}</>;
}

/** Payout runs: start one for a programme (after a confirmation), and every run, newest first. */
export function PayoutRuns() {
  const { t } = useI18n();
  const programs = useProgramCodes();
  const [filter, setFilter] = useState('');
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/payout-runs', { params: { query: { limit: 20, cursor, ...(filter ? { programCode: filter } : {}) } } })), [filter]);
  const options = (programs.data ?? []).map((p) => ({ value: p.code, label: `${p.code} · ${p.name}` }));
  return (
    <Page title={t('admin.runs.title')} wide>
      <ProblemAlert error={programs.error} />
      <StartRun options={options} />
      <section aria-labelledby="runs-h">
        <h2 id="runs-h">{t('admin.runs.list')}</h2>
        <form className="form-inline" onSubmit={(e) => e.preventDefault()}>
          <Select label={t('admin.runs.filter')} value={filter} onChange={(e) => setFilter(e.target.value)} options={[{ value: '', label: t('admin.runs.allPrograms') }, ...options]} />
        </form>
        {pages.first.loading && !pages.first.data && <Loading />}
        <ProblemAlert error={pages.first.error} />
        {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
        {pages.items.length > 0 && <RunsTable runs={pages.items} />}
        <MoreButton pages={pages} />
      </section>
    </Page>
  );
}

function RunsTable({ runs }: { runs: RunSummary[] }) {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="runs">
        <thead>
          <tr>
            <th scope="col">{t('admin.runs.created')}</th>
            <th scope="col">{t('admin.runs.program')}</th>
            <th scope="col">{t('admin.org.status')}</th>
            <th scope="col">{t('admin.runs.trigger')}</th>
            <th scope="col" className="num">{t('admin.runs.payouts')}</th>
            <th scope="col" className="num">{t('admin.runs.claims')}</th>
            <th scope="col" className="num">{t('admin.runs.total')}</th>
            <th scope="col">{t('admin.runs.states')}</th>
            <th scope="col" className="num">{t('admin.runs.held')}</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td><Link to={`/admin/payout-runs/${r.id}`}>{time(r.createdAt)}</Link></td>
              <td className="mono">{r.programCode}</td>
              <td><StatusBadge status={r.status} /></td>
              <td>{word('admin.runs.triggers', r.trigger)}</td>
              <td className="num">{r.payoutCount}</td>
              <td className="num">{r.claimCount}</td>
              <td className="num">{yuan(r.totalFen)}</td>
              <td><CountsLine counts={r.counts} /></td>
              <td className="num">{r.heldCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StartRun({ options }: { options: { value: string; label: string }[] }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [chosen, setChosen] = useState('');
  const programCode = chosen || options[0]?.value || '';
  const attempt = useAttemptKey();
  const start = useAction(async () => {
    const body = { programCode };
    const run = await call(() => api.POST('/v1/admin/payout-runs', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/payout-runs', body) } }));
    attempt.done();
    navigate(`/admin/payout-runs/${run.id}`);
  });
  return (
    <section className="card" aria-labelledby="start-h">
      <h2 id="start-h">{t('admin.runs.start')}</h2>
      <p className="hint">{t('admin.runs.startIntro')}</p>
      {options.length === 0 ? <Notice>{t('admin.runs.noPrograms')}</Notice> : (
        <>
          <form className="form-inline" onSubmit={(e) => e.preventDefault()}>
            <Select label={t('admin.runs.program')} value={programCode} onChange={(e) => setChosen(e.target.value)} options={options} />
          </form>
          <ProblemAlert error={start.error} />
          <div className="actions">
            <ConfirmButton label={t('admin.runs.startButton')} kind="primary" busy={start.busy} question={t('admin.runs.startQuestion', { code: programCode })}
              confirmLabel={t('admin.runs.startConfirm')} onConfirm={() => start.run()} />
          </div>
        </>
      )}
    </section>
  );
}
