import { api, call } from '../../api/client';
import { useI18n } from '../../i18n';
import { Notice, ProblemAlert, useLoad } from '../../ui/components';

/**
 * Where the retailer is paid (masked) and, loudly, a change the programme office proposed or made: a change the
 * retailer did not ask for is how payment-redirection fraud shows, and the retailer is the one who can tell.
 */
export function PayoutDetailsNotice() {
  const { t, time } = useI18n();
  const load = useLoad(() => call(() => api.GET('/v1/retailer/payout-details')), []);
  const d = load.data;
  if (load.error) return <ProblemAlert error={load.error} />;
  if (!d) return null;
  const parts = [
    ...(d.stripeAccountId ? [d.stripeAccountId] : []),
    ...(d.bank ? [t('cashier.payoutDetails.bank', { name: d.bank.accountName, last4: d.bank.accountNumberLast4 })] : []),
  ];
  return (
    <section className="card" aria-labelledby="payout-details-h" data-testid="payout-details-notice">
      <h2 id="payout-details-h">{t('cashier.payoutDetails.title')}</h2>
      <p>{t('cashier.payoutDetails.current', { details: parts.length ? parts.join(' · ') : t('cashier.payoutDetails.none') })}</p>
      {d.pendingChangeProposedAt && <Notice kind="warn">{t('cashier.payoutDetails.pending', { time: time(d.pendingChangeProposedAt) })}</Notice>}
      {d.changedAt && <Notice kind="warn">{t('cashier.payoutDetails.changed', { time: time(d.changedAt), n: d.version })}</Notice>}
    </section>
  );
}
