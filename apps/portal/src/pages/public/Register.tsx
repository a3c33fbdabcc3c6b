import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, call } from '../../api/client';
import { useI18n, type MessageKey } from '../../i18n';
import { checkResidentId } from '../../i18n/resident-id';
import { Button, Field, Page, ProblemAlert, Select, useAction } from '../../ui/components';

export const CITIES = ['hangzhou', 'ningbo', 'wenzhou', 'jiaxing', 'huzhou', 'shaoxing', 'jinhua', 'quzhou', 'zhoushan', 'taizhou', 'lishui'] as const;

export function Register() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form, setForm] = useState<{ phone: string; password: string; name: string; idNumber: string; city: (typeof CITIES)[number] }>({ phone: '', password: '', name: '', idNumber: '', city: 'hangzhou' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value } as typeof f));
  const id = checkResidentId(form.idNumber);
  const idHint = form.idNumber === '' ? t('register.idHint')
    : id.state === 'ok' ? t('register.idOk') : id.state === 'bad' ? t('register.idBad') : t('register.idShort', { n: id.missing });
  const action = useAction(async () => {
    await call(() => api.POST('/v1/auth/register', { body: { ...form, phone: form.phone.trim(), idNumber: form.idNumber.trim().toUpperCase() } }));
    navigate('/sign-in?registered=1', { replace: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (id.state !== 'ok') return;
    void action.run();
  };
  return (
    <Page title={t('register.title')}>
      <form className="form" onSubmit={submit} noValidate>
        <Field label={t('register.phone')} name="phone" inputMode="tel" autoComplete="tel" required maxLength={11} value={form.phone} onChange={set('phone')} />
        <Field label={t('register.name')} name="name" autoComplete="name" required maxLength={50} value={form.name} onChange={set('name')} />
        <Field label={t('register.idNumber')} name="idNumber" autoComplete="off" required maxLength={18} value={form.idNumber} onChange={set('idNumber')}
          hint={idHint} status={form.idNumber === '' ? undefined : id.state === 'ok' ? 'ok' : id.state === 'bad' ? 'bad' : undefined} />
        <Select label={t('register.city')} name="city" value={form.city} onChange={set('city')} options={CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))} />
        <Field label={t('register.password')} name="password" type="password" autoComplete="new-password" required minLength={8} value={form.password} onChange={set('password')} />
        <ProblemAlert error={action.error} />
        <Button type="submit" busy={action.busy} disabled={id.state !== 'ok'}>{t('register.submit')}</Button>
      </form>
    </Page>
  );
}
