import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api, ApiProblem, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Loading, Notice, Page, ProblemAlert, StatusBadge, useAction, useLoad } from '../../ui/components';
import { Facts, TableWrap, TextArea, useWord } from './shared';

type Detail = components['schemas']['ReviewClaimDetailDto'];

/**
 * One claim with everything the auditor needs to decide it: every field, every check that ran, its flags and why
 * it is in review, the household (masked), its audit history and ledger movements. Approve or reject with a
 * reason; a paid claim can be clawed back, after a confirmation.
 */
export function ClaimDetail() {
  const { t } = useI18n();
  const { id = '' } = useParams();
  const location = useLocation();
  const back = `/auditor${(location.state as { search?: string } | null)?.search ? `?${(location.state as { search: string }).search}` : ''}`;
  const [claim, setClaim] = useState<Detail | undefined>();
  const load = useLoad(async () => {
    const d = await call(() => api.GET('/v1/auditor/claims/{id}', { params: { path: { id } } }));
    setClaim(d);
    return d;
  }, [id]);

  return (
    <Page title={claim ? t('auditor.claim.title', { model: claim.modelCode, serial: claim.serialNumber }) : t('auditor.claim.loading')} wide>
      <p><Link to={back}>{t('auditor.claim.back')}</Link></p>
      {load.loading && !claim && <Loading />}
      <ProblemAlert error={load.error} />
      {claim && (
        <>
          {claim.status === 'clawed_back' && <Notice kind="warn">{t('auditor.clawback.done', { reason: claim.cancelReason ?? '—' })}</Notice>}
          <Decision claim={claim} onDecided={setClaim} onStale={load.reload} />
          {claim.receipt.dismantling === 'held' && <DismantlingHold claim={claim} />}
          <ClaimFacts claim={claim} />
          <Checks claim={claim} />
          <History claim={claim} />
          <Movements claim={claim} />
          {claim.status === 'paid' && <Clawback claim={claim} onDone={setClaim} />}
        </>
      )}
    </Page>
  );
}

