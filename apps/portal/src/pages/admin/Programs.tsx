import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { shanghaiIso, shanghaiLocalNow } from '../../i18n/format';
import { Button, Field, Loading, Notice, Page, ProblemAlert, useAction } from '../../ui/components';
import { DEFAULT_RULES } from './policy';
import { PolicyEditor, PreviewToggle, usePolicyDraft } from './PolicyEditor';
import { MoreButton, shanghaiMidnightIn, useAttemptKey, usePages } from './shared';

type Program = components['schemas']['ProgramDto'];

/** A whole number typed in a form; anything else is sent as null, for the server to refuse by the field's name. */
export const wholeNumber = (s: string): number => (/^\d{1,9}$/.test(s.trim()) ? Number(s.trim()) : Number.NaN);

/** The programmes by code, and a new one. */
export function Programs() {
  const { t, date } = useI18n();
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/programs', { params: { query: { limit: 50, cursor } } })), []);
  return (
    <Page title={t('admin.programs.title')} wide>
      <section aria-labelledby="programs-h">
        <h2 id="programs-h">{t('admin.programs.list')}</h2>
        {pages.first.loading && !pages.first.data && <Loading />}
        <ProblemAlert error={pages.first.error} />
        {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
        {pages.items.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.programs.code')}</th>
                  <th scope="col">{t('admin.programs.name')}</th>
                  <th scope="col">{t('admin.programs.period')}</th>
                  <th scope="col" className="num">{t('admin.programs.versions')}</th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map((p: Program) => (
                  <tr key={p.id}>
                    <td><Link to={`/admin/programs/${encodeURIComponent(p.code)}`} className="mono">{p.code}</Link></td>
                    <td>{p.name}</td>
                    <td>{date(p.startsAt)} – {date(p.endsAt)}</td>
                    <td className="num">{p.policyVersions.length}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <MoreButton pages={pages} />
      </section>
      <CreateProgram />
    </Page>
  );
}

function CreateProgram() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState({ code: '', name: '', startsAt: shanghaiLocalNow(), endsAt: shanghaiMidnightIn(366), voucherValidityDays: '30', perHouseholdLimit: '1' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const draft = usePolicyDraft(DEFAULT_RULES);
  const [preview, setPreview] = useState(false);
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const body = {
      code: form.code.trim(), name: form.name.trim(), startsAt: shanghaiIso(form.startsAt), endsAt: shanghaiIso(form.endsAt),
      voucherValidityDays: wholeNumber(form.voucherValidityDays), perHouseholdLimit: wholeNumber(form.perHouseholdLimit), rules: draft.rules!,
    };
    const created = await call(() => api.POST('/v1/admin/programs', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/programs', body) } }));
    attempt.done();
    navigate(`/admin/programs/${encodeURIComponent(created.code)}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.rules) void create.run();
  };
  return (
    <section className="card" aria-labelledby="create-program-h">
      <h2 id="create-program-h">{t('admin.programs.create')}</h2>
      <form onSubmit={submit} noValidate>
        <div className="form-grid admin-grid">
          <Field label={t('admin.programs.code')} hint={t('admin.programs.codeHint')} required autoComplete="off" value={form.code} onChange={set('code')} />
          <Field label={t('admin.programs.name')} required value={form.name} onChange={set('name')} />
          <Field label={t('admin.programs.startsAt')} type="datetime-local" required value={form.startsAt} onChange={set('startsAt')} />
          <Field label={t('admin.programs.endsAt')} type="datetime-local" required value={form.endsAt} onChange={set('endsAt')} />
          <Field label={t('admin.programs.validity')} inputMode="numeric" required value={form.voucherValidityDays} onChange={set('voucherValidityDays')} />
          <Field label={t('admin.programs.perHousehold')} inputMode="numeric" required value={form.perHouseholdLimit} onChange={set('perHouseholdLimit')} />
        </div>
        <p className="hint">{t('admin.timeZone')}</p>
        <details>
          <summary>{t('admin.programs.rules')}</summary>
          <PolicyEditor draft={draft} idPrefix="create" />
          <PreviewToggle rules={draft.rules} open={preview} setOpen={setPreview} />
        </details>
        {!draft.rules && <Notice kind="warn">{t('admin.policy.fixFirst')}</Notice>}
        <ProblemAlert error={create.error} />
        <div className="actions">
          <Button type="submit" busy={create.busy} disabled={!draft.rules}>{t('admin.programs.submit')}</Button>
        </div>
      </form>
    </section>
  );
}
