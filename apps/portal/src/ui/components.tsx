import { useCallback, useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { ApiProblem } from '../api/client';
import { useI18n, type MessageKey } from '../i18n';

/** A page: its title becomes the document's title and the one h1; focus moves to it on navigation. */
export function Page({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · 换新 Huanxin`;
    h1.current?.focus();
  }, [title]);
  return (
    <section className={wide ? 'page page-wide' : 'page'} aria-labelledby="page-title">
      <h1 id="page-title" ref={h1} tabIndex={-1}>{title}</h1>
      {children}
    </section>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode; error?: string; status?: 'ok' | 'bad' };

/** A labelled input with its hint and error tied to it for screen readers. */
export function Field({ label, hint, error, status, id, className, ...input }: FieldProps) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = hint ? `${fid}-hint` : undefined;
  const errId = error ? `${fid}-error` : undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={fid}>{label}</label>
      <input id={fid} aria-invalid={error || status === 'bad' ? true : undefined} aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined} {...input} />
      {hint && <p id={hintId} className={`hint ${status ? `hint-${status}` : ''}`} aria-live="polite">{hint}</p>}
      {error && <p id={errId} className="error-text">{error}</p>}
    </div>
  );
}

type SelectProps = SelectHTMLAttributes<HTMLSelectElement> & { label: string; options: { value: string; label: string }[] };

export function Select({ label, options, id, ...select }: SelectProps) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className="field">
      <label htmlFor={fid}>{label}</label>
      <select id={fid} {...select}>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </div>
  );
}

export function Button({ kind = 'primary', busy, children, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: 'primary' | 'secondary' | 'danger'; busy?: boolean }) {
  return (
    <button className={`btn btn-${kind}`} aria-busy={busy || undefined} disabled={busy || rest.disabled} {...rest}>
      {children}
    </button>
  );
}

/** A refusal or failure, in the reader's language, announced to screen readers. */
export function ProblemAlert({ error }: { error: unknown }) {
  const { problem, t } = useI18n();
  if (!error) return null;
  // a problem from the API in the reader's language; anything else (a bug in the page) says what it was
  const p = error instanceof ApiProblem ? error.problem : undefined;
  return (
    <div className="alert alert-error" role="alert" data-code={p?.code ?? 'unknown'}>
      <p>{p ? problem(p.code) : t('errors.unknown', { code: String(error) })}</p>
      {p?.errors?.length ? <ul>{p.errors.map((e) => <li key={e.field}><code>{e.field}</code>: {e.message}</li>)}</ul> : null}
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'ok' | 'warn'; children: ReactNode }) {
  return <div className={`alert alert-${kind}`} role="status">{children}</div>;
}

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const key = `status.${status}` as MessageKey;
  return <span className={`badge badge-${status}`}>{t(key) === key ? status : t(key)}</span>;
}

export function Loading() {
  const { t } = useI18n();
  return <p className="loading" role="status">{t('app.loading')}</p>;
}

/** Loads something when its inputs change; `reload` runs it again. Errors are kept for ProblemAlert. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => live && setState({ data, loading: false }), (error) => live && setState({ error, loading: false }));
    return () => {
      live = false;
    };
    // the caller names the inputs (deps); `n` is a reload
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

/** Runs an action once at a time (a double tap does nothing), keeping its error. */
export function useAction<A extends unknown[], T>(act: (...args: A) => Promise<T>): { run: (...args: A) => Promise<T | undefined>; busy: boolean; error: unknown; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const running = useRef(false);
  const run = useCallback(async (...args: A) => {
    if (running.current) return undefined;
    running.current = true;
    setBusy(true);
    setError(undefined);
    try {
      return await act(...args);
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, [act]);
  return { run, busy, error, clear: () => setError(undefined) };
}

/**
 * A "load more" list of keyset pages (`{items, nextCursor}`): the first page loaded when `deps` change (`first`,
 * for Loading and ProblemAlert), later ones appended by `more` (once at a time).
 */
export function usePages<T>(load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const first = useLoad(async () => {
    const page = await load();
    setItems(page.items);
    setCursor(page.nextCursor ?? undefined);
    return page;
  }, deps);
  const more = useAction(async () => {
    const page = await load(cursor);
    setItems((x) => [...x, ...page.items]);
    setCursor(page.nextCursor ?? undefined);
  });
  return { items, setItems, first, more, hasMore: cursor !== undefined };
}

/** The list's "load more" button and its error. */
export function MoreButton({ pages }: { pages: { more: { run: () => Promise<unknown>; busy: boolean; error: unknown }; hasMore: boolean } }) {
  const { t } = useI18n();
  return (
    <>
      <ProblemAlert error={pages.more.error} />
      {pages.hasMore && <Button kind="secondary" busy={pages.more.busy} onClick={() => void pages.more.run()}>{t('app.more')}</Button>}
    </>
  );
}

/** A labelled textarea with its hint tied to it (a reason to give: an appeal, a decision). */
export function TextArea({ label, hint, id, ...rest }: TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; hint?: ReactNode }) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = hint ? `${fid}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={fid}>{label}</label>
      <textarea id={fid} rows={3} aria-describedby={hintId} {...rest} />
      {hint && <p id={hintId} className="hint">{hint}</p>}
    </div>
  );
}
