import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { HOME_OF, useSession, type Role } from '../../app/session';
import { useI18n } from '../../i18n';
import { Button, Field, Notice, Page, ProblemAlert, useAction } from '../../ui/components';

/** A safe place to go after signing in: a path of this site only (never another origin). */
export function safeNext(next: string | null, role: Role): string {
  return next && next.startsWith('/') && !next.startsWith('//') && next.startsWith(HOME_OF[role]) ? next : HOME_OF[role];
}

export function SignIn() {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async () => {
    const me = await session.signIn(username.trim(), password);
    navigate(safeNext(params.get('next'), me.role as Role), { replace: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run();
  };
  return (
    <Page title={t('signin.title')}>
      {params.get('registered') && <Notice kind="ok">{t('register.done')}</Notice>}
      <form className="form" onSubmit={submit} noValidate>
        <Field label={t('signin.username')} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        <Field label={t('signin.password')} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ProblemAlert error={action.error} />
        <Button type="submit" busy={action.busy}>{t('signin.submit')}</Button>
      </form>
      <p>{t('signin.noAccount')} <Link to="/register">{t('app.register')}</Link></p>
      <p><Link to="/recycler/sign-in">{t('signin.recycler')}</Link></p>
    </Page>
  );
}
