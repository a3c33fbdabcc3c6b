import { Fragment, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Loading, Notice, Page, ProblemAlert, useAction, useLoad } from '../../ui/components';
import { Facts, TableWrap, useWord } from './shared';
import { verifyEntry, webCrypto, type CheckResult, type EntryVerification, type SubtleLike } from './verify';

type Head = components['schemas']['TreeHeadDto'];
type Entry = components['schemas']['AuditEntryDto'];
type Jwk = components['schemas']['AuditPublicJwkDto'];

const PAGE = 20;
const short = (hex: string) => `${hex.slice(0, 12)}…${hex.slice(-6)}`;

/**
 * The audit log: the latest signed tree head, the newest entries, and for any entry an independent check in
 * this browser (verify.ts with WebCrypto): the head's Ed25519 signature, the key's thumbprint, the event's leaf
 * hash and its inclusion proof up to the signed root. "Verified independently" means all four held.
 */
export function AuditLog() {
  const { t, time } = useI18n();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [low, setLow] = useState(0);
  const head = useLoad(async () => {
    const h = await call(() => api.GET('/v1/audit/tree-head'));
    const from = Math.max(0, h.treeSize - PAGE);
    const r = h.treeSize === 0 ? { items: [] } : await call(() => api.GET('/v1/audit/entries', { params: { query: { from, limit: PAGE } } }));
    setEntries(r.items.filter((e) => e.index < h.treeSize).reverse());
    setLow(from);
    return h;
  }, []);
  const earlier = useAction(async () => {
    const from = Math.max(0, low - PAGE);
    const r = await call(() => api.GET('/v1/audit/entries', { params: { query: { from, limit: low - from } } }));
    setEntries((xs) => [...xs, ...r.items.filter((e) => e.index < low).reverse()]);
    setLow(from);
  });

  const h = head.data;
  return (
    <Page title={t('auditor.log.title')} wide>
      <p className="muted">{t('auditor.log.intro')}</p>
      {head.loading && !h && <Loading />}
      <ProblemAlert error={head.error} />
      {h && (
        <>
          <section className="card" aria-labelledby="head-h" data-testid="tree-head">
            <div className="auditor-bar">
              <h2 id="head-h">{t('auditor.log.head')}</h2>
              <Button type="button" kind="secondary" onClick={head.reload} busy={head.loading}>{t('auditor.log.refresh')}</Button>
            </div>
            <Facts rows={[
              [t('auditor.log.size'), h.treeSize],
              [t('auditor.log.root'), <code className="auditor-hash">{h.rootHash}</code>],
              [t('auditor.log.time'), <>{time(h.timestamp)} <span className="muted mono">{h.timestamp}</span></>],
              [t('auditor.log.keyId'), <code className="auditor-hash">{h.keyId}</code>],
              [t('auditor.log.signature'), <code className="auditor-hash">{h.signature}</code>],
            ]} />
          </section>
          <Entries head={h} entries={entries} />
          <ProblemAlert error={earlier.error} />
          {low > 0 && <Button kind="secondary" busy={earlier.busy} onClick={() => void earlier.run()}>{t('auditor.log.earlier')}</Button>}
        </>
      )}
    </Page>
  );
}

function Entries({ head, entries }: { head: Head; entries: Entry[] }) {
  const { t, time } = useI18n();
  const word = useWord();
  const key = useRef<Promise<Jwk> | undefined>(undefined);
  const [results, setResults] = useState<Record<number, { busy?: boolean; error?: unknown; result?: EntryVerification }>>({});

  const verify = async (entry: Entry) => {
    setResults((r) => ({ ...r, [entry.index]: { busy: true } }));
    try {
      key.current ??= call(() => api.GET('/v1/audit/public-key'));
      const [publicKey, proof] = await Promise.all([
        key.current,
        call(() => api.GET('/v1/audit/proofs/inclusion', { params: { query: { index: entry.index, treeSize: head.treeSize } } })),
      ]);
      const result = await verifyEntry(webCrypto(crypto.subtle as unknown as SubtleLike), { head, publicKey, entry, proof });
      setResults((r) => ({ ...r, [entry.index]: { result } }));
    } catch (error) {
      key.current = undefined;
      setResults((r) => ({ ...r, [entry.index]: { error } }));
    }
  };

  if (entries.length === 0) return <Notice>{t('auditor.log.empty')}</Notice>;
  return (
    <section aria-labelledby="entries-h">
      <h2 id="entries-h">{t('auditor.log.entries')}</h2>
      <TableWrap label={t('auditor.log.entries')}>
        <table className="table" aria-labelledby="entries-h">
          <thead>
            <tr>
              <th scope="col" className="num">{t('auditor.log.index')}</th>
              <th scope="col">{t('auditor.col.time')}</th>
              <th scope="col">{t('auditor.log.action')}</th>
              <th scope="col">{t('auditor.log.subject')}</th>
              <th scope="col">{t('auditor.log.actor')}</th>
              <th scope="col">{t('auditor.log.leaf')}</th>
              <th scope="col"><span className="auditor-sr-only">{t('auditor.log.verify')}</span></th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => {
              const r = results[e.index];
              const actor = e.event.actor as Record<string, unknown>;
              return (
                <Fragment key={e.index}>
                  <tr data-testid="audit-entry" data-index={e.index}>
                    <td className="num">{e.index}</td>
                    <td>{time(e.event.time)}</td>
                    <td>{word('auditor.action', e.event.action)} <code className="muted">{e.event.action}</code></td>
                    <td>{e.event.subject.type}{e.event.subject.id && <div className="muted mono">{short(e.event.subject.id)}</div>}</td>
                    <td>{typeof actor.role === 'string' ? word('role', actor.role) : String(actor.kind ?? '—')}</td>
                    <td><code title={e.leafHash}>{short(e.leafHash)}</code></td>
                    <td>
                      <Button type="button" kind="secondary" busy={r?.busy} onClick={() => void verify(e)}
                        aria-label={t('auditor.log.verifyEntry', { index: e.index })}>{t('auditor.log.verify')}</Button>
                    </td>
                  </tr>
                  {r && !r.busy && (
                    <tr className="auditor-result-row">
                      <td colSpan={7}>
                        <ProblemAlert error={r.error} />
                        {r.result && <VerificationReport index={e.index} result={r.result} head={head} />}
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}

function VerificationReport({ index, result, head }: { index: number; result: EntryVerification; head: Head }) {
  const { t } = useI18n();
  const line = (name: string, c: CheckResult) => (
    <li className={c.ok ? 'auditor-ok' : 'auditor-bad'}>
      <span aria-hidden="true">{c.ok ? '✓ ' : '✗ '}</span>
      {t('auditor.verify.line', { name, result: c.ok ? t('auditor.verify.pass') : t(`auditor.verify.reason.${c.reason}` as MessageKey) })}
    </li>
  );
  return (
    <div className={`alert ${result.ok ? 'alert-ok' : 'alert-error'}`} role="status" data-testid="verification" data-ok={result.ok}>
      <p><strong>{result.ok ? t('auditor.verify.ok', { index, size: head.treeSize }) : t('auditor.verify.failed', { index })}</strong></p>
      <ul className="auditor-checklist">
        {line(t('auditor.verify.signature'), result.signature)}
        {line(t('auditor.verify.key'), result.key)}
        {line(t('auditor.verify.leaf'), result.leaf)}
        {line(t('auditor.verify.inclusion'), result.inclusion)}
      </ul>
      {result.leafHash && <p className="muted">{t('auditor.verify.leafHash')} <code className="auditor-hash">{result.leafHash}</code></p>}
    </div>
  );
}
