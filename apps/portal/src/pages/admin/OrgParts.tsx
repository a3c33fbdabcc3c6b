import { useState } from 'react';
import { useI18n } from '../../i18n';
import { Button, Notice, ProblemAlert, useAction } from '../../ui/components';
import { ConfirmButton, SecretOnce, TextArea, useAttemptKey } from './shared';

interface IssuedKey {
  id: string;
  /** Absent when the server answered a replay of an earlier issue: the key is never shown twice. */
  key?: string;
}

/**
 * API keys of an organisation: issue one (shown this once, with a copy button and the warning), and revoke the
 * ones issued on this page (the API lists no keys; a key issued elsewhere is revoked where it was issued).
 */
export function ApiKeys({ title, intro, attemptPath, issue, revoke }: {
  title: string; intro: string; attemptPath: string;
  issue: (idempotencyKey: string) => Promise<IssuedKey>; revoke: (keyId: string) => Promise<{ revokedAt: string }>;
}) {
  const { t, time } = useI18n();
  const [shown, setShown] = useState<IssuedKey>();
  const [issued, setIssued] = useState<{ id: string; revokedAt?: string }[]>([]);
  const attempt = useAttemptKey();
  const create = useAction(async () => {
    const k = await issue(attempt.keyFor(attemptPath));
    attempt.done();
    setShown(k);
    setIssued((list) => [...list, { id: k.id }]);
  });
  const revokeKey = useAction(async (keyId: string) => {
    const r = await revoke(keyId);
    setIssued((list) => list.map((k) => (k.id === keyId ? { ...k, revokedAt: r.revokedAt } : k)));
  });
  return (
    <section className="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{title}</h2>
      <p className="hint">{intro}</p>
      {shown && (shown.key
        ? <SecretOnce value={shown.key} title={t('admin.keys.newKey', { id: shown.id })} onDone={() => setShown(undefined)} />
        : <Notice kind="warn">{t('admin.keys.replayed', { id: shown.id })}</Notice>)}
      <ProblemAlert error={create.error} />
      {!shown && <Button type="button" busy={create.busy} onClick={() => void create.run()}>{t('admin.keys.issue')}</Button>}
      {issued.length > 0 && (
        <>
          <h3>{t('admin.keys.issuedHere')}</h3>
          <ul className="list">
            {issued.map((k) => (
              <li key={k.id} className="list-row">
                <span className="mono">{k.id}</span>
                {k.revokedAt ? <span>{t('admin.keys.revokedAt', { time: time(k.revokedAt) })}</span> : (
                  <ConfirmButton label={t('admin.keys.revoke')} kind="danger" busy={revokeKey.busy} question={t('admin.keys.revokeQuestion', { id: k.id })}
                    onConfirm={() => revokeKey.run(k.id)} />
                )}
              </li>
            ))}
          </ul>
          <ProblemAlert error={revokeKey.error} />
        </>
      )}
    </section>
  );
}

/** Suspend/reinstate (retailer) or decertify/recertify (recycler), with the reason the audit log records. */
export function StatusChange({ active, labels, change }: {
  active: boolean;
  labels: { title: string; stop: string; start: string; stopQuestion: string; startQuestion: string };
  change: (stop: boolean, reason: string) => Promise<void>;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string>();
  const act = useAction(async () => {
    await change(active, reason.trim());
    setDone(active ? t('admin.status.stopped') : t('admin.status.started'));
    setReason('');
  });
  const verb = active ? labels.stop : labels.start;
  return (
    <section className="card" aria-labelledby="status-h">
      <h2 id="status-h">{labels.title}</h2>
      <TextArea label={t('admin.status.reason')} hint={t('admin.status.reasonHint')} required value={reason} onChange={(e) => { setReason(e.target.value); setDone(undefined); }} />
      <ProblemAlert error={act.error} />
      {done && <Notice kind="ok">{done}</Notice>}
      <div className="actions">
        <ConfirmButton label={verb} kind={active ? 'danger' : 'primary'} busy={act.busy} disabled={!reason.trim()}
          question={active ? labels.stopQuestion : labels.startQuestion} onConfirm={() => act.run()} />
      </div>
    </section>
  );
}
