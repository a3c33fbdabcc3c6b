import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiProblem, call } from '../../api/client';
import { useSession } from '../../app/session';
import { useI18n } from '../../i18n';
import { Button, Field, Page, ProblemAlert, useAction } from '../../ui/components';
import { safeNext } from '../public/SignIn';

/**
 * Sign-in with the recycler's API key: the key is checked by reading the recycler's own revocations (one row),
 * then kept in this tab's memory only (session.signInRecycler). A refused key is said in the reader's language.
 */
export function RecyclerSignIn() {
  const { t } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [key, setKey] = useState('');
  const check = useAction(async (k: string) => {
    await call(() => api.GET('/v1/recycler/receipts/revoked', { params: { query: { limit: 1 } }, headers: { 'X-Api-Key': k } }));
    session.signInRecycler(k);
    navigate(safeNext(params.get('next'), 'recycler'), { replace: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (k) void check.run(k);
  };
  const status = check.error instanceof ApiProblem ? check.error.problem.status : undefined;
  return (
    <Page title={t('recycler.signIn.title')}>
      <p>{t('recycler.signIn.intro')}</p>
      <form className="form" onSubmit={submit} noValidate>
        <Field label={t('recycler.signIn.key')} name="api-key" type="password" autoComplete="off" spellCheck={false} required
          hint={t('recycler.signIn.keyHint')} value={key} onChange={(e) => { setKey(e.target.value); check.clear(); }} />
        {status === 401 || status === 403 ? (
          <div className="alert alert-error" role="alert" data-code={check.error instanceof ApiProblem ? check.error.problem.code : undefined}>
            <p>{t(status === 401 ? 'recycler.signIn.refused' : 'recycler.signIn.notRecycler')}</p>
          </div>
        ) : <ProblemAlert error={check.error} />}
        <Button type="submit" busy={check.busy} disabled={!key.trim()}>{t('recycler.signIn.submit')}</Button>
      </form>
      <p><Link to="/sign-in">{t('recycler.signIn.people')}</Link></p>
    </Page>
  );
}
