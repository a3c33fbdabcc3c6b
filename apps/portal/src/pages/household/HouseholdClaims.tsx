import { useState } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Loading, MoreButton, Notice, Page, ProblemAlert, StatusBadge, TextArea, useAction, usePages } from '../../ui/components';

type Claim = components['schemas']['PartyClaimDto'];

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
        {pages.items.map((c) => <ClaimItem key={c.id} claim={c} onAppealed={pages.first.reload} />)}
      </ul>
      <MoreButton pages={pages} />
    </Page>
  );
}

function ClaimItem({ claim: c, onAppealed }: { claim: Claim; onAppealed: () => void }) {
  const { t, time, yuan } = useI18n();
  const reason = (r: string | null | undefined) => r || t('household.noReason');
  const steps: { key: string; text: string; at?: string | null; state: 'done' | 'current' | 'failed' }[] = [
    { key: 'submitted', text: t('household.step.submitted'), at: c.createdAt, state: 'done' },
  ];
  const reviewed = c.decidedAt !== null;
  if (c.status === 'pending_review' || (reviewed && c.decidedAt !== c.createdAt)) {
    steps.push({ key: 'review', text: t('household.step.review'), state: c.status === 'pending_review' ? 'current' : 'done' });
  }
  const a = c.appeal;
  if (a) {
    // the rejection, the appeal and its outcome; an upheld appeal then continues as an approved claim
    steps.push({ key: 'rejected', text: t('household.step.rejected', { reason: reason(a.rejectionReason) }), at: a.rejectedAt, state: 'failed' });
    const appealed = a.appellant === 'household'
      ? (a.reason ? t('household.step.appealedWith', { reason: a.reason }) : t('household.step.appealed'))
      : t('household.step.appealedByStore');
    steps.push({ key: 'appealed', text: appealed, at: a.createdAt, state: 'done' });
    if (a.status === 'open') steps.push({ key: 'appeal', text: t('household.step.appealOpen'), state: 'current' });
    else {
      steps.push({
        key: 'appeal', text: t(a.status === 'upheld' ? 'household.step.appealUpheld' : 'household.step.appealDismissed', { reason: reason(a.decisionReason) }),
        at: a.decidedAt, state: a.status === 'upheld' ? 'done' : 'failed',
      });
    }
  } else if (c.status === 'rejected') steps.push({ key: 'rejected', text: t('household.step.rejected', { reason: reason(c.decisionReason) }), at: c.decidedAt, state: 'failed' });
  if (c.status !== 'rejected' && c.status !== 'pending_review' && c.status !== 'cancelled') steps.push({ key: 'approved', text: t('household.step.approved'), at: c.decidedAt ?? c.createdAt, state: 'done' });
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
      {c.status === 'rejected' && !a && c.appealableUntil && <AppealForm claim={c} until={c.appealableUntil} onAppealed={onAppealed} />}
    </li>
  );
}

/** A rejected claim not yet appealed: the household may appeal it once, with a reason, until the window closes. */
function AppealForm({ claim: c, until, onAppealed }: { claim: Claim; until: string; onAppealed: () => void }) {
  const { t, time } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const send = useAction(async () => {
    await call(() => api.POST('/v1/household/claims/{id}/appeal', { params: { path: { id: c.id } }, body: { reason: reason.trim() } }));
    onAppealed();
  });
  if (Date.parse(until) <= Date.now()) return <Notice>{t('household.appealClosed')}</Notice>;
  return (
    <div className="appeal">
      <p>{t('household.appealUntil', { time: time(until) })}</p>
      {!open && <Button kind="secondary" onClick={() => setOpen(true)}>{t('household.appeal')}</Button>}
      {open && (
        <form onSubmit={(e) => { e.preventDefault(); if (reason.trim()) void send.run(); }}>
          <TextArea label={t('household.appealReason')} hint={t('household.appealHint')} value={reason} maxLength={1000} required
            onChange={(e) => setReason(e.target.value)} />
          <Button type="submit" busy={send.busy} disabled={!reason.trim()}>{t('household.appealSubmit')}</Button>
          <ProblemAlert error={send.error} />
        </form>
      )}
    </div>
  );
}
