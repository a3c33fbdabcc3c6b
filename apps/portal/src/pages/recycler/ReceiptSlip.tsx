import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useSession } from '../../app/session';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Page, ProblemAlert, useAction } from '../../ui/components';
import { QrCode } from '../../ui/qr';
import { decodeReceipt, shortHash, type SlipProblem, type SlipReceipt } from './receipt';
import './recycler.css';

type Registration = components['schemas']['ReceiptRegistrationDto'];

/**
 * The slip a household takes to the till: a pasted receipt (compact JWS) decoded here, in the page, its details as
 * signed by the recycler, and a large QR code of the whole JWS that the till's scanner reads. Making the slip
 * registers the receipt with the platform (receipt transparency, issue 13: POST /v1/recycler/receipts; the same
 * receipt again answers its first registration), and the slip shows the platform's time; a receipt the platform
 * refuses gets no slip. Printing leaves the slip only (the print stylesheet hides the frame and the form).
 */
export function ReceiptSlip() {
  const { t } = useI18n();
  const { recyclerKey } = useSession();
  const inputId = useId();
  const [input, setInput] = useState('');
  const [shown, setShown] = useState<{ receipt: SlipReceipt; registration: Registration } | { problem: SlipProblem }>();
  const register = useAction(async (receipt: SlipReceipt) => {
    const registration = await call(() => api.POST('/v1/recycler/receipts', { body: { receipt: receipt.jws }, headers: { 'X-Api-Key': recyclerKey ?? '' } }));
    setShown({ receipt, registration });
  });
  const show = (e: FormEvent) => {
    e.preventDefault();
    register.clear();
    const decoded = input.trim() ? decodeReceipt(input) : undefined;
    setShown(decoded && 'problem' in decoded ? decoded : undefined);
    if (decoded && 'receipt' in decoded) void register.run(decoded.receipt);
  };
  const problem = shown && 'problem' in shown ? shown.problem : undefined;
  return (
    <Page title={t('recycler.slip.title')}>
      <p className="no-print">{t('recycler.slip.intro')}</p>
      <form className="form slip-form no-print" onSubmit={show} noValidate>
        <div className="field">
          <label htmlFor={inputId}>{t('recycler.slip.input')}</label>
          <textarea id={inputId} name="receipt" rows={5} spellCheck={false} autoComplete="off" required className="mono"
            aria-describedby={`${inputId}-hint${problem ? ` ${inputId}-error` : ''}`} aria-invalid={problem ? true : undefined}
            value={input} onChange={(e) => setInput(e.target.value)} />
          <p id={`${inputId}-hint`} className="hint">{t('recycler.slip.inputHint')}</p>
          {problem && (
            <div id={`${inputId}-error`} className="alert alert-error" role="alert" data-code={`receipt_${problem}`}>
              <p>{t('recycler.slip.bad', { why: t(`recycler.slip.bad.${problem}` as MessageKey) })}</p>
            </div>
          )}
        </div>
        <ProblemAlert error={register.error} />
        <div className="actions">
          <Button type="submit" busy={register.busy} disabled={!input.trim()}>{t('recycler.slip.show')}</Button>
          <Button type="button" kind="secondary" disabled={!input && !shown} onClick={() => { setInput(''); setShown(undefined); register.clear(); }}>{t('recycler.slip.clear')}</Button>
        </div>
      </form>
      {shown && 'receipt' in shown && <Slip receipt={shown.receipt} registration={shown.registration} />}
    </Page>
  );
}

function Slip({ receipt: r, registration }: { receipt: SlipReceipt; registration: Registration }) {
  const { t, time } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [r.jws]);
  const none = t('recycler.slip.unknown');
  const categoryKey = `recycler.slip.category.${r.device.category}` as MessageKey;
  const category = t(categoryKey) === categoryKey ? r.device.category : t(categoryKey);
  return (
    <article className="card slip" aria-labelledby="slip-h" data-testid="slip">
      <h2 id="slip-h" ref={heading} tabIndex={-1}>{t('recycler.slip.heading')}</h2>
      <p className="muted">{t('recycler.slip.asSigned')}</p>
      <div className="slip-body">
        <div className="slip-qr">
          <QrCode value={r.jws} label={t('recycler.slip.qr', { rid: r.rid })} size={400} />
        </div>
        <dl className="summary slip-details">
          <dt>{t('recycler.slip.rid')}</dt><dd className="mono">{r.rid}</dd>
          <dt>{t('recycler.slip.issuedAt')}</dt><dd><time dateTime={r.issuedAt}>{time(r.issuedAt)}</time></dd>
          <dt>{t('recycler.slip.registeredAt')}</dt>
          <dd data-testid="registered-at"><time dateTime={registration.registeredAt}>{time(registration.registeredAt)}</time></dd>
          <dt>{t('recycler.slip.category')}</dt><dd>{category}</dd>
          <dt>{t('recycler.slip.brand')}</dt><dd>{r.device.brand ?? none}</dd>
          <dt>{t('recycler.slip.model')}</dt><dd>{r.device.model ?? none}</dd>
          <dt>{t('recycler.slip.serial')}</dt><dd className="mono">{r.device.serialNumber ?? none}</dd>
          <dt>{t('recycler.slip.screen')}</dt><dd>{r.device.screenInches !== undefined ? t('recycler.slip.inches', { n: r.device.screenInches }) : none}</dd>
          <dt>{t('recycler.slip.holder')}</dt>
          <dd><span className="mono" data-testid="holder">{shortHash(r.holderIdHash)}</span> <span className="hint slip-hint">{t('recycler.slip.holderHint')}</span></dd>
        </dl>
      </div>
      <p className="slip-take">{t('recycler.slip.take')}</p>
      <div className="actions no-print">
        <Button type="button" onClick={() => window.print()}>{t('app.print')}</Button>
      </div>
    </article>
  );
}
