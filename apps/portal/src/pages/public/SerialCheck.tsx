import { useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import { useI18n } from '../../i18n';
import { Button, Field, Notice, Page, ProblemAlert, useAction } from '../../ui/components';

/** The public "was this TV subsidised?" check: yes or no, nothing else. */
export function SerialCheck() {
  const { t } = useI18n();
  const [serial, setSerial] = useState('');
  const [answer, setAnswer] = useState<{ serial: string; subsidised: boolean }>();
  const action = useAction(async (s: string) => {
    const r = await call(() => api.GET('/v1/public/serials/{serial}', { params: { path: { serial: s } } }));
    setAnswer({ serial: s, subsidised: r.subsidised });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const s = serial.trim();
    if (s) void action.run(s);
  };
  return (
    <Page title={t('serial.title')}>
      <form className="form form-inline" onSubmit={submit} role="search">
        <Field label={t('serial.label')} name="serial" autoComplete="off" required maxLength={64} value={serial} onChange={(e) => setSerial(e.target.value)} />
        <Button type="submit" busy={action.busy}>{t('serial.submit')}</Button>
      </form>
      <ProblemAlert error={action.error} />
      {answer && <Notice kind={answer.subsidised ? 'warn' : 'ok'}>{t(answer.subsidised ? 'serial.yes' : 'serial.no', { serial: answer.serial })}</Notice>}
    </Page>
  );
}
