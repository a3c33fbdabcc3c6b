import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { useI18n } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, useAction, useLoad } from '../../ui/components';

type Revoked = components['schemas']['RevokedReceiptDto'];
type Revocation = components['schemas']['ReceiptRevocationDto'];

const PAGE = 20;

/**
 * The recycler's revocations (newest first, a page at a time) and the form to revoke a receipt by its rid:
 * a reason, then a confirmation (a revocation cannot be undone). Revoking a receipt again answers its first
 * revocation (API.md): the page says so calmly instead of reporting a second one.
 */
export function Revocations() {
  const { t } = useI18n();
  const { recyclerKey } = useSession();
  const headers = { 'X-Api-Key': recyclerKey ?? '' };
  const [items, setItems] = useState<Revoked[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [version, setVersion] = useState(0);
  const first = useLoad(async () => {
    const r = await call(() => api.GET('/v1/recycler/receipts/revoked', { params: { query: { limit: PAGE } }, headers }));
    setItems(r.items);
    setCursor(r.nextCursor ?? undefined);
    return r;
  }, [recyclerKey, version]);
  const more = useAction(async () => {
    const r = await call(() => api.GET('/v1/recycler/receipts/revoked', { params: { query: { limit: PAGE, cursor } }, headers }));
    setItems((p) => [...p, ...r.items]);
    setCursor(r.nextCursor ?? undefined);
  });

  return (
    <Page title={t('recycler.revocations.title')}>
      <p>{t('recycler.revocations.intro')}</p>
      <RevokeForm known={items} headers={headers} onRevoked={() => setVersion((v) => v + 1)} />
      <section aria-labelledby="revoked-h">
        <h2 id="revoked-h">{t('recycler.revocations.list')}</h2>
        {first.loading && !first.data && <Loading />}
        <ProblemAlert error={first.error} />
        {first.data && items.length === 0 && <Notice>{t('recycler.revocations.none')}</Notice>}
        {items.length > 0 && <RevokedTable items={items} />}
        <ProblemAlert error={more.error} />
        {cursor && <div className="actions"><Button kind="secondary" busy={more.busy} onClick={() => void more.run()}>{t('app.more')}</Button></div>}
      </section>
    </Page>
  );
}

function RevokedTable({ items }: { items: Revoked[] }) {
  const { t, time } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="revocations">
        <thead>
          <tr>
            <th scope="col">{t('recycler.revocations.rid')}</th>
            <th scope="col">{t('recycler.revocations.revokedAt')}</th>
            <th scope="col">{t('recycler.revocations.reason')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.rid}>
              <td className="mono">{r.rid}</td>
              <td><time dateTime={r.revokedAt}>{time(r.revokedAt)}</time></td>
              <td>{r.reason ?? <span className="muted">{t('recycler.revocations.noReason')}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Outcome {
  revocation: Revocation;
  already: boolean;
}

function RevokeForm({ known, headers, onRevoked }: { known: Revoked[]; headers: { 'X-Api-Key': string }; onRevoked: () => void }) {
  const { t, time } = useI18n();
  const [rid, setRid] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState<{ rid: string; reason: string }>();
  const [outcome, setOutcome] = useState<Outcome>();
  const confirmHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (confirming) confirmHeading.current?.focus();
  }, [confirming]);

  const revoke = useAction(async (c: { rid: string; reason: string }) => {
    const listedBefore = known.some((k) => k.rid === c.rid);
    let serverDate: string | null = null;
    const revocation = await call(async () => {
      const r = await api.POST('/v1/recycler/receipts/{rid}/revoke', { params: { path: { rid: c.rid } }, body: { reason: c.reason }, headers });
      serverDate = r.response.headers.get('date');
      return r;
    });
    // the API answers a second revocation with the first: same 200, an earlier time and the first reason
    const now = serverDate ? Date.parse(serverDate) : NaN;
    const already = listedBefore || revocation.reason !== c.reason || (Number.isFinite(now) && now - Date.parse(revocation.revokedAt) > 5000);
    setOutcome({ revocation, already });
    setConfirming(undefined);
    setRid('');
    setReason('');
    onRevoked();
  });

  const next = (e: FormEvent) => {
    e.preventDefault();
    if (!rid.trim() || !reason.trim()) return;
    setOutcome(undefined);
    revoke.clear();
    setConfirming({ rid: rid.trim(), reason: reason.trim() });
  };

  return (
    <section className="card" aria-labelledby="revoke-h">
      <h2 id="revoke-h">{t('recycler.revoke.title')}</h2>
      {outcome && (
        <Notice kind={outcome.already ? 'info' : 'ok'}>
          <p data-testid="revoke-outcome">
            {outcome.already
              ? t('recycler.revoke.already', { rid: outcome.revocation.rid, time: time(outcome.revocation.revokedAt), reason: outcome.revocation.reason ?? t('recycler.revocations.noReason') })
              : t('recycler.revoke.done', { rid: outcome.revocation.rid, time: time(outcome.revocation.revokedAt) })}
          </p>
        </Notice>
      )}
      {confirming ? (
        <div className="alert alert-warn" data-testid="revoke-confirm">
          <h3 ref={confirmHeading} tabIndex={-1}>{t('recycler.revoke.confirmTitle', { rid: confirming.rid })}</h3>
          <p>{t('recycler.revoke.confirmText')}</p>
          <dl className="summary">
            <dt>{t('recycler.revoke.rid')}</dt><dd className="mono">{confirming.rid}</dd>
            <dt>{t('recycler.revoke.reason')}</dt><dd>{confirming.reason}</dd>
          </dl>
          <ProblemAlert error={revoke.error} />
          <div className="actions">
            <Button kind="danger" busy={revoke.busy} onClick={() => void revoke.run(confirming)}>{t('recycler.revoke.confirm')}</Button>
            <Button kind="secondary" disabled={revoke.busy} onClick={() => setConfirming(undefined)}>{t('app.cancel')}</Button>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={next} noValidate>
          <Field label={t('recycler.revoke.rid')} name="rid" required maxLength={200} autoComplete="off" spellCheck={false} hint={t('recycler.revoke.ridHint')}
            value={rid} onChange={(e) => setRid(e.target.value)} />
          <Field label={t('recycler.revoke.reason')} name="reason" required maxLength={500} autoComplete="off" hint={t('recycler.revoke.reasonHint')}
            value={reason} onChange={(e) => setReason(e.target.value)} />
          <div className="actions">
            <Button type="submit" disabled={!rid.trim() || !reason.trim()}>{t('recycler.revoke.next')}</Button>
          </div>
        </form>
      )}
    </section>
  );
}
