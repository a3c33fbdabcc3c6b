import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, useAction, useLoad } from '../../ui/components';
import { ApiKeys, StatusChange } from './OrgParts';
import { Badge, ConfirmButton, TextArea, useAttemptKey } from './shared';

type Recycler = components['schemas']['RecyclerDto'];

/** A recycler: certification periods, receipt signing keys (add, revoke), API keys, decertify/recertify. */
export function RecyclerDetail() {
  const { id = '' } = useParams();
  const { t, time } = useI18n();
  const data = useLoad(() => call(() => api.GET('/v1/admin/recyclers/{id}', { params: { path: { id } } })), [id]);
  const r = data.data;
  return (
    <Page title={r ? r.name : t('admin.recyclers.title')} wide>
      <p><Link to="/admin/organisations">{t('admin.org.back')}</Link></p>
      {data.loading && !r && <Loading />}
      <ProblemAlert error={data.error} />
      {r && (
        <>
          <dl className="summary card">
            <dt>{t('admin.org.status')}</dt><dd><Badge prefix="admin.recyclerStatus" code={r.status} tone={r.status === 'certified' ? 'ok' : 'bad'} /></dd>
            <dt>{t('admin.org.creditCode')}</dt><dd className="mono">{r.creditCode}</dd>
            <dt>{t('admin.org.id')}</dt><dd className="mono">{r.id}</dd>
            <dt>{t('admin.org.since')}</dt><dd>{time(r.createdAt)}</dd>
          </dl>
          <section className="card" aria-labelledby="periods-h">
            <h2 id="periods-h">{t('admin.recyclers.periods')}</h2>
            <ul className="list">
              {r.certifications.map((c) => (
                <li key={c.certifiedAt} className="list-row">
                  <span>{t('admin.recyclers.period', { from: time(c.certifiedAt), to: c.decertifiedAt ? time(c.decertifiedAt) : t('admin.recyclers.now') })}</span>
                </li>
              ))}
            </ul>
          </section>
          <SigningKeys recycler={r} onChange={data.reload} />
          <ApiKeys
            title={t('admin.keys.systemTitle')} intro={t('admin.keys.systemIntro')} attemptPath={`/v1/admin/recyclers/${r.id}/api-keys`}
            issue={(key) => call(() => api.POST('/v1/admin/recyclers/{id}/api-keys', { params: { path: { id: r.id } }, headers: { 'Idempotency-Key': key } }))}
            revoke={(keyId) => call(() => api.POST('/v1/admin/recyclers/{id}/api-keys/{keyId}/revoke', { params: { path: { id: r.id, keyId } } }))}
          />
          <StatusChange
            active={r.status === 'certified'}
            labels={{ title: t('admin.recyclers.statusTitle'), stop: t('admin.recyclers.decertify'), start: t('admin.recyclers.recertify'),
              stopQuestion: t('admin.recyclers.decertifyQuestion', { name: r.name }), startQuestion: t('admin.recyclers.recertifyQuestion', { name: r.name }) }}
            change={async (stop, reason) => {
              await call(() => stop
                ? api.POST('/v1/admin/recyclers/{id}/decertify', { params: { path: { id: r.id } }, body: { reason } })
                : api.POST('/v1/admin/recyclers/{id}/recertify', { params: { path: { id: r.id } }, body: { reason } }));
              data.reload();
            }}
          />
        </>
      )}
    </Page>
  );
}

/** A pasted JWK: an Ed25519 public key ({kty, crv, x}), or why not — a private key is never sent. */
function readJwk(text: string): { jwk?: { kty: 'OKP'; crv: 'Ed25519'; x: string }; problem?: MessageKey } {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: 'admin.signing.notJson' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: 'admin.signing.notJwk' };
  const o = v as Record<string, unknown>;
  if ('d' in o) return { problem: 'admin.signing.private' };
  if (o.kty !== 'OKP' || o.crv !== 'Ed25519' || typeof o.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.x)) return { problem: 'admin.signing.notEd25519' };
  return { jwk: { kty: 'OKP', crv: 'Ed25519', x: o.x } };
}

