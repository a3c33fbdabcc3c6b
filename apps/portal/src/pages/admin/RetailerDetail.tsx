import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useAction, useLoad } from '../../ui/components';
import { ApiKeys, StatusChange } from './OrgParts';
import { PayoutDetailsCard } from './PayoutDetails';
import { Badge, CITIES, useAttemptKey, type City } from './shared';

type Retailer = components['schemas']['RetailerDto'];

/** A retailer: its stores (and a new one), a staff account, POS API keys, suspension with a reason. */
export function RetailerDetail() {
  const { id = '' } = useParams();
  const { t, time } = useI18n();
  const data = useLoad(() => call(() => api.GET('/v1/admin/retailers/{id}', { params: { path: { id } } })), [id]);
  const r = data.data;
  return (
    <Page title={r ? r.name : t('admin.retailers.title')} wide>
      <p><Link to="/admin/organisations">{t('admin.org.back')}</Link></p>
      {data.loading && !r && <Loading />}
      <ProblemAlert error={data.error} />
      {r && (
        <>
          <dl className="summary card">
            <dt>{t('admin.org.status')}</dt>
            <dd><Badge prefix="admin.retailerStatus" code={r.status} tone={r.status === 'active' ? 'ok' : 'bad'} />{r.statusReason ? ` ${r.statusReason}` : ''}</dd>
            <dt>{t('admin.org.creditCode')}</dt><dd className="mono">{r.creditCode}</dd>
            <dt>{t('admin.retailers.city')}</dt><dd>{t(`city.${r.city}` as MessageKey)}</dd>
            <dt>{t('admin.retailers.payoutTo')}</dt>
            <dd>
              {r.payout.stripeAccountId && <span className="mono">{r.payout.stripeAccountId} </span>}
              {r.payout.bank && <span>{t('admin.retailers.bankLine', { name: r.payout.bank.accountName, last4: r.payout.bank.accountNumberLast4, bank: r.payout.bank.bankCode })}</span>}
              {!r.payout.stripeAccountId && !r.payout.bank && t('admin.retailers.noPayout')}
            </dd>
            <dt>{t('admin.org.id')}</dt><dd className="mono">{r.id}</dd>
            <dt>{t('admin.org.since')}</dt><dd>{time(r.createdAt)}</dd>
          </dl>
          <PayoutDetailsCard retailer={r} onChange={data.reload} />
          <Stores retailer={r} onChange={data.reload} />
          <Staff retailer={r} />
          <ApiKeys
            title={t('admin.keys.posTitle')} intro={t('admin.keys.posIntro')} attemptPath={`/v1/admin/retailers/${r.id}/api-keys`}
            issue={(key) => call(() => api.POST('/v1/admin/retailers/{id}/api-keys', { params: { path: { id: r.id } }, headers: { 'Idempotency-Key': key } }))}
            revoke={(keyId) => call(() => api.POST('/v1/admin/retailers/{id}/api-keys/{keyId}/revoke', { params: { path: { id: r.id, keyId } } }))}
          />
          <StatusChange
            active={r.status === 'active'}
            labels={{ title: t('admin.retailers.statusTitle'), stop: t('admin.retailers.suspend'), start: t('admin.retailers.reinstate'),
              stopQuestion: t('admin.retailers.suspendQuestion', { name: r.name }), startQuestion: t('admin.retailers.reinstateQuestion', { name: r.name }) }}
            change={async (stop, reason) => {
              await call(() => stop
                ? api.POST('/v1/admin/retailers/{id}/suspend', { params: { path: { id: r.id } }, body: { reason } })
                : api.POST('/v1/admin/retailers/{id}/reinstate', { params: { path: { id: r.id } }, body: { reason } }));
              data.reload();
            }}
          />
        </>
      )}
    </Page>
  );
}

