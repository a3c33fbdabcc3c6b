import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { LangProvider, useI18n, type MessageKey } from '../i18n';
import { Loading, Page } from '../ui/components';
import { Home } from '../pages/public/Home';
import { Register } from '../pages/public/Register';
import { SerialCheck } from '../pages/public/SerialCheck';
import { Draw } from '../pages/public/Draw';
import { SignIn } from '../pages/public/SignIn';
import { HOME_OF, SessionProvider, useSession, type Role } from './session';

// each role's pages are their own chunk: a household's phone never downloads the auditor's charts
const HouseholdPages = lazy(() => import('../pages/household/routes'));
const CashierPages = lazy(() => import('../pages/cashier/routes'));
const RecyclerPages = lazy(() => import('../pages/recycler/routes'));
const AuditorPages = lazy(() => import('../pages/auditor/routes'));
const AdminPages = lazy(() => import('../pages/admin/routes'));

export function App() {
  return (
    <LangProvider>
      <SessionProvider>
        <BrowserRouter>
          <Frame />
        </BrowserRouter>
      </SessionProvider>
    </LangProvider>
  );
}

/** Pages of one role: signed in with that role, or sent to sign in (and back here afterwards). */
function RoleGate({ role, children }: { role: Role; children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.state === 'loading') return <Loading />;
  if (session.role !== role) {
    if (session.signedOut) return <Navigate to="/" replace />;
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={role === 'recycler' ? `/recycler/sign-in?next=${next}` : `/sign-in?next=${next}`} replace />;
  }
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

const NAV: Record<Role, [string, MessageKey][]> = {
  household: [['/household', 'household.nav.home'], ['/household/claims', 'household.nav.claims'], ['/check', 'household.nav.check']],
  retailer: [['/till', 'cashier.nav.sale'], ['/till/claims', 'cashier.nav.claims'], ['/till/payouts', 'cashier.nav.payouts']],
  recycler: [['/recycler', 'recycler.nav.revocations'], ['/recycler/slip', 'recycler.nav.slip'], ['/recycler/receipts', 'recycler.nav.receipts']],
  auditor: [['/auditor', 'auditor.nav.queue'], ['/auditor/dashboard', 'auditor.nav.dashboard'], ['/auditor/appeals', 'auditor.nav.appeals'], ['/auditor/audit-log', 'auditor.nav.auditLog']],
  admin: [['/admin', 'admin.nav.programs'], ['/admin/organisations', 'admin.nav.organisations'], ['/admin/catalog', 'admin.nav.catalog'], ['/admin/users', 'admin.nav.users'], ['/admin/payout-runs', 'admin.nav.payouts'], ['/admin/payout-approvals', 'admin.nav.approvals']],
};

function Frame() {
  const { t, lang, setLang } = useI18n();
  const session = useSession();
  const navigate = useNavigate();
  const role = session.role;
  return (
    <>
      <a className="skip" href="#main">{t('app.skip')}</a>
      <header className="topbar">
        <Link to={role ? HOME_OF[role] : '/'} className="brand">换新 <span>{t('app.name')}</span></Link>
        <div className="topbar-actions">
          <button type="button" className="btn btn-link" lang={lang === 'zh' ? 'en' : 'zh-CN'} title={t('app.languageLabel')} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
            {t('app.language')}
          </button>
          {session.state === 'signed-in' ? (
            <button type="button" className="btn btn-link" onClick={() => { navigate('/', { replace: true }); void session.signOut(); }}>{t('app.signOut')}</button>
          ) : session.state === 'anonymous' ? (
            <Link className="btn btn-link" to="/sign-in">{t('app.signIn')}</Link>
          ) : null}
        </div>
      </header>
      {role && (
        <nav className="rolenav" aria-label={t(`role.${role}` as MessageKey)}>
          {NAV[role].map(([to, key]) => <NavLink key={to} to={to} end>{t(key)}</NavLink>)}
        </nav>
      )}
      <main id="main">
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/sign-in" element={<SignIn />} />
          <Route path="/register" element={<Register />} />
          <Route path="/check" element={<SerialCheck />} />
          <Route path="/draws" element={<Draw />} />
          <Route path="/draws/:code/:city/:date" element={<Draw />} />
          <Route path="/household/*" element={<RoleGate role="household"><HouseholdPages /></RoleGate>} />
          <Route path="/till/*" element={<RoleGate role="retailer"><CashierPages /></RoleGate>} />
          <Route path="/recycler/sign-in" element={<Suspense fallback={<Loading />}><RecyclerPages signInOnly /></Suspense>} />
          <Route path="/recycler/*" element={<RoleGate role="recycler"><RecyclerPages /></RoleGate>} />
          <Route path="/auditor/*" element={<RoleGate role="auditor"><AuditorPages /></RoleGate>} />
          <Route path="/admin/*" element={<RoleGate role="admin"><AdminPages /></RoleGate>} />
          <Route path="*" element={<Page title={t('app.notFound')}><p><Link to="/">{t('app.home')}</Link></p></Page>} />
        </Routes>
      </main>
    </>
  );
}
