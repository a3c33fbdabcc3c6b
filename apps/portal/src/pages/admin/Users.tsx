import { useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useAction } from '../../ui/components';
import { MoreButton, useAttemptKey, usePages, useWord } from './shared';

type StaffUser = components['schemas']['StaffUserDto'];

/** Staff accounts: create auditors and programme office admins; every staff account listed (households are not). */
export function Users() {
  const { t, date } = useI18n();
  const word = useWord();
  const empty = { role: 'auditor' as 'auditor' | 'admin', email: '', name: '', password: '' };
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<StaffUser[]>([]);
  const [role, setRole] = useState<'' | 'auditor' | 'admin' | 'retailer'>('');
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/users', { params: { query: { limit: 50, cursor, role: role || undefined } } })), [role, created.length]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const body = { role: form.role, email: form.email.trim(), name: form.name.trim(), password: form.password };
    const u = await call(() => api.POST('/v1/admin/users', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/users', body) } }));
    attempt.done();
    setCreated((list) => [u, ...list]);
    setForm(empty);
  });
  return (
    <Page title={t('admin.users.title')}>
      <p className="hint">{t('admin.users.intro')}</p>
      <form className="form card" noValidate onSubmit={(e: FormEvent) => { e.preventDefault(); void create.run(); }}>
        <Select label={t('admin.users.role')} value={form.role} onChange={set('role')}
          options={[{ value: 'auditor', label: t('role.auditor') }, { value: 'admin', label: t('role.admin') }]} />
        <Field label={t('admin.user.email')} type="email" required autoComplete="off" value={form.email} onChange={set('email')} />
        <Field label={t('admin.user.name')} required value={form.name} onChange={set('name')} />
        <Field label={t('admin.user.password')} type="password" required autoComplete="new-password" hint={t('admin.user.passwordHint')} value={form.password} onChange={set('password')} />
        <ProblemAlert error={create.error} />
        <div><Button type="submit" busy={create.busy}>{t('admin.users.submit')}</Button></div>
      </form>
      <section aria-labelledby="staff-h">
        <h2 id="staff-h">{t('admin.users.all')}</h2>
        <div className="form-inline">
          <Select label={t('admin.users.filterRole')} value={role} onChange={(e) => setRole(e.target.value as typeof role)}
            options={[{ value: '', label: t('cashier.all') }, { value: 'auditor', label: t('role.auditor') }, { value: 'admin', label: t('role.admin') }, { value: 'retailer', label: t('role.retailer') }]} />
        </div>
        {pages.first.loading && !pages.first.data && <Loading />}
        <ProblemAlert error={pages.first.error} />
        {pages.items.length > 0 && (
          <div className="table-wrap" tabIndex={0} role="region" aria-label={t('admin.users.all')}>
            <table className="table" data-testid="staff">
              <thead><tr><th scope="col">{t('admin.user.email')}</th><th scope="col">{t('admin.user.name')}</th><th scope="col">{t('admin.users.role')}</th><th scope="col">{t('admin.org.since')}</th></tr></thead>
              <tbody>
                {pages.items.map((u) => (
                  <tr key={u.id}><td className="mono">{u.email}</td><td>{u.name}</td><td>{word('role', u.role)}{u.disabled ? ' ×' : ''}</td><td>{date(u.createdAt)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <MoreButton pages={pages} />
      </section>
      {created.length > 0 && (
        <section aria-labelledby="created-h">
          <h2 id="created-h">{t('admin.users.created')}</h2>
          <Notice kind="ok">{t('admin.users.done', { email: created[0].email })}</Notice>
          <ul className="list" data-testid="created-users">
            {created.map((u) => (
              <li key={u.id} className="list-row"><span>{u.name} · {u.email}</span> <span className="badge">{word('role', u.role)}</span></li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}
