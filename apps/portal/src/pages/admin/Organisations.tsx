import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useAction } from '../../ui/components';
import { Badge, CITIES, MoreButton, useAttemptKey, usePages, type City } from './shared';

type StoreRow = { code: string; name: string; city: City };

/** Retailers (list, certify with stores) and recyclers (certify, open one). */
export function Organisations() {
  const { t } = useI18n();
  return (
    <Page title={t('admin.org.title')} wide>
      <Retailers />
      <CreateRetailer />
      <Recyclers />
    </Page>
  );
}

function Retailers() {
  const { t, date } = useI18n();
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/retailers', { params: { query: { limit: 50, cursor } } })), []);
  return (
    <section aria-labelledby="retailers-h">
      <h2 id="retailers-h">{t('admin.retailers.title')}</h2>
      {pages.first.loading && !pages.first.data && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
      {pages.items.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="retailers">
            <thead>
              <tr>
                <th scope="col">{t('admin.org.name')}</th>
                <th scope="col">{t('admin.org.creditCode')}</th>
                <th scope="col">{t('admin.city')}</th>
                <th scope="col" className="num">{t('admin.retailers.stores')}</th>
                <th scope="col">{t('admin.org.status')}</th>
                <th scope="col">{t('admin.org.since')}</th>
              </tr>
            </thead>
            <tbody>
              {pages.items.map((r) => (
                <tr key={r.id}>
                  <td><Link to={`/admin/organisations/retailers/${r.id}`}>{r.name}</Link></td>
                  <td className="mono">{r.creditCode}</td>
                  <td>{t(`city.${r.city}` as MessageKey)}</td>
                  <td className="num">{r.stores.length}</td>
                  <td><Badge prefix="admin.retailerStatus" code={r.status} tone={r.status === 'active' ? 'ok' : 'bad'} /></td>
                  <td>{date(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton pages={pages} />
    </section>
  );
}

function CreateRetailer() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState<{ name: string; creditCode: string; city: City; certifiedFrom: string }>({ name: '', creditCode: '', city: 'hangzhou', certifiedFrom: '' });
  const [stores, setStores] = useState<StoreRow[]>([{ code: '', name: '', city: 'hangzhou' }]);
  const [payout, setPayout] = useState({ stripeAccountId: '', accountName: '', accountNumber: '', bankCode: '' });
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const bank = payout.accountName || payout.accountNumber || payout.bankCode
      ? { accountName: payout.accountName.trim(), accountNumber: payout.accountNumber.trim(), bankCode: payout.bankCode.trim() } : undefined;
    const stripe = payout.stripeAccountId.trim() || undefined;
    const body = {
      name: form.name.trim(), creditCode: form.creditCode.trim(), city: form.city, ...certifiedFromBody(form.certifiedFrom),
      stores: stores.map((s) => ({ code: s.code.trim(), name: s.name.trim(), city: s.city })),
      ...(bank || stripe ? { payout: { ...(stripe ? { stripeAccountId: stripe } : {}), ...(bank ? { bank } : {}) } } : {}),
    };
    const r = await call(() => api.POST('/v1/admin/retailers', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/retailers', body) } }));
    attempt.done();
    navigate(`/admin/organisations/retailers/${r.id}`);
  });
  const setStore = (i: number, patch: Partial<StoreRow>) => setStores((list) => list.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const cityOptions = CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }));
  return (
    <section className="card" aria-labelledby="create-retailer-h">
      <h2 id="create-retailer-h">{t('admin.retailers.create')}</h2>
      <form noValidate onSubmit={(e: FormEvent) => { e.preventDefault(); void create.run(); }}>
        <div className="form-grid admin-grid">
          <Field label={t('admin.org.name')} required value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} />
          <Field label={t('admin.org.creditCode')} hint={t('admin.org.creditCodeHint')} required autoComplete="off" value={form.creditCode}
            onChange={(e) => setForm((f) => ({ ...f, creditCode: e.target.value }))} />
          <Select label={t('admin.retailers.city')} value={form.city} onChange={(e) => setForm((f) => ({ ...f, city: e.target.value as City }))} options={cityOptions} />
          <CertifiedFromField value={form.certifiedFrom} onChange={(certifiedFrom) => setForm((f) => ({ ...f, certifiedFrom }))} />
        </div>
        <fieldset className="card admin-stores">
          <legend>{t('admin.retailers.storesLegend')}</legend>
          {stores.map((s, i) => (
            <div key={i} className="form-grid admin-grid admin-store-row" role="group" aria-label={t('admin.store.n', { n: i + 1 })}>
              <Field label={t('admin.store.code', { n: i + 1 })} required autoComplete="off" value={s.code} onChange={(e) => setStore(i, { code: e.target.value })} />
              <Field label={t('admin.store.name', { n: i + 1 })} required value={s.name} onChange={(e) => setStore(i, { name: e.target.value })} />
              <Select label={t('admin.store.city', { n: i + 1 })} value={s.city} onChange={(e) => setStore(i, { city: e.target.value as City })} options={cityOptions} />
              {stores.length > 1 && (
                <div className="admin-row-action">
                  <Button type="button" kind="secondary" onClick={() => setStores((list) => list.filter((_, j) => j !== i))}>{t('admin.store.remove', { n: i + 1 })}</Button>
                </div>
              )}
            </div>
          ))}
          <Button type="button" kind="secondary" onClick={() => setStores((list) => [...list, { code: '', name: '', city: form.city }])}>{t('admin.store.add')}</Button>
        </fieldset>
        <details>
          <summary>{t('admin.retailers.payout')}</summary>
          <div className="form-grid admin-grid">
            <Field label={t('admin.retailers.stripe')} autoComplete="off" value={payout.stripeAccountId} onChange={(e) => setPayout((p) => ({ ...p, stripeAccountId: e.target.value }))} />
            <Field label={t('admin.retailers.accountName')} value={payout.accountName} onChange={(e) => setPayout((p) => ({ ...p, accountName: e.target.value }))} />
            <Field label={t('admin.retailers.accountNumber')} inputMode="numeric" autoComplete="off" value={payout.accountNumber}
              onChange={(e) => setPayout((p) => ({ ...p, accountNumber: e.target.value }))} />
            <Field label={t('admin.retailers.bankCode')} autoComplete="off" value={payout.bankCode} onChange={(e) => setPayout((p) => ({ ...p, bankCode: e.target.value }))} />
          </div>
        </details>
        <ProblemAlert error={create.error} />
        <div className="actions"><Button type="submit" busy={create.busy}>{t('admin.retailers.submit')}</Button></div>
      </form>
    </section>
  );
}

function Recyclers() {
  const { t, date } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState({ name: '', creditCode: '', certifiedFrom: '' });
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/recyclers', { params: { query: { limit: 50, cursor } } })), []);
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const body = { name: form.name.trim(), creditCode: form.creditCode.trim(), ...certifiedFromBody(form.certifiedFrom) };
    const r = await call(() => api.POST('/v1/admin/recyclers', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/recyclers', body) } }));
    attempt.done();
    navigate(`/admin/organisations/recyclers/${r.id}`);
  });
  return (
    <section aria-labelledby="recyclers-h">
      <h2 id="recyclers-h">{t('admin.recyclers.title')}</h2>
      {pages.first.loading && !pages.first.data && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
      {pages.items.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="recyclers">
            <thead>
              <tr>
                <th scope="col">{t('admin.org.name')}</th>
                <th scope="col">{t('admin.org.creditCode')}</th>
                <th scope="col">{t('admin.org.status')}</th>
                <th scope="col">{t('admin.org.since')}</th>
              </tr>
            </thead>
            <tbody>
              {pages.items.map((r) => (
                <tr key={r.id}>
                  <td><Link to={`/admin/organisations/recyclers/${r.id}`}>{r.name}</Link></td>
                  <td className="mono">{r.creditCode}</td>
                  <td><Badge prefix="admin.recyclerStatus" code={r.status} tone={r.status === 'certified' ? 'ok' : 'bad'} /></td>
                  <td>{date(r.certifiedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton pages={pages} />
      <div className="card">
        <h3 id="create-recycler-h">{t('admin.recyclers.create')}</h3>
        <form className="form-grid admin-grid" noValidate aria-labelledby="create-recycler-h" onSubmit={(e) => { e.preventDefault(); void create.run(); }}>
          <Field label={t('admin.recyclers.name')} required value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} />
          <Field label={t('admin.recyclers.creditCode')} hint={t('admin.org.creditCodeHint')} required autoComplete="off" value={form.creditCode}
            onChange={(e) => setForm((f) => ({ ...f, creditCode: e.target.value }))} />
          <CertifiedFromField value={form.certifiedFrom} onChange={(certifiedFrom) => setForm((f) => ({ ...f, certifiedFrom }))} />
          <div className="admin-span">
            <ProblemAlert error={create.error} />
            <Button type="submit" busy={create.busy}>{t('admin.recyclers.submit')}</Button>
          </div>
        </form>
      </div>
    </section>
  );
}

/** Today in Shanghai (YYYY-MM-DD): the latest certification date the API accepts. */
function shanghaiToday(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * `certifiedFrom` (issue 13) from the date field: the start of that day in Shanghai. Empty or today: not sent, so the
 * API takes now, its default.
 */
function certifiedFromBody(date: string): { certifiedFrom?: string } {
  if (!date || date === shanghaiToday()) return {};
  return { certifiedFrom: `${date}T00:00:00+08:00` };
}

/** When the organisation's certification began, outside the platform: a date, not after today; empty means today. */
function CertifiedFromField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const { t } = useI18n();
  return (
    <Field label={t('admin.org.certifiedFrom')} name="certifiedFrom" type="date" max={shanghaiToday()} hint={t('admin.org.certifiedFromHint')}
      value={value} onChange={(e) => onChange(e.target.value)} />
  );
}
