import { Link, Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';
import './admin.css';
import { Catalog } from './Catalog';
import { Organisations } from './Organisations';
import { PayoutApprovals } from './PayoutDetails';
import { PayoutRunDetail } from './PayoutRunDetail';
import { PayoutRuns } from './PayoutRuns';
import { ProgramDetail } from './ProgramDetail';
import { Programs } from './Programs';
import { RecyclerDetail } from './RecyclerDetail';
import { RetailerDetail } from './RetailerDetail';
import { Users } from './Users';

/** The programme office's pages, under /admin (App.tsx lets admins in only). */
export default function AdminRoutes() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route index element={<Programs />} />
      <Route path="programs/:code" element={<ProgramDetail />} />
      <Route path="organisations" element={<Organisations />} />
      <Route path="organisations/retailers/:id" element={<RetailerDetail />} />
      <Route path="organisations/recyclers/:id" element={<RecyclerDetail />} />
      <Route path="catalog" element={<Catalog />} />
      <Route path="users" element={<Users />} />
      <Route path="payout-runs" element={<PayoutRuns />} />
      <Route path="payout-runs/:id" element={<PayoutRunDetail />} />
      <Route path="payout-approvals" element={<PayoutApprovals />} />
      <Route path="*" element={<Page title={t('app.notFound')}><p><Link to="/admin">{t('admin.nav.programs')}</Link></p></Page>} />
    </Routes>
  );
}
