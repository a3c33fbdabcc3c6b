import { Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';

export default function AdminRoutes() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="*" element={<Page title={t('admin.title')}><p>…</p></Page>} />
    </Routes>
  );
}
