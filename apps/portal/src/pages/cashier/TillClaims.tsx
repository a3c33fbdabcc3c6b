import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components, paths } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, MoreButton, Notice, Page, ProblemAlert, Select, StatusBadge, TextArea, useAction, usePages } from '../../ui/components';

type Claim = components['schemas']['PartyClaimDto'];
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
  const [appealing, setAppealing] = useState(false);
  const [appealReason, setAppealReason] = useState('');
  const appeal = useAction(async () => {
    await call(() => api.POST('/v1/retailer/claims/{id}/appeal', { params: { path: { id: c.id } }, body: { reason: appealReason.trim() } }));
    onChanged(await call(() => api.GET('/v1/retailer/claims/{id}', { params: { path: { id: c.id } } })));
    setAppealing(false);
  });
  const appealable = c.status === 'rejected' && !c.appeal && !!c.appealableUntil && Date.parse(c.appealableUntil) > Date.now();
  const a = c.appeal;
  return (
    <>
      <tr>
        <td>{time(c.createdAt)}</td><td>{c.storeCode}</td><td className="mono">{c.invoiceNumber}</td><td className="mono">{c.modelCode}</td>
        <td className="mono">{c.serialNumber}</td><td className="num">{yuan(c.salePriceFen)}</td><td className="num">{yuan(c.subsidy.amountFen)}</td>
        <td>
          <StatusBadge status={c.status} />
          {(c.status === 'rejected' || a) && (
            <p className="hint" data-testid="appeal-state">
              {t('cashier.rejectedBecause', { reason: (a ? a.rejectionReason : c.decisionReason) ?? '—' })}
              {a && <> · {t(`cashier.appealState.${a.status}` as MessageKey, { reason: a.decisionReason ?? '—' })} {t(`cashier.appealBy.${a.appellant}` as MessageKey)}</>}
              {c.status === 'rejected' && !a && !appealable && <> · {t('cashier.appealClosed')}</>}
            </p>
          )}
        </td>
        <td>
          {cancellable && !open && <Button kind="secondary" onClick={() => setOpen(true)}>{t('cashier.cancel')}</Button>}
          {appealable && !appealing && <Button kind="secondary" onClick={() => setAppealing(true)}>{t('cashier.appeal')}</Button>}
        </td>
      </tr>
      {appealing && (
        <tr>
          <td colSpan={9}>
            <form onSubmit={(e) => { e.preventDefault(); if (appealReason.trim()) void appeal.run(); }}>
              <TextArea label={t('cashier.appealReason')} hint={t('cashier.appealHint', { time: time(c.appealableUntil ?? '') })} value={appealReason} maxLength={1000} required
                onChange={(e) => setAppealReason(e.target.value)} />
              <div className="form-inline">
                <Button type="submit" busy={appeal.busy} disabled={!appealReason.trim()}>{t('cashier.appealSubmit')}</Button>
                <Button kind="secondary" type="button" onClick={() => setAppealing(false)}>{t('app.cancel')}</Button>
              </div>
            </form>
            <ProblemAlert error={appeal.error} />
          </td>
        </tr>
      )}
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