function Decision({ claim, onDecided, onStale }: { claim: Detail; onDecided: (d: Detail) => void; onStale: () => void }) {
  const { t, time } = useI18n();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const [justDecided, setJustDecided] = useState<string | undefined>();
  const decide = useAction(async (decision: 'approve' | 'reject') => {
    const text = reason.trim() || t('auditor.decision.approveDefault');
    try {
      const d = await call(() => api.POST('/v1/auditor/claims/{id}/decision', { params: { path: { id: claim.id } }, body: { decision, reason: text } }));
      setJustDecided(d.status);
      setReason('');
      onDecided(d);
    } catch (err) {
      // someone else decided first: show the claim as it now is, with the refusal
      if (err instanceof ApiProblem && err.problem.code === 'claim_already_decided') onStale();
      throw err;
    }
  });
  const run = (decision: 'approve' | 'reject') => (e?: FormEvent) => {
    e?.preventDefault();
    if (decision === 'reject' && !reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    void decide.run(decision);
  };
  const pending = claim.status === 'pending_review';
  return (
    <section className="card" aria-labelledby="decision-h">
      <h2 id="decision-h">{t('auditor.decision.title')} <StatusBadge status={claim.status} /></h2>
      {justDecided && <Notice kind="ok">{t(justDecided === 'approved' ? 'auditor.decision.approved' : 'auditor.decision.rejected')}</Notice>}
      <ProblemAlert error={decide.error} />
      {claim.decision && (
        <Facts rows={[
          [t('auditor.decision.by'), <span className="mono">{claim.decision.decidedBy}</span>],
          [t('auditor.decision.at'), time(claim.decision.decidedAt)],
          [t('auditor.decision.reason'), claim.decision.reason],
        ]} />
      )}
      {!claim.decision && !pending && <p className="muted">{t('auditor.decision.auto')}</p>}
      {pending && (
        <form className="form" onSubmit={run('approve')} noValidate>
          <TextArea label={t('auditor.decision.reasonLabel')} hint={t('auditor.decision.reasonHint')} value={reason} maxLength={500}
            error={missing ? t('auditor.decision.reasonRequired') : undefined}
            onChange={(e) => { setReason(e.target.value); if (e.target.value.trim()) setMissing(false); }} />
          <div className="actions">
            <Button type="submit" busy={decide.busy}>{t('auditor.decision.approve')}</Button>
            <Button type="button" kind="danger" busy={decide.busy} onClick={() => run('reject')()}>{t('auditor.decision.reject')}</Button>
          </div>
        </form>
      )}
    </section>
  );
}

function ClaimFacts({ claim: c }: { claim: Detail }) {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  return (
    <>
      <section className="card" aria-labelledby="claim-h">
        <h2 id="claim-h">{t('auditor.claim.facts')}</h2>
        <Facts rows={[
          [t('auditor.claim.id'), <span className="mono">{c.id}</span>],
          [t('auditor.field.status'), <StatusBadge status={c.status} />],
          [t('auditor.field.program'), <span className="mono">{c.programCode}</span>],
          [t('auditor.field.city'), t(`city.${c.city}` as MessageKey)],
          [t('auditor.claim.retailer'), c.retailerName],
          [t('auditor.claim.retailerId'), <span className="mono">{c.retailerId}</span>],
          [t('auditor.claim.store'), <span className="mono">{c.storeCode}</span>],
          [t('auditor.claim.voucher'), <span className="mono">{c.voucherCode}</span>],
          [t('auditor.col.model'), <span className="mono">{c.modelCode}</span>],
          [t('auditor.claim.resolution'), c.resolution],
          [t('auditor.claim.energyGrade'), t('auditor.grade', { n: c.energyGrade })],
          [t('auditor.claim.serial'), <span className="mono">{c.serialNumber}</span>],
          [t('auditor.claim.invoice'), <span className="mono">{c.invoiceNumber}</span>],
          [t('auditor.col.price'), yuan(c.salePriceFen)],
          [t('auditor.claim.subsidyBase'), yuan(c.subsidy.baseFen)],
          [t('auditor.claim.subsidyRate'), `${(c.subsidy.rateBp / 100).toFixed(2)}%`],
          [t('auditor.claim.subsidyCap'), yuan(c.subsidy.capFen)],
          [t('auditor.col.subsidy'), `${yuan(c.subsidy.amountFen)}${c.subsidy.capped ? ` (${t('auditor.claim.capped')})` : ''}`],
          [t('auditor.claim.customerPaid'), yuan(c.payableByCustomerFen)],
          [t('auditor.claim.policyVersion'), c.policyVersion],
          [t('auditor.claim.soldAt'), time(c.soldAt)],
          [t('auditor.claim.createdAt'), time(c.createdAt)],
          [t('auditor.claim.updatedAt'), time(c.updatedAt)],
          [t('auditor.decision.at'), time(c.decidedAt)],
          [t('auditor.decision.reason'), c.decisionReason],
          [t('auditor.claim.cancelledAt'), time(c.cancelledAt)],
          [t('auditor.claim.cancelReason'), c.cancelReason],
        ]} />
      </section>
      <div className="auditor-cols">
        <section className="card" aria-labelledby="flags-h">
          <h2 id="flags-h">{t('auditor.claim.flags')}</h2>
          {c.flags.length === 0 ? <p className="muted">{t('auditor.claim.noFlags')}</p> : (
            <ul>{c.flags.map((f) => <li key={f}>{word('auditor.flag', f)} <code>{f}</code></li>)}</ul>
          )}
          <h3>{t('auditor.claim.reviewReasons')}</h3>
          {c.reviewReasons.length === 0 ? <p className="muted">{t('auditor.claim.noReviewReasons')}</p> : (
            <ul>{c.reviewReasons.map((r) => <li key={r}>{word('auditor.reason', r) === r ? word('auditor.flag', r) : word('auditor.reason', r)} <code>{r}</code></li>)}</ul>
          )}
        </section>
        <section className="card" aria-labelledby="household-h">
          <h2 id="household-h">{t('auditor.claim.household')}</h2>
          <Facts rows={[
            [t('auditor.claim.householdId'), <span className="mono">{c.household.id}</span>],
            [t('auditor.claim.phone'), <span className="mono">{c.household.phone}</span>],
            [t('auditor.claim.idLast4'), <span className="mono">{c.household.idNumberLast4 ? `**************${c.household.idNumberLast4}` : null}</span>],
          ]} />
          <h3>{t('auditor.claim.receipt')}</h3>
          <Facts rows={[
            [t('auditor.claim.receiptIssuer'), <span className="mono">{c.receipt.issuer}</span>],
            [t('auditor.claim.receiptRid'), <span className="mono">{c.receipt.rid}</span>],
            [t('auditor.claim.receiptIssuedAt'), time(c.receipt.issuedAt)],
          ]} />
        </section>
      </div>
    </>
  );
}

function Checks({ claim }: { claim: Detail }) {
  const { t } = useI18n();
  const word = useWord();
  return (
    <section className="card" aria-labelledby="checks-h">
      <h2 id="checks-h">{t('auditor.checks.title')}</h2>
      <TableWrap label={t('auditor.checks.title')}>
        <table className="table" aria-labelledby="checks-h">
          <thead><tr><th scope="col">{t('auditor.checks.check')}</th><th scope="col">{t('auditor.checks.result')}</th><th scope="col">{t('auditor.checks.details')}</th></tr></thead>
          <tbody>
            {claim.checks.map((c) => (
              <tr key={c.check} data-testid="check">
                <td>{word('auditor.check', c.check)} <code className="muted">{c.check}</code></td>
                <td><span className="badge badge-approved">{t('auditor.checks.passed')}</span></td>
                <td>{c.result === 'ok' ? '—' : <>{word('auditor.checkResult', c.result)} <code className="muted">{c.result}</code></>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function History({ claim }: { claim: Detail }) {
  const { t, time } = useI18n();
  const word = useWord();
  return (
    <section className="card" aria-labelledby="history-h">
      <h2 id="history-h">{t('auditor.history.title')}</h2>
      <ol className="timeline" aria-labelledby="history-h">
        {claim.history.map((e) => (
          <li key={e.id} className="step step-done" data-testid="history-event">
            <strong>{word('auditor.action', e.action)}</strong> <code className="muted">{e.action}</code>
            {typeof e.details.appealId === 'string' && <> <Link to={`/auditor/appeals/${e.details.appealId}`}>{t('auditor.appeals.openOne')}</Link></>}
            <time dateTime={e.at}>{time(e.at)}</time>
            <div className="muted">
              {t('auditor.history.actor', { who: e.actor.role ? word('role', e.actor.role) : (e.actor.kind ?? '—') })}
              {e.actor.id && <> · <span className="mono">{e.actor.id}</span></>}
            </div>
            {Object.keys(e.details).length > 0 && <code className="auditor-json">{JSON.stringify(e.details)}</code>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Movements({ claim }: { claim: Detail }) {
  const { t, time, yuan } = useI18n();
  const word = useWord();
  return (
    <section className="card" aria-labelledby="ledger-h">
      <h2 id="ledger-h">{t('auditor.ledger.title')}</h2>
      {claim.ledgerMovements.length === 0 ? <p className="muted">{t('app.none')}</p> : (
        <TableWrap label={t('auditor.ledger.title')}>
          <table className="table" aria-labelledby="ledger-h">
            <thead>
              <tr>
                <th scope="col">{t('auditor.col.time')}</th>
                <th scope="col">{t('auditor.ledger.kind')}</th>
                <th scope="col">{t('auditor.ledger.account')}</th>
                <th scope="col" className="num">{t('auditor.ledger.amount')}</th>
              </tr>
            </thead>
            <tbody>
              {claim.ledgerMovements.flatMap((m) => m.entries.map((e, i) => (
                <tr key={`${m.id}-${i}`} data-testid={i === 0 ? 'movement' : undefined}>
                  {i === 0 && <td rowSpan={m.entries.length}>{time(m.at)}</td>}
                  {i === 0 && <td rowSpan={m.entries.length}>{word('auditor.movement', m.kind)} <code className="muted">{m.kind}</code>{m.note && <div className="muted">{m.note}</div>}</td>}
                  <td>{word('auditor.account', e.account)}{e.retailerId && <div className="muted mono">{e.retailerId}</div>}</td>
                  <td className="num">{yuan(e.amountFen)}</td>
                </tr>
              )))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

/** Clawing back a paid claim: a section apart, and a confirmation dialog before anything is sent. */
function Clawback({ claim, onDone }: { claim: Detail; onDone: (d: Detail) => void }) {
  const { t, yuan } = useI18n();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const action = useAction(async () => {
    const d = await call(() => api.POST('/v1/auditor/claims/{id}/clawback', { params: { path: { id: claim.id } }, body: { reason: reason.trim() } }));
    dialog.current?.close();
    onDone(d);
  });
  useEffect(() => () => dialog.current?.close(), []);
  const ask = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    action.clear();
    dialog.current?.showModal();
    // the safe choice has the focus: Enter or Space here changes nothing
    cancel.current?.focus();
  };
  return (
    <section className="card auditor-danger" aria-labelledby="clawback-h">
      <h2 id="clawback-h">{t('auditor.clawback.title')}</h2>
      <p>{t('auditor.clawback.explain', { amount: yuan(claim.subsidy.amountFen) })}</p>
      <form className="form" onSubmit={ask} noValidate>
        <TextArea label={t('auditor.clawback.reason')} value={reason} maxLength={500} error={missing ? t('auditor.decision.reasonRequired') : undefined}
          onChange={(e) => setReason(e.target.value)} />
        <div className="actions"><Button type="submit" kind="danger">{t('auditor.clawback.start')}</Button></div>
      </form>
      <dialog ref={dialog} className="auditor-dialog" aria-labelledby="clawback-confirm-h" aria-describedby="clawback-confirm-p">
        <h2 id="clawback-confirm-h">{t('auditor.clawback.confirmTitle')}</h2>
        <p id="clawback-confirm-p">{t('auditor.clawback.confirmText', { amount: yuan(claim.subsidy.amountFen), reason: reason.trim() })}</p>
        <ProblemAlert error={action.error} />
        <div className="actions">
          <Button type="button" kind="danger" busy={action.busy} onClick={() => void action.run()}>{t('auditor.clawback.confirm')}</Button>
          <button type="button" className="btn btn-secondary" ref={cancel} onClick={() => dialog.current?.close()}>{t('app.cancel')}</button>
        </div>
      </dialog>
    </section>
  );
}

/**
 * A claim held from payout because the recycler did not confirm the old set dismantled in time (issue 13): what it
 * means, and releasing it with a reason after checking (POST /v1/auditor/claims/{id}/dismantling-release).
 */
function DismantlingHold({ claim }: { claim: Detail }) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const [done, setDone] = useState(false);
  const action = useAction(async () => {
    await call(() => api.POST('/v1/auditor/claims/{id}/dismantling-release', { params: { path: { id: claim.id } }, body: { reason: reason.trim() } }));
    setDone(true);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    void action.run();
  };
  return (
    <section className="card" aria-labelledby="dismantling-h" data-testid="dismantling-hold">
      <h2 id="dismantling-h">{t('auditor.dismantling.title')}</h2>
      <p>{t('auditor.dismantling.text')}</p>
      {done ? <Notice kind="ok">{t('auditor.dismantling.released')}</Notice> : (
        <form className="form" onSubmit={submit} noValidate>
          <TextArea label={t('auditor.dismantling.reason')} value={reason} maxLength={500} error={missing ? t('auditor.decision.reasonRequired') : undefined}
            onChange={(e) => setReason(e.target.value)} />
          <ProblemAlert error={action.error} />
          <div className="actions"><Button type="submit" busy={action.busy}>{t('auditor.dismantling.release')}</Button></div>
        </form>
      )}
    </section>
  );
}