function SigningKeys({ recycler, onChange }: { recycler: Recycler; onChange: () => void }) {
  const { t, time } = useI18n();
  const [kid, setKid] = useState('');
  const [jwkText, setJwkText] = useState('');
  const [done, setDone] = useState<string>();
  const jwk = useMemo(() => readJwk(jwkText), [jwkText]);
  const attempt = useAttemptKey();
  const add = useAction(async () => {
    const body = { kid: kid.trim(), publicKeyJwk: jwk.jwk! };
    const k = await call(() => api.POST('/v1/admin/recyclers/{id}/keys', {
      params: { path: { id: recycler.id } }, body, headers: { 'Idempotency-Key': attempt.keyFor(`/v1/admin/recyclers/${recycler.id}/keys`, body) },
    }));
    attempt.done();
    setDone(t('admin.signing.added', { kid: k.kid }));
    setKid('');
    setJwkText('');
    onChange();
  });
  const revoke = useAction(async (keyId: string, reason: 'retired' | 'compromised') => {
    await call(() => api.POST('/v1/admin/recyclers/{id}/keys/{kid}/revoke', { params: { path: { id: recycler.id, kid: keyId } }, body: { reason } }));
    setDone(t(`admin.signing.revoked.${reason}`, { kid: keyId }));
    onChange();
  });
  return (
    <section className="card" aria-labelledby="signing-h">
      <h2 id="signing-h">{t('admin.signing.title')}</h2>
      <p className="hint">{t('admin.signing.intro')}</p>
      {recycler.keys.length === 0 ? <Notice>{t('admin.signing.none')}</Notice> : (
        <div className="table-wrap">
          <table className="table" data-testid="signing-keys">
            <thead>
              <tr>
                <th scope="col">kid</th>
                <th scope="col">{t('admin.signing.added.col')}</th>
                <th scope="col">{t('admin.org.status')}</th>
                <th scope="col">{t('admin.signing.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {recycler.keys.map((k) => (
                <tr key={k.kid}>
                  <td className="mono">{k.kid}</td>
                  <td>{time(k.createdAt)}</td>
                  <td>{k.reason
                    ? <><Badge prefix="admin.signing.state" code={k.reason} tone={k.reason === 'compromised' ? 'bad' : 'warn'} /> {time(k.revokedAt)}</>
                    : <Badge prefix="admin.signing.state" code="active" tone="ok" />}</td>
                  <td>
                    <div className="actions admin-actions-tight">
                      {!k.reason && (
                        <ConfirmButton label={t('admin.signing.retire', { kid: k.kid })} busy={revoke.busy}
                          question={t('admin.signing.retireQuestion', { kid: k.kid })} onConfirm={() => revoke.run(k.kid, 'retired')} />
                      )}
                      {k.reason !== 'compromised' && (
                        <ConfirmButton label={t('admin.signing.compromise', { kid: k.kid })} kind="danger" busy={revoke.busy}
                          question={t('admin.signing.compromiseQuestion', { kid: k.kid })} onConfirm={() => revoke.run(k.kid, 'compromised')} />
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ProblemAlert error={revoke.error} />
      <form className="admin-subform" noValidate aria-labelledby="add-key-h" onSubmit={(e) => { e.preventDefault(); setDone(undefined); if (jwk.jwk) void add.run(); }}>
        <h3 id="add-key-h">{t('admin.signing.add')}</h3>
        <div className="form-grid admin-grid">
          <Field label={t('admin.signing.kid')} hint={t('admin.signing.kidHint')} required autoComplete="off" value={kid} onChange={(e) => setKid(e.target.value)} />
        </div>
        <TextArea label={t('admin.signing.jwk')} hint={t('admin.signing.jwkHint')} className="admin-json" rows={4} spellCheck={false} required
          value={jwkText} onChange={(e) => setJwkText(e.target.value)} error={jwk.problem ? t(jwk.problem) : undefined} />
        <ProblemAlert error={add.error} />
        {done && <Notice kind="ok">{done}</Notice>}
        <div className="actions"><Button type="submit" busy={add.busy} disabled={!jwk.jwk || !kid.trim()}>{t('admin.signing.submit')}</Button></div>
      </form>
    </section>
  );
}
