import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components, paths } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, MoreButton, Notice, Page, ProblemAlert, Select, StatusBadge, useAction, usePages } from '../../ui/components';

type Claim = components['schemas']['ClaimDto'];
type Status = NonNullable<NonNullable<paths['/v1/retailer/claims']['get']['parameters']['query']>['status']>;
const STATUSES = ['pending_review', 'approved', 'rejected', 'cancelled', 'in_payout', 'paid', 'payout_failed', 'clawed_back'] as const;

/** The retailer's claims, newest first, filtered by state (kept in the URL), with "the TV came back" cancellation. */
export function TillClaims() {
  const { t, yuan, time } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '') ? params.get('status') as Status : undefined;
  const pages = usePages((cursor) => call(() => api.GET('/v1/retailer/claims', { params: { query: { limit: 25, status, cursor } } })), [status]);
  const items = pages.items;
  return (
    <Page title={t('cashier.nav.claims')} wide>
      <div className="form-inline">
        <Select label={t('cashier.filterStatus')} value={status ?? ''} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
          options={[{ value: '', label: t('cashier.all') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}` as MessageKey) }))]} />
      </div>
      {pages.first.loading && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && items.length === 0 && <Notice>{t('app.none')}</Notice>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">{t('cashier.nav.claims')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('cashier.col.time')}</th><th scope="col">{t('cashier.col.store')}</th><th scope="col">{t('cashier.col.invoice')}</th>
                <th scope="col">{t('cashier.col.model')}</th><th scope="col">{t('cashier.col.serial')}</th><th scope="col" className="num">{t('cashier.col.price')}</th>
                <th scope="col" className="num">{t('cashier.col.subsidy')}</th><th scope="col">{t('cashier.col.status')}</th><th scope="col"><span className="visually-hidden">{t('cashier.cancel')}</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <ClaimRow key={c.id} claim={c} onChanged={(n) => pages.setItems((x) => x.map((y) => (y.id === n.id ? n : y)))} t={t} yuan={yuan} time={time} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton pages={pages} />
    </Page>
  );
}

function ClaimRow({ claim: c, onChanged, t, yuan, time }: { claim: Claim; onChanged: (c: Claim) => void } & Pick<ReturnType<typeof useI18n>, 't' | 'yuan' | 'time'>) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const cancel = useAction(async () => {
    onChanged(await call(() => api.POST('/v1/retailer/claims/{id}/cancel', { params: { path: { id: c.id } }, body: { reason: reason.trim() } })));
    setOpen(false);
  });
  const cancellable = ['pending_review', 'approved', 'paid'].includes(c.status);
  return (
    <>
      <tr>
        <td>{time(c.createdAt)}</td><td>{c.storeCode}</td><td className="mono">{c.invoiceNumber}</td><td className="mono">{c.modelCode}</td>
        <td className="mono">{c.serialNumber}</td><td className="num">{yuan(c.salePriceFen)}</td><td className="num">{yuan(c.subsidy.amountFen)}</td>
        <td><StatusBadge status={c.status} /></td>
        <td>{cancellable && !open && <Button kind="secondary" onClick={() => setOpen(true)}>{t('cashier.cancel')}</Button>}</td>
      </tr>
      {open && (
        <tr>
          <td colSpan={9}>
            <form className="form-inline" onSubmit={(e) => { e.preventDefault(); if (reason.trim()) void cancel.run(); }}>
              <Field label={t('cashier.cancelReason')} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} required />
              <p>{t('cashier.cancelConfirm')}</p>
              <Button kind="danger" type="submit" busy={cancel.busy} disabled={!reason.trim()}>{t('app.confirm')}</Button>
              <Button kind="secondary" type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</Button>
            </form>
            <ProblemAlert error={cancel.error} />
          </td>
        </tr>
      )}
    </>
  );
}
