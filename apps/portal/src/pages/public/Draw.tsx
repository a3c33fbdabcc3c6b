import './draw.css';
import { useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, call } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useLoad } from '../../ui/components';
import { CITIES } from './Register';

/**
 * A lottery city's draw, for anyone (issue 13): the commitment logged when entries opened, the secret revealed at
 * the draw, the tree head and entries root the seed was made from, the entries count, the winners — and how to
 * recompute it all offline with `npm run draw:verify`.
 */
export function Draw() {
  const { t, time } = useI18n();
  const { code = '', city = '', date = '' } = useParams();
  const draw = useLoad(async () => (code && city && date
    ? call(() => api.GET('/v1/public/programs/{code}/draws/{city}/{date}', { params: { path: { code, city, date } } }))
    : undefined), [code, city, date]);
  const d = draw.data;
  const download = () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(d, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'draw.json';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Page title={code && city && date ? t('draw.title', { city: t(`city.${city}` as MessageKey), date }) : t('draw.lookup')}>
      <Lookup code={code} city={city} date={date} />
      {draw.loading && !d && <Loading />}
      <ProblemAlert error={draw.error} />
      {d && (
        <section className="card draw-card" aria-labelledby="draw-h" data-testid="draw">
          <h2 id="draw-h">{t(`draw.status.${d.status}` as MessageKey)}</h2>
          <dl className="draw-facts">
            <dt>{t('draw.entries')}</dt><dd data-testid="draw-entries">{d.entries.length}</dd>
            <dt>{t('draw.quota')}</dt><dd>{d.quota ?? '—'}</dd>
            <dt>{t('draw.winners')}</dt><dd data-testid="draw-winners">{d.status === 'drawn' ? d.winners.length : '—'}</dd>
            <dt>{t('draw.commitment')}</dt><dd className="mono draw-break">{d.commitment}</dd>
            <dt>{t('draw.reveal')}</dt><dd className="mono draw-break" data-testid="draw-reveal">{d.reveal ?? t('draw.notRevealed')}</dd>
            <dt>{t('draw.treeHead')}</dt><dd className="mono draw-break">{d.treeHead ? `#${d.treeHead.treeSize} ${d.treeHead.rootHash} (${time(d.treeHead.timestamp)})` : '—'}</dd>
            <dt>{t('draw.entriesRoot')}</dt><dd className="mono draw-break">{d.entriesRoot ?? '—'}</dd>
          </dl>
          {d.limitedBy === 'budget' && <Notice kind="warn">{t('draw.limitedByBudget')}</Notice>}
          {d.winners.length > 0 && (
            <>
              <h3>{t('draw.winnerList')}</h3>
              <ol className="mono draw-small draw-break" data-testid="draw-winner-list">
                {d.winners.map((w) => <li key={w}>{w}</li>)}
              </ol>
            </>
          )}
          <h3>{t('draw.howTo')}</h3>
          <p>{t('draw.howToText')}</p>
          <Button kind="secondary" onClick={download}>{t('draw.download')}</Button>
        </section>
      )}
    </Page>
  );
}

function Lookup({ code, city, date }: { code: string; city: string; date: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState({ code, city: city || 'hangzhou', date });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (form.code.trim() && /^\d{4}-\d{2}-\d{2}$/.test(form.date)) navigate(`/draws/${encodeURIComponent(form.code.trim())}/${form.city}/${form.date}`);
  };
  return (
    <form className="form form-inline" onSubmit={submit} role="search">
      <Field label={t('draw.program')} required value={form.code} onChange={(e) => setForm((f) => ({ ...f, code: e.target.value }))} />
      <Select label={t('draw.city')} value={form.city} onChange={(e) => setForm((f) => ({ ...f, city: e.target.value }))}
        options={CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))} />
      <Field label={t('draw.date')} type="date" required value={form.date} onChange={(e) => setForm((f) => ({ ...f, date: e.target.value }))} />
      <Button type="submit">{t('draw.show')}</Button>
    </form>
  );
}
