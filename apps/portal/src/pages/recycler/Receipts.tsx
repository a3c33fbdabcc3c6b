import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { useI18n, type MessageKey } from '../../i18n';
import { shanghaiIso, shanghaiLocalNow } from '../../i18n/format';
import { Button, Field, Loading, MoreButton, Notice, Page, ProblemAlert, useAction, usePages } from '../../ui/components';
import './recycler.css';

type Receipt = components['schemas']['RegisteredReceiptDto'];

const PAGE = 20;
/** The API keeps at most this much evidence (a photo hash, a weight). */
const EVIDENCE_MAX = 200;

/**
 * The recycler's registered receipts (receipt transparency, issue 13), newest first, a page at a time: when each was
 * registered with the platform and where it stands — registered, used in a claim, dismantled, revoked — and, for a
 * receipt not yet confirmed dismantled, the "confirm dismantled" action (when, and optional evidence), once.
 */
export function Receipts() {
  const { t, time } = useI18n();
  const { recyclerKey } = useSession();
  const headers = { 'X-Api-Key': recyclerKey ?? '' };
  const pages = usePages(
    (cursor) => call(() => api.GET('/v1/recycler/receipts', { params: { query: { limit: PAGE, ...(cursor ? { cursor } : {}) } }, headers })),
    [recyclerKey],
  );
  const [confirming, setConfirming] = useState<string>();
  // what was confirmed last, said in the reader's language (kept as facts, so switching language re-says it)
  const [done, setDone] = useState<{ rid: string; at: string }>();
  const replace = (r: Receipt) => pages.setItems((items) => items.map((x) => (x.rid === r.rid ? r : x)));

  return (
    <Page title={t('recycler.receipts.title')} wide>
      <p>{t('recycler.receipts.intro')}</p>
      {done && <Notice kind="ok"><p data-testid="dismantled-outcome">{t('recycler.receipts.done', { rid: done.rid, time: time(done.at) })}</p></Notice>}
      {pages.first.loading && !pages.first.data && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('recycler.receipts.none')}</Notice>}
      {pages.items.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="receipts">
            <thead>
              <tr>
                <th scope="col">{t('recycler.receipts.rid')}</th>
                <th scope="col">{t('recycler.receipts.registeredAt')}</th>
                <th scope="col">{t('recycler.receipts.status')}</th>
                <th scope="col">{t('recycler.receipts.dismantling')}</th>
              </tr>
            </thead>
            <tbody>
              {pages.items.map((r) => (
                <ReceiptRow key={r.rid} r={r} headers={headers} open={confirming === r.rid}
                  onOpen={() => { setDone(undefined); setConfirming(r.rid); }} onClose={() => setConfirming(undefined)}
                  onConfirmed={(updated) => { replace(updated); setConfirming(undefined); setDone({ rid: updated.rid, at: updated.dismantledAt ?? '' }); }} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton pages={pages} />
    </Page>
  );
}

function ReceiptRow({ r, headers, open, onOpen, onClose, onConfirmed }: {
  r: Receipt; headers: { 'X-Api-Key': string }; open: boolean; onOpen: () => void; onClose: () => void;
  onConfirmed: (r: Receipt) => void;
}) {
  const { t, time } = useI18n();
  return (
    <>
      <tr data-rid={r.rid}>
        <td className="mono">{r.rid}</td>
        <td><time dateTime={r.registeredAt}>{time(r.registeredAt)}</time></td>
        <td><span className={`badge badge-receipt-${r.status}`} data-status={r.status}>{t(`recycler.receipts.status.${r.status}` as MessageKey)}</span></td>
        <td>
          {r.dismantledAt ? (
            <span>
              <time dateTime={r.dismantledAt}>{time(r.dismantledAt)}</time>
              {r.dismantleEvidence && <span className="hint receipt-evidence"> {t('recycler.receipts.evidenceShown', { evidence: r.dismantleEvidence })}</span>}
            </span>
          ) : r.status === 'revoked' ? (
            <span className="muted">{t('recycler.receipts.revokedNoAction')}</span>
          ) : (
            <Button kind="secondary" aria-expanded={open} onClick={open ? onClose : onOpen}>
              {t('recycler.receipts.confirm', { rid: r.rid })}
            </Button>
          )}
        </td>
      </tr>
      {open && (
        <tr className="receipt-confirm-row">
          <td colSpan={4}><ConfirmForm r={r} headers={headers} onCancel={onClose} onConfirmed={onConfirmed} /></td>
        </tr>
      )}
    </>
  );
}

function ConfirmForm({ r, headers, onCancel, onConfirmed }: {
  r: Receipt; headers: { 'X-Api-Key': string }; onCancel: () => void; onConfirmed: (r: Receipt) => void;
}) {
  const { t } = useI18n();
  const formId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [when, setWhen] = useState(shanghaiLocalNow);
  const [evidence, setEvidence] = useState('');
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const confirm = useAction(async () => {
    const answer = await call(() => api.POST('/v1/recycler/receipts/{rid}/dismantled', {
      params: { path: { rid: r.rid } }, headers,
      body: { dismantledAt: shanghaiIso(when), ...(evidence.trim() ? { evidence: evidence.trim() } : {}) },
    }));
    onConfirmed({ ...r, status: r.status === 'revoked' ? 'revoked' : 'dismantled', dismantledAt: answer.dismantledAt, dismantleEvidence: answer.evidence });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (when) void confirm.run();
  };
  return (
    <form className="form receipt-confirm" aria-labelledby={`${formId}-h`} onSubmit={submit} noValidate data-testid="dismantle-form">
      <h3 id={`${formId}-h`} ref={heading} tabIndex={-1}>{t('recycler.receipts.confirmTitle', { rid: r.rid })}</h3>
      <p className="hint">{t('recycler.receipts.confirmText')}</p>
      <Field label={t('recycler.receipts.dismantledAt')} name="dismantledAt" type="datetime-local" required max={shanghaiLocalNow()}
        value={when} onChange={(e) => setWhen(e.target.value)} />
      <Field label={t('recycler.receipts.evidence')} name="evidence" maxLength={EVIDENCE_MAX} autoComplete="off" spellCheck={false}
        hint={t('recycler.receipts.evidenceHint')} value={evidence} onChange={(e) => setEvidence(e.target.value)} />
      <ProblemAlert error={confirm.error} />
      <div className="actions">
        <Button type="submit" busy={confirm.busy} disabled={!when}>{t('recycler.receipts.confirmSubmit')}</Button>
        <Button type="button" kind="secondary" disabled={confirm.busy} onClick={onCancel}>{t('app.cancel')}</Button>
      </div>
    </form>
  );
}