function Stores({ retailer, onChange }: { retailer: Retailer; onChange: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<{ code: string; name: string; city: City }>({ code: '', name: '', city: retailer.city as City });
  const [done, setDone] = useState<string>();
  const attempt = useAttemptKey();
  const add = useAction(async () => {
    const body = { code: form.code.trim(), name: form.name.trim(), city: form.city };
    const s = await call(() => api.POST('/v1/admin/retailers/{id}/stores', {
      params: { path: { id: retailer.id } }, body, headers: { 'Idempotency-Key': attempt.keyFor(`/v1/admin/retailers/${retailer.id}/stores`, body) },
    }));
    attempt.done();
    setDone(t('admin.store.done', { code: s.code }));
    setForm((f) => ({ ...f, code: '', name: '' }));
    onChange();
  });
  return (
    <section className="card" aria-labelledby="stores-h">
      <h2 id="stores-h">{t('admin.retailers.stores')}</h2>
      <div className="table-wrap">
        <table className="table" data-testid="stores">
          <thead>
            <tr><th scope="col">{t('admin.store.codeCol')}</th><th scope="col">{t('admin.store.nameCol')}</th><th scope="col">{t('admin.city')}</th></tr>
          </thead>
          <tbody>
            {retailer.stores.map((s) => (
              <tr key={s.id}><td className="mono">{s.code}</td><td>{s.name}</td><td>{t(`city.${s.city}` as MessageKey)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="form-grid admin-grid admin-subform" noValidate aria-labelledby="add-store-h" onSubmit={(e: FormEvent) => { e.preventDefault(); setDone(undefined); void add.run(); }}>
        <h3 id="add-store-h" className="admin-span">{t('admin.store.add')}</h3>
        <Field label={t('admin.store.codeCol')} required autoComplete="off" value={form.code} onChange={(e) => setForm((f) => ({ ...f, code: e.target.value }))} />
        <Field label={t('admin.store.nameCol')} required value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} />
        <Select label={t('admin.city')} value={form.city} onChange={(e) => setForm((f) => ({ ...f, city: e.target.value as City }))}
          options={CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))} />
        <div className="admin-span">
          <ProblemAlert error={add.error} />
          {done && <Notice kind="ok">{done}</Notice>}
          <Button type="submit" busy={add.busy}>{t('admin.store.submit')}</Button>
        </div>
      </form>
    </section>
  );
}

function Staff({ retailer }: { retailer: Retailer }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ email: '', name: '', password: '' });
  const [done, setDone] = useState<string>();
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const body = { email: form.email.trim(), name: form.name.trim(), password: form.password };
    const u = await call(() => api.POST('/v1/admin/retailers/{id}/staff', {
      params: { path: { id: retailer.id } }, body, headers: { 'Idempotency-Key': attempt.keyFor(`/v1/admin/retailers/${retailer.id}/staff`, body) },
    }));
    attempt.done();
    setDone(t('admin.staff.done', { email: u.email }));
    setForm({ email: '', name: '', password: '' });
  });
  return (
    <section className="card" aria-labelledby="staff-h">
      <h2 id="staff-h">{t('admin.staff.title')}</h2>
      <p className="hint">{t('admin.staff.intro')}</p>
      <form className="form-grid admin-grid" noValidate aria-labelledby="staff-h" onSubmit={(e) => { e.preventDefault(); setDone(undefined); void create.run(); }}>
        <Field label={t('admin.user.email')} type="email" required autoComplete="off" value={form.email} onChange={(e) => setForm((f) => ({ ...f, email: e.target.value }))} />
        <Field label={t('admin.user.name')} required value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} />
        <Field label={t('admin.user.password')} type="password" required autoComplete="new-password" hint={t('admin.user.passwordHint')} value={form.password}
          onChange={(e) => setForm((f) => ({ ...f, password: e.target.value }))} />
        <div className="admin-span">
          <ProblemAlert error={create.error} />
          {done && <Notice kind="ok">{done}</Notice>}
          <Button type="submit" busy={create.busy}>{t('admin.staff.submit')}</Button>
        </div>
      </form>
    </section>
  );
}
