import { Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';

export default function CashierRoutes() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="*" element={<Page title={t('cashier.title')}><p>…</p></Page>} />
    </Routes>
  );
}
