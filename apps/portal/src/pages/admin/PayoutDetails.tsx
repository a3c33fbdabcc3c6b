import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, useAction } from '../../ui/components';
import { MoreButton, TextArea, useAttemptKey, usePages } from './shared';

type Retailer = components['schemas']['RetailerDetailDto'];
type Change = components['schemas']['PayoutDetailsChangeDto'];
type Details = components['schemas']['PayoutDetailsDto'];

/** Payout details in one line, the bank account masked: "acct_… · 杭州某某 ****3445 (102331000010)". */
export function DetailsLine({ details }: { details: Details }) {
  const { t } = useI18n();
  const parts = [
    ...(details.stripeAccountId ? [t('admin.payoutDetails.stripeLine', { account: details.stripeAccountId })] : []),
    ...(details.bank ? [t('admin.retailers.bankLine', { name: details.bank.accountName, last4: details.bank.accountNumberLast4, bank: details.bank.bankCode })] : []),
  ];
  return <span className="mono-ish">{parts.length ? parts.join(' · ') : t('admin.retailers.noPayout')}</span>;
}

/** Approve or reject a change; for its proposer both are disabled, with the reason said next to them (four eyes). */
function Decide({ change, onDecided }: { change: Change; onDecided: (c: Change) => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const approve = useAction(async () => {
    onDecided(await call(() => api.POST('/v1/admin/payout-details-changes/{changeId}/approve', { params: { path: { changeId: change.changeId } } })));
  });
  const reject = useAction(async () => {
    const r = reason.trim();
    onDecided(await call(() => api.POST('/v1/admin/payout-details-changes/{changeId}/reject', { params: { path: { changeId: change.changeId } }, body: r ? { reason: r } : {} })));
  });
  const mine = change.proposedByYou;
  const explain = `four-eyes-${change.changeId}`;
  return (
    <div className="admin-decide" data-testid="decide">
      {mine && <p id={explain} className="hint" data-testid="four-eyes">{t('admin.payoutDetails.yours')}</p>}
      {rejecting && !mine && (
        <TextArea label={t('admin.payoutDetails.rejectReason')} hint={t('admin.payoutDetails.rejectReasonHint')} value={reason} maxLength={500}
          onChange={(e) => setReason(e.target.value)} />
      )}
      <ProblemAlert error={approve.error ?? reject.error} />
      <div className="actions">
        <Button type="button" kind="primary" busy={approve.busy} disabled={mine || reject.busy} aria-describedby={mine ? explain : undefined}
          onClick={() => void approve.run()}>
          {t('admin.payoutDetails.approve')}
        </Button>
        {rejecting && !mine
          ? <Button type="button" kind="danger" busy={reject.busy} onClick={() => void reject.run()}>{t('admin.payoutDetails.rejectConfirm')}</Button>
          : <Button type="button" kind="secondary" disabled={mine || approve.busy} aria-describedby={mine ? explain : undefined} onClick={() => setRejecting(true)}>
              {t('admin.payoutDetails.reject')}
            </Button>}
      </div>
    </div>
  );
}

/**
 * The retailer's payout details on its page: where it is paid now (masked), the change waiting for a second admin
 * (approve / reject, or why not), or the form that proposes one. Nothing changes until another admin approves.
 */
export function PayoutDetailsCard({ retailer, onChange }: { retailer: Retailer; onChange: () => void }) {
  const { t, time } = useI18n();
  const pending = retailer.pendingPayoutChange;
  const [decided, setDecided] = useState<string>();
  return (
    <section className="card" aria-labelledby="payout-details-h" data-testid="payout-details">
      <h2 id="payout-details-h">{t('admin.payoutDetails.title')}</h2>
      <dl className="summary">
        <dt>{t('admin.payoutDetails.current')}</dt><dd data-testid="current-details"><DetailsLine details={retailer.payout} /></dd>
        <dt>{t('admin.payoutDetails.version')}</dt>
        <dd>{retailer.payout.changedAt ? t('admin.payoutDetails.versionChanged', { n: retailer.payout.version, time: time(retailer.payout.changedAt) }) : t('admin.payoutDetails.versionFirst')}</dd>
      </dl>
      {decided && <Notice kind="ok">{decided}</Notice>}
      {pending ? (
        <div className="alert alert-warn" data-testid="pending-change">
          <h3>{t('admin.payoutDetails.pendingTitle')}</h3>
          <p>{t('admin.payoutDetails.pendingLine', { time: time(pending.proposedAt), name: pending.proposedByYou ? t('admin.payoutDetails.you') : pending.proposedByName ?? pending.proposedBy })}</p>
          <p><DetailsLine details={pending.proposed} /></p>
          <p className="hint">{t('admin.payoutDetails.keptHint')}</p>
          <Decide change={pending} onDecided={(c) => { setDecided(t(c.status === 'approved' ? 'admin.payoutDetails.approved' : 'admin.payoutDetails.rejected')); onChange(); }} />
        </div>
      ) : (
        <ProposeForm retailerId={retailer.id} onProposed={() => { setDecided(undefined); onChange(); }} />
      )}
    </section>
  );
}

function ProposeForm({ retailerId, onProposed }: { retailerId: string; onProposed: () => void }) {
  const { t } = useI18n();
  const empty = { stripeAccountId: '', accountName: '', accountNumber: '', bankCode: '' };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState<string>();
  const attempt = useAttemptKey();
  const set = (k: keyof typeof empty) => (e: { target: { value: string } }) => { setForm((f) => ({ ...f, [k]: e.target.value })); setDone(undefined); };
  const propose = useAction(async () => {
    const stripe = form.stripeAccountId.trim();
    const anyBank = form.accountName.trim() || form.accountNumber.trim() || form.bankCode.trim();
    const body = {
      ...(stripe ? { stripeAccountId: stripe } : {}),
      ...(anyBank ? { bank: { accountName: form.accountName.trim(), accountNumber: form.accountNumber.replace(/\s/g, ''), bankCode: form.bankCode.trim() } } : {}),
    };
    const path = `/v1/admin/retailers/${retailerId}/payout-details`;
    await call(() => api.POST('/v1/admin/retailers/{id}/payout-details', { params: { path: { id: retailerId } }, body, headers: { 'Idempotency-Key': attempt.keyFor(path, body) } }));
    attempt.done();
    // the full number leaves the page once sent
    setForm(empty);
    setDone(t('admin.payoutDetails.proposed'));
    onProposed();
  });
  return (
    <form className="form-grid admin-grid admin-subform" noValidate aria-labelledby="propose-h" data-testid="propose-form"
      onSubmit={(e: FormEvent) => { e.preventDefault(); void propose.run(); }}>
      <h3 id="propose-h" className="admin-span">{t('admin.payoutDetails.propose')}</h3>
      <p className="hint admin-span">{t('admin.payoutDetails.proposeIntro')}</p>
      <Field label={t('admin.payoutDetails.stripe')} hint={t('admin.payoutDetails.stripeHint')} autoComplete="off" value={form.stripeAccountId} onChange={set('stripeAccountId')} />
      <Field label={t('admin.payoutDetails.accountName')} autoComplete="off" value={form.accountName} onChange={set('accountName')} />
      <Field label={t('admin.payoutDetails.accountNumber')} hint={t('admin.payoutDetails.accountNumberHint')} inputMode="numeric" autoComplete="off"
        value={form.accountNumber} onChange={set('accountNumber')} />
      <Field label={t('admin.payoutDetails.bankCode')} hint={t('admin.payoutDetails.bankCodeHint')} autoComplete="off" value={form.bankCode} onChange={set('bankCode')} />
      <div className="admin-span">
        <ProblemAlert error={propose.error} />
        {done && <Notice kind="ok">{done}</Notice>}
        <Button type="submit" busy={propose.busy}>{t('admin.payoutDetails.submit')}</Button>
      </div>
    </form>
  );
}

/** The approvals queue: every change waiting for a second admin, the one waiting longest first. */
export function PayoutApprovals() {
  const { t, time } = useI18n();
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/payout-details-changes', { params: { query: { status: 'pending_approval', limit: 20, cursor } } })), []);
  const [decided, setDecided] = useState<Record<string, Change>>({});
  return (
    <Page title={t('admin.approvals.title')} wide>
      <p className="hint">{t('admin.approvals.intro')}</p>
      {pages.first.loading && !pages.first.data && <Loading />}
      <ProblemAlert error={pages.first.error} />
      {pages.first.data && pages.items.length === 0 && <Notice>{t('admin.approvals.none')}</Notice>}
      {pages.items.length > 0 && (
        <ul className="list" data-testid="approvals">
          {pages.items.map((c) => {
            const done = decided[c.changeId];
            return (
              <li key={c.changeId} className="card" data-testid="approval">
                <h2><Link to={`/admin/organisations/retailers/${c.retailerId}`}>{c.retailerName ?? c.retailerId}</Link></h2>
                <p>{t('admin.payoutDetails.pendingLine', { time: time(c.proposedAt), name: c.proposedByYou ? t('admin.payoutDetails.you') : c.proposedByName ?? c.proposedBy })}</p>
                <p><DetailsLine details={c.proposed} /></p>
                {c.previous && <p className="hint">{t('admin.payoutDetails.replaces')} <DetailsLine details={c.previous} /></p>}
                {done
                  ? <Notice kind="ok">{t(done.status === 'approved' ? 'admin.payoutDetails.approved' : 'admin.payoutDetails.rejected')}</Notice>
                  : <Decide change={c} onDecided={(x) => setDecided((d) => ({ ...d, [c.changeId]: x }))} />}
              </li>
            );
          })}
        </ul>
      )}
      <MoreButton pages={pages} />
    </Page>
  );
}
