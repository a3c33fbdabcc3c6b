import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Loading, Page } from '../../ui/components';
import { AppealDetail, AppealsQueue } from './Appeals';
import { AuditLog } from './AuditLog';
import { ClaimDetail } from './ClaimDetail';
import { Queue } from './Queue';
import './auditor.css';

// the charts (echarts) are their own chunk: the queue, a claim and the audit log never download them
const Dashboard = lazy(() => import('./Dashboard'));

export default function AuditorRoutes() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route index element={<Queue />} />
      <Route path="claims/:id" element={<ClaimDetail />} />
      <Route path="dashboard" element={<Suspense fallback={<Loading />}><Dashboard /></Suspense>} />
      <Route path="audit-log" element={<AuditLog />} />
      <Route path="appeals" element={<AppealsQueue />} />
      <Route path="appeals/:id" element={<AppealDetail />} />
      <Route path="*" element={<Page title={t('app.notFound')}><p>{t('auditor.notFound')}</p></Page>} />
    </Routes>
  );
}
