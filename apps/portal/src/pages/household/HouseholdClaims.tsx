import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Loading, MoreButton, Notice, Page, ProblemAlert, StatusBadge, usePages } from '../../ui/components';

type Claim = components['schemas']['ClaimDto'];

/** Each claim with its timeline: submitted → under review → approved → paid, or rejected with the reason. */
export function HouseholdClaims() {
  const { t } = useI18n();
  const pages = usePages((cursor) => call(() => api.GET('/v1/household/claims', { params: { query: { limit: 20, cursor } } })), []);
  return (
    <Page title={t('household.claims')}>
      {pages.first.loading && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
      <ul className="list">
        {pages.items.map((c) => <ClaimItem key={c.id} claim={c} />)}
      </ul>
      <MoreButton pages={pages} />
    </Page>
  );
}

function ClaimItem({ claim: c }: { claim: Claim }) {
  const { t, time, yuan } = useI18n();
  const reason = (r: string | null | undefined) => r || t('household.noReason');
  const steps: { key: string; text: string; at?: string | null; state: 'done' | 'current' | 'failed' }[] = [
    { key: 'submitted', text: t('household.step.submitted'), at: c.createdAt, state: 'done' },
  ];
  const reviewed = c.decidedAt !== null;
  if (c.status === 'pending_review' || (reviewed && c.decidedAt !== c.createdAt)) {
    steps.push({ key: 'review', text: t('household.step.review'), state: c.status === 'pending_review' ? 'current' : 'done' });
  }
  if (c.status === 'rejected') steps.push({ key: 'rejected', text: t('household.step.rejected', { reason: reason(c.decisionReason) }), at: c.decidedAt, state: 'failed' });
  else if (c.status !== 'pending_review' && c.status !== 'cancelled') steps.push({ key: 'approved', text: t('household.step.approved'), at: c.decidedAt ?? c.createdAt, state: 'done' });
  if (c.status === 'paid') steps.push({ key: 'paid', text: t('household.step.paid'), at: c.updatedAt, state: 'done' });
  if (c.status === 'cancelled') steps.push({ key: 'cancelled', text: t('household.step.cancelled', { reason: reason(c.cancelReason) }), at: c.cancelledAt, state: 'failed' });
  if (c.status === 'clawed_back') steps.push({ key: 'clawed_back', text: t('household.step.clawed_back', { reason: reason(c.cancelReason) }), at: c.cancelledAt, state: 'failed' });
  return (
    <li className="card claim" data-testid="claim">
      <h2 className="h3">{t('household.claim', { model: c.modelCode, serial: c.serialNumber })} <StatusBadge status={c.status} /></h2>
      <p>{t('household.subsidy', { amount: yuan(c.subsidy.amountFen), paid: yuan(c.payableByCustomerFen) })}</p>
      <ol className="timeline" aria-label={t('household.timeline')}>
        {steps.map((s) => (
          <li key={s.key} className={`step step-${s.state}`} aria-current={s.state === 'current' ? 'step' : undefined}>
            <span>{s.text}</span> {s.at && <time dateTime={s.at}>{time(s.at)}</time>}
          </li>
        ))}
      </ol>
    </li>
  );
}
