import { useId, useRef, useState, type ReactNode, type TextareaHTMLAttributes } from 'react';
import { newIdempotencyKey } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Notice } from '../../ui/components';
import { CITIES } from '../public/Register';

export { CITIES };
export type City = (typeof CITIES)[number];

/**
 * An Idempotency-Key per submission attempt: the same request (path and body) sent again after a failure — a
 * dropped answer, a retry — reuses its key, so the server does the work once; a changed form is a new attempt
 * with a new key, and so is anything after a success (`done`).
 */
export function useAttemptKey(): { keyFor: (path: string, body?: unknown) => string; done: () => void } {
  const last = useRef<{ request: string; key: string } | undefined>(undefined);
  return {
    keyFor(path, body) {
      const request = `${path}\n${JSON.stringify(body ?? null)}`;
      if (last.current?.request !== request) last.current = { request, key: newIdempotencyKey() };
      return last.current.key;
    },
    done() {
      last.current = undefined;
    },
  };
}

/** A word for a code under a prefix (`admin.retailerStatus.active`), or the code itself when there is none. */
export function useWord(): (prefix: string, code: string) => string {
  const { t } = useI18n();
  return (prefix, code) => {
    const key = `${prefix}.${code}` as MessageKey;
    const word = t(key);
    return word === key ? code : word;
  };
}

/** A state badge with the admin pages' words (retailer, recycler, model, reconciliation states). */
export function Badge({ prefix, code, tone }: { prefix: string; code: string; tone: 'ok' | 'warn' | 'bad' | 'plain' }) {
  const word = useWord();
  const cls = { ok: 'badge-approved', warn: 'badge-pending', bad: 'badge-failed', plain: '' }[tone];
  return <span className={`badge ${cls}`}>{word(prefix, code)}</span>;
}

type TextAreaProps = TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; hint?: ReactNode; error?: string };

/** A labelled textarea with its hint and error tied to it (ui/components has inputs only). */
export function TextArea({ label, hint, error, id, className, ...rest }: TextAreaProps) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = hint ? `${fid}-hint` : undefined;
  const errId = error ? `${fid}-error` : undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={fid}>{label}</label>
      <textarea id={fid} rows={3} aria-invalid={error ? true : undefined} aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined} {...rest} />
      {hint && <p id={hintId} className="hint">{hint}</p>}
      {error && <p id={errId} className="error-text">{error}</p>}
    </div>
  );
}

/**
 * A button whose action asks first, in the page (no browser dialog): the question, then Confirm or Cancel.
 * Focus moves to the question's confirm button and back to the trigger on cancel.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, busy, kind = 'secondary', disabled }: {
  label: string; question: ReactNode; confirmLabel?: string; onConfirm: () => unknown; busy?: boolean; kind?: 'primary' | 'secondary' | 'danger'; disabled?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  if (!asking) {
    return <button ref={trigger} type="button" className={`btn btn-${kind}`} disabled={busy || disabled} onClick={() => setAsking(true)}>{label}</button>;
  }
  return (
    <div className="admin-confirm alert alert-warn" role="group" aria-label={label}>
      <p>{question}</p>
      <div className="actions">
        <Button type="button" kind={kind === 'secondary' ? 'primary' : kind} busy={busy} autoFocus onClick={() => { setAsking(false); void onConfirm(); }}>
          {confirmLabel ?? t('app.confirm')}
        </Button>
        <Button type="button" kind="secondary" onClick={() => setAsking(false)}>{t('app.cancel')}</Button>
      </div>
    </div>
  );
}

/**
 * A secret shown this once (an API key): in full, with a copy button and the warning that it cannot be shown
 * again. The parent forgets it when the reader says they have stored it.
 */
export function SecretOnce({ value, title, onDone }: { value: string; title: string; onDone: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <section className="card admin-secret" aria-labelledby="secret-h" data-testid="secret-once">
      <h3 id="secret-h">{title}</h3>
      <Notice kind="warn">{t('admin.secret.warning')}</Notice>
      <p><code className="mono admin-secret-value">{value}</code></p>
      <div className="actions">
        <Button type="button" kind="secondary" onClick={() => void copy()}>{t('admin.secret.copy')}</Button>
        <Button type="button" kind="primary" onClick={onDone}>{t('admin.secret.stored')}</Button>
      </div>
      <p role="status" className="hint">{copied === 'yes' ? t('admin.secret.copied') : copied === 'no' ? t('admin.secret.copyFailed') : ''}</p>
    </section>
  );
}

export { MoreButton, usePages } from '../../ui/components';

/** `datetime-local` value for a Shanghai instant a number of days from now, at midnight. */
export function shanghaiMidnightIn(days: number): string {
  const d = new Date(Date.now() + 8 * 3600_000 + days * 86400_000);
  return `${d.toISOString().slice(0, 10)}T00:00`;
}
