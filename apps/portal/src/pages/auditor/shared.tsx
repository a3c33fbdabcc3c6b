import { useId, useState, type ReactNode, type TextareaHTMLAttributes } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Notice, ProblemAlert, useAction, useLoad } from '../../ui/components';

export type Program = components['schemas']['PublicProgramDto'];

/** The province's cities, in the order the programme office lists them. */
export const CITIES = ['hangzhou', 'ningbo', 'wenzhou', 'jiaxing', 'huzhou', 'shaoxing', 'jinhua', 'quzhou', 'zhoushan', 'taizhou', 'lishui'] as const;
export const STATUSES = ['pending_review', 'approved', 'rejected', 'cancelled', 'in_payout', 'paid', 'payout_failed', 'clawed_back'] as const;
/** The risk flags the policy engine raises (POLICY.md); the list filter takes any flag name. */
export const FLAGS = ['price_above_reference', 'receipt_after_sale', 'store_burst', 'prior_rejections'] as const;

/**
 * A word for a code from the auditor's messages (`auditor.flag.store_burst`…), or the code itself for one this
 * page does not know yet (a flag added by a later policy), so nothing is hidden.
 */
export function useWord(): (prefix: string, code: string) => string {
  const { t } = useI18n();
  return (prefix, code) => {
    const key = `${prefix}.${code}` as MessageKey;
    const word = t(key);
    return word === key ? code : word;
  };
}

/** The programmes running now (public list), for the filters; the first is the default where one is needed. */
export function usePrograms() {
  return useLoad(async () => (await call(() => api.GET('/v1/public/programs'))).items, []);
}

type TextAreaProps = TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; hint?: string; error?: string };

/** A labelled textarea, its hint and error tied to it (ui/components has inputs only). */
export function TextArea({ label, hint, error, id, ...rest }: TextAreaProps) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = hint ? `${fid}-hint` : undefined;
  const errId = error ? `${fid}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={fid}>{label}</label>
      <textarea id={fid} rows={3} aria-invalid={error ? true : undefined} aria-describedby={[hintId, errId].filter(Boolean).join(' ') || undefined} {...rest} />
      {hint && <p id={hintId} className="hint">{hint}</p>}
      {error && <p id={errId} className="error-text">{error}</p>}
    </div>
  );
}

/**
 * A table that may scroll sideways on a narrow screen: the scrolling box can take keyboard focus (arrow keys
 * scroll it) and has a name, as axe's scrollable-region-focusable asks.
 */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return <div className="table-wrap" tabIndex={0} role="group" aria-label={label}>{children}</div>;
}

/** A definition list of label → value, skipping nothing (a missing value reads "—"). */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="summary">
      {rows.map(([k, v]) => (
        <div key={k} className="auditor-fact">
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? '—' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export type ClaimFilters = {
  status?: (typeof STATUSES)[number];
  city?: (typeof CITIES)[number];
  programCode?: string;
  flag?: string;
  from?: string;
  to?: string;
};

/**
 * The claims as CSV, with the filters given. The export needs the Bearer token, so it is fetched through the
 * client (never a plain link) and handed to the browser as a download from an object URL.
 */
export function CsvExport({ filters, label }: { filters: ClaimFilters; label?: string }) {
  const { t } = useI18n();
  const [done, setDone] = useState<string | undefined>();
  const action = useAction(async () => {
    setDone(undefined);
    const blob = await call(() => api.GET('/v1/auditor/exports/claims.csv', { params: { query: filters }, parseAs: 'blob' }));
    const name = `claims-${new Date().toISOString().slice(0, 10)}.csv`;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setDone(t('auditor.csv.done', { name, size: Math.max(1, Math.round(blob.size / 1024)) }));
  });
  return (
    <div className="auditor-export">
      <Button type="button" kind="secondary" busy={action.busy} onClick={() => void action.run()}>{label ?? t('auditor.csv.export')}</Button>
      <ProblemAlert error={action.error} />
      {done && <Notice kind="ok">{done}</Notice>}
    </div>
  );
}
