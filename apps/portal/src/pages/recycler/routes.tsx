import { Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';

export default function RecyclerRoutes({ signInOnly }: { signInOnly?: boolean }) {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="*" element={<Page title={t('recycler.title')}><p>{signInOnly ? 'sign-in' : '…'}</p></Page>} />
    </Routes>
  );
}
