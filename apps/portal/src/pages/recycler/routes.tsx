import { Link, Route, Routes } from 'react-router';
import { useI18n } from '../../i18n';
import { Page } from '../../ui/components';
import { Receipts } from './Receipts';
import { ReceiptSlip } from './ReceiptSlip';
import { RecyclerSignIn } from './RecyclerSignIn';
import { Revocations } from './Revocations';

/**
 * The recycler's pages. `/recycler/sign-in` renders with `signInOnly` (no key needed yet); everything else sits
 * behind the recycler role (App.tsx), with the API key in the session's memory.
 */
export default function RecyclerRoutes({ signInOnly }: { signInOnly?: boolean }) {
  const { t } = useI18n();
  if (signInOnly) return <RecyclerSignIn />;
  return (
    <Routes>
      <Route index element={<Revocations />} />
      <Route path="slip" element={<ReceiptSlip />} />
      <Route path="receipts" element={<Receipts />} />
      <Route path="*" element={<Page title={t('app.notFound')}><p><Link to="/recycler">{t('recycler.nav.revocations')}</Link></p></Page>} />
    </Routes>
  );
}
