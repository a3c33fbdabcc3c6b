import { Link, Navigate } from 'react-router';
import { HOME_OF, useSession } from '../../app/session';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';

export function Home() {
  const { t } = useI18n();
  const session = useSession();
  if (session.role) return <Navigate to={HOME_OF[session.role]} replace />;
  return (
    <Page title={t('home.title')}>
      <p className="lead">{t('home.intro')}</p>
      <div className="cards">
        <Link className="card card-link" to="/sign-in">{t('home.household')} · {t('app.signIn')}</Link>
        <Link className="card card-link" to="/register">{t('app.register')}</Link>
        <Link className="card card-link" to="/check">{t('home.check')}</Link>
        <Link className="card card-link" to="/sign-in">{t('home.staff')}</Link>
      </div>
    </Page>
  );
}
