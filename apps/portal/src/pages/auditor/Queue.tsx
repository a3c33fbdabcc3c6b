import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, StatusBadge, useAction, useLoad } from '../../ui/components';
import { CITIES, CsvExport, FLAGS, STATUSES, TableWrap, usePrograms, useWord, type ClaimFilters } from './shared';

type Claim = components['schemas']['ReviewClaimDto'];

const PAGE = 20;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The filters as the URL holds them (so a link to the queue is a link to the same view); status defaults to pending_review. */
function readFilters(params: URLSearchParams): { form: Record<keyof ClaimFilters, string>; api: ClaimFilters } {
  const form = {
    status: params.get('status') ?? 'pending_review',
    city: params.get('city') ?? '',
    programCode: params.get('programCode') ?? '',
    flag: params.get('flag') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
  const q: ClaimFilters = {};
  if ((STATUSES as readonly string[]).includes(form.status)) q.status = form.status as ClaimFilters['status'];
  if ((CITIES as readonly string[]).includes(form.city)) q.city = form.city as ClaimFilters['city'];
  if (form.programCode) q.programCode = form.programCode;
  if (/^[a-z][a-z0-9_]{0,39}$/.test(form.flag)) q.flag = form.flag;
  if (DATE_RE.test(form.from)) q.from = form.from;
  if (DATE_RE.test(form.to)) q.to = form.to;
  return { form, api: q };
}

/** The review queue: claims by status (pending review first), city, programme, flag and day, in keyset pages. */
export function Queue() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const key = params.toString();
  const filters = readFilters(params);
  const [draft, setDraft] = useState(filters.form);
  // the form follows the URL (back/forward, a shared link)
  useEffect(() => setDraft(readFilters(new URLSearchParams(key)).form), [key]);

  const [items, setItems] = useState<Claim[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const first = useLoad(async () => {
    const r = await call(() => api.GET('/v1/auditor/claims', { params: { query: { ...filters.api, limit: PAGE } } }));
    setItems(r.items);
    setCursor(r.nextCursor ?? undefined);
    return r;
  }, [key]);
  const more = useAction(async () => {
    const r = await call(() => api.GET('/v1/auditor/claims', { params: { query: { ...filters.api, limit: PAGE, cursor } } }));
    setItems((xs) => [...xs, ...r.items]);
    setCursor(r.nextCursor ?? undefined);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(draft)) if (v) next.set(k, v);
    setParams(next);
  };
  const set = (k: keyof ClaimFilters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const badRange = draft.from && draft.to && draft.from > draft.to;

  return (
    <Page title={t('auditor.queue.title')} wide>
      <form className="card auditor-filters" onSubmit={submit} aria-labelledby="filters-h" role="search">
        <h2 id="filters-h" className="h3">{t('auditor.filters')}</h2>
        <div className="form-grid">
          <Select label={t('auditor.field.status')} value={draft.status} onChange={set('status')}
            options={[...STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) })), { value: 'all', label: t('auditor.any') }]} />
          <Select label={t('auditor.field.city')} value={draft.city} onChange={set('city')}
            options={[{ value: '', label: t('auditor.any') }, ...CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))]} />
          <ProgramSelect value={draft.programCode} onChange={set('programCode')} />
          <FlagSelect value={draft.flag} onChange={set('flag')} />
          <Field label={t('auditor.field.from')} type="date" value={draft.from} onChange={set('from')} />
          <Field label={t('auditor.field.to')} type="date" value={draft.to} onChange={set('to')} error={badRange ? t('auditor.badRange') : undefined} />
        </div>
        <div className="actions">
          <Button type="submit" disabled={!!badRange}>{t('auditor.apply')}</Button>
          <Link className="btn btn-secondary" to="/auditor">{t('auditor.reset')}</Link>
        </div>
      </form>

      <section aria-labelledby="claims-h">
        <div className="auditor-bar">
          <h2 id="claims-h">{t('auditor.queue.claims')}</h2>
          <CsvExport filters={filters.api} />
        </div>
        {first.loading && <Loading />}
        <ProblemAlert error={first.error} />
        {first.data && items.length === 0 && <Notice>{t('auditor.queue.empty')}</Notice>}
        {items.length > 0 && (
          <>
            <p className="muted" role="status">{t('auditor.queue.shown', { n: items.length })}{cursor ? t('auditor.queue.moreExist') : ''}</p>
            <ClaimTable items={items} search={key} />
          </>
        )}
        <ProblemAlert error={more.error} />
        {cursor && <Button kind="secondary" busy={more.busy} onClick={() => void more.run()}>{t('app.more')}</Button>}
      </section>
    </Page>
  );
}

function ProgramSelect({ value, onChange }: { value: string; onChange: (e: { target: { value: string } }) => void }) {
  const { t } = useI18n();
  const programs = usePrograms();
  const options = [{ value: '', label: t('auditor.any') }, ...(programs.data ?? []).map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))];
  // a programme in the URL that is no longer running still shows as chosen
  if (value && !options.some((o) => o.value === value)) options.push({ value, label: value });
  return <Select label={t('auditor.field.program')} value={value} onChange={onChange} options={options} />;
}

function FlagSelect({ value, onChange }: { value: string; onChange: (e: { target: { value: string } }) => void }) {
  const { t } = useI18n();
  const word = useWord();
  const options = [{ value: '', label: t('auditor.any') }, ...FLAGS.map((f) => ({ value: f, label: word('auditor.flag', f) }))];
  if (value && !options.some((o) => o.value === value)) options.push({ value, label: value });
  return <Select label={t('auditor.field.flag')} value={value} onChange={onChange} options={options} />;
}

function ClaimTable({ items, search }: { items: Claim[]; search: string }) {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  return (
    <TableWrap label={t('auditor.queue.claims')}>
      <table className="table auditor-table" aria-labelledby="claims-h">
        <thead>
          <tr>
            <th scope="col">{t('auditor.col.time')}</th>
            <th scope="col">{t('auditor.col.city')}</th>
            <th scope="col">{t('auditor.col.store')}</th>
            <th scope="col">{t('auditor.col.model')}</th>
            <th scope="col" className="num">{t('auditor.col.price')}</th>
            <th scope="col" className="num">{t('auditor.col.subsidy')}</th>
            <th scope="col">{t('auditor.col.flags')}</th>
            <th scope="col">{t('auditor.col.status')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-testid="claim-row" data-claim-id={c.id}>
              <td>
                <Link to={`/auditor/claims/${c.id}`} state={{ search }} aria-label={t('auditor.queue.open', { model: c.modelCode, time: time(c.createdAt) })}>
                  {time(c.createdAt)}
                </Link>
              </td>
              <td>{t(`city.${c.city}` as MessageKey)}</td>
              <td>{c.retailerName}<br /><span className="muted mono">{c.storeCode}</span></td>
              <td><span className="mono">{c.modelCode}</span><br /><span className="muted">{c.resolution} · {t('auditor.grade', { n: c.energyGrade })}</span></td>
              <td className="num">{yuan(c.salePriceFen)}</td>
              <td className="num">{yuan(c.subsidy.amountFen)}</td>
              <td>
                {c.flags.length === 0 ? <span className="muted">—</span> : (
                  <ul className="auditor-tags">{c.flags.map((f) => <li key={f} className="badge auditor-flag">{word('auditor.flag', f)}</li>)}</ul>
                )}
              </td>
              <td><StatusBadge status={c.status} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
