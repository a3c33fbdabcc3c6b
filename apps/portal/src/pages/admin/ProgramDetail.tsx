import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { parseYuan, shanghaiIso } from '../../i18n/format';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useAction, useLoad } from '../../ui/components';
import { bpToPercent } from './policy';
import { PolicyEditor, PreviewToggle, usePolicyDraft } from './PolicyEditor';
import { wholeNumber } from './Programs';
import { CITIES, shanghaiMidnightIn, useAttemptKey, type City } from './shared';

type Detail = components['schemas']['ProgramDetailDto'];
type Rules = components['schemas']['PolicyRulesDto'];

/** One programme: its policy versions, each city's budget and daily quota, and the forms that change them. */
export function ProgramDetail() {
  const { code = '' } = useParams();
  const { t, time } = useI18n();
  const data = useLoad(() => call(() => api.GET('/v1/admin/programs/{code}', { params: { path: { code } } })), [code]);
  const p = data.data;
  return (
    <Page title={p ? t('admin.program.title', { name: p.name }) : t('admin.programs.title')} wide>
      <p><Link to="/admin">{t('admin.program.back')}</Link></p>
      {data.loading && !p && <Loading />}
      <ProblemAlert error={data.error} />
      {p && (
        <>
          <dl className="summary card">
            <dt>{t('admin.programs.code')}</dt><dd className="mono">{p.code}</dd>
            <dt>{t('admin.programs.startsAt')}</dt><dd>{time(p.startsAt)}</dd>
            <dt>{t('admin.programs.endsAt')}</dt><dd>{time(p.endsAt)}</dd>
            <dt>{t('admin.programs.validity')}</dt><dd>{p.voucherValidityDays}</dd>
            <dt>{t('admin.programs.perHousehold')}</dt><dd>{p.perHouseholdLimit}</dd>
          </dl>
          <Budgets program={p} onChange={data.reload} />
          <Quotas program={p} onChange={data.reload} />
          <Versions program={p} />
          <Publish program={p} onChange={data.reload} />
        </>
      )}
    </Page>
  );
}

function Budgets({ program, onChange }: { program: Detail; onChange: () => void }) {
  const { t, yuan } = useI18n();
  const [form, setForm] = useState<{ city: City; amount: string; note: string }>({ city: 'hangzhou', amount: '', note: '' });
  const [done, setDone] = useState<string>();
  const fen = parseYuan(form.amount);
  const attempt = useAttemptKey();
  const grant = useAction(async () => {
    const path = `/v1/admin/programs/${program.code}/budgets`;
    const body = { city: form.city, amountFen: fen!, ...(form.note.trim() ? { note: form.note.trim() } : {}) };
    const g = await call(() => api.POST('/v1/admin/programs/{code}/budgets', {
      params: { path: { code: program.code } }, body, headers: { 'Idempotency-Key': attempt.keyFor(path, body) },
    }));
    attempt.done();
    setDone(t('admin.budget.done', { amount: yuan(g.amountFen), city: t(`city.${g.city}` as MessageKey) }));
    setForm((f) => ({ ...f, amount: '', note: '' }));
    onChange();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    if (fen !== undefined && fen > 0) void grant.run();
  };
  const amountError = form.amount.trim() !== '' && (fen === undefined || fen <= 0) ? t('admin.budget.badAmount') : undefined;
  return (
    <section className="card" aria-labelledby="budgets-h">
      <h2 id="budgets-h">{t('admin.budget.title')}</h2>
      {program.budgets.length === 0 ? <Notice>{t('admin.budget.none')}</Notice> : (
        <div className="table-wrap">
          <table className="table" data-testid="budgets">
            <thead>
              <tr>
                <th scope="col">{t('admin.city')}</th>
                <th scope="col" className="num">{t('admin.budget.granted')}</th>
                <th scope="col" className="num">{t('admin.budget.available')}</th>
                <th scope="col" className="num">{t('admin.budget.reserved')}</th>
                <th scope="col" className="num">{t('admin.budget.payable')}</th>
                <th scope="col" className="num">{t('admin.budget.paid')}</th>
                <th scope="col" className="num">{t('admin.budget.receivable')}</th>
              </tr>
            </thead>
            <tbody>
              {program.budgets.map((b) => (
                <tr key={b.city}>
                  <th scope="row">{t(`city.${b.city}` as MessageKey)}</th>
                  <td className="num">{yuan(b.grantedFen)}</td>
                  <td className="num">{yuan(b.availableFen)}</td>
                  <td className="num">{yuan(b.reservedFen)}</td>
                  <td className="num">{yuan(b.payableFen)}</td>
                  <td className="num">{yuan(b.paidFen)}</td>
                  <td className="num">{yuan(b.receivableFen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="form-grid admin-grid admin-subform" onSubmit={submit} noValidate aria-labelledby="grant-h">
        <h3 id="grant-h" className="admin-span">{t('admin.budget.grant')}</h3>
        <Select label={t('admin.city')} value={form.city} onChange={(e) => setForm((f) => ({ ...f, city: e.target.value as City }))}
          options={CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))} />
        <Field label={t('admin.budget.amount')} inputMode="decimal" required value={form.amount} error={amountError}
          hint={fen !== undefined && fen > 0 ? t('admin.budget.amountIs', { amount: yuan(fen) }) : t('admin.budget.amountHint')}
          onChange={(e) => setForm((f) => ({ ...f, amount: e.target.value }))} />
        <Field label={t('admin.budget.note')} value={form.note} onChange={(e) => setForm((f) => ({ ...f, note: e.target.value }))} />
        <div className="admin-span">
          <ProblemAlert error={grant.error} />
          {done && <Notice kind="ok">{done}</Notice>}
          <Button type="submit" busy={grant.busy} disabled={fen === undefined || fen <= 0}>{t('admin.budget.submit')}</Button>
        </div>
      </form>
    </section>
  );
}

function Quotas({ program, onChange }: { program: Detail; onChange: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<{ city: City; dailyVouchers: string; releaseTime: string; allocation: 'first_come' | 'lottery'; entryOpens: string; entryCloses: string }>(
    () => {
      const q = program.quotas.find((x) => x.city === 'hangzhou');
      return {
        city: 'hangzhou', dailyVouchers: '', releaseTime: '10:00', allocation: q?.allocation === 'lottery' ? 'lottery' : 'first_come',
        entryOpens: q?.entryOpens ?? '08:00', entryCloses: q?.entryCloses ?? '20:00',
      };
    });
  const [done, setDone] = useState<string>();
  const save = useAction(async () => {
    const q = await call(() => api.PUT('/v1/admin/programs/{code}/quotas/{city}', {
      params: { path: { code: program.code, city: form.city } },
      body: {
        dailyVouchers: wholeNumber(form.dailyVouchers), releaseTime: form.releaseTime,
        // issue 13: allocation by lottery takes its daily entry window
        ...(form.allocation === 'lottery' ? { allocation: 'lottery' as const, entryOpens: form.entryOpens, entryCloses: form.entryCloses } : {}),
      },
    }));
    setDone(t('admin.quota.done', { city: t(`city.${q.city}` as MessageKey), n: q.dailyVouchers, time: q.releaseTime }));
    onChange();
  });
  return (
    <section className="card" aria-labelledby="quotas-h">
      <h2 id="quotas-h">{t('admin.quota.title')}</h2>
      {program.quotas.length === 0 ? <Notice>{t('admin.quota.none')}</Notice> : (
        <div className="table-wrap">
          <table className="table" data-testid="quotas">
            <thead>
              <tr>
                <th scope="col">{t('admin.city')}</th>
                <th scope="col" className="num">{t('admin.quota.daily')}</th>
                <th scope="col">{t('admin.quota.release')}</th>
                <th scope="col">{t('allocation.mode')}</th>
              </tr>
            </thead>
            <tbody>
              {program.quotas.map((q) => (
                <tr key={q.city}>
                  <th scope="row">{t(`city.${q.city}` as MessageKey)}</th>
                  <td className="num">{q.dailyVouchers}</td>
                  <td>{q.releaseTime}</td>
                  <td>{q.allocation === 'lottery' ? t('allocation.modeSummary', { opens: q.entryOpens ?? '', closes: q.entryCloses ?? '' }) : t('allocation.mode.first_come')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="form-grid admin-grid admin-subform" noValidate aria-labelledby="quota-h" onSubmit={(e) => { e.preventDefault(); setDone(undefined); void save.run(); }}>
        <h3 id="quota-h" className="admin-span">{t('admin.quota.set')}</h3>
        <Select label={t('admin.city')} value={form.city} onChange={(e) => {
          const city = e.target.value as City;
          // a city that draws by lottery keeps its mode and window unless the admin changes them
          const q = program.quotas.find((x) => x.city === city);
          setForm((f) => ({
            ...f, city,
            ...(q?.allocation === 'lottery' ? { allocation: 'lottery' as const, entryOpens: q.entryOpens ?? f.entryOpens, entryCloses: q.entryCloses ?? f.entryCloses } : { allocation: 'first_come' as const }),
          }));
        }}
          options={CITIES.map((c) => ({ value: c, label: t(`city.${c}` as MessageKey) }))} />
        <Field label={t('admin.quota.daily')} hint={t('admin.quota.dailyHint')} inputMode="numeric" required value={form.dailyVouchers}
          onChange={(e) => setForm((f) => ({ ...f, dailyVouchers: e.target.value }))} />
        <Field label={t('admin.quota.release')} hint={t('admin.timeZone')} type="time" required value={form.releaseTime}
          onChange={(e) => setForm((f) => ({ ...f, releaseTime: e.target.value }))} />
        <Select label={t('allocation.mode')} value={form.allocation} onChange={(e) => setForm((f) => ({ ...f, allocation: e.target.value as 'first_come' | 'lottery' }))}
          options={(['first_come', 'lottery'] as const).map((m) => ({ value: m, label: t(`allocation.mode.${m}`) }))} />
        {form.allocation === 'lottery' && (
          <>
            <Field label={t('allocation.entryOpens')} hint={t('admin.timeZone')} type="time" required value={form.entryOpens}
              onChange={(e) => setForm((f) => ({ ...f, entryOpens: e.target.value }))} />
            <Field label={t('allocation.entryCloses')} hint={t('admin.timeZone')} type="time" required value={form.entryCloses}
              onChange={(e) => setForm((f) => ({ ...f, entryCloses: e.target.value }))} />
          </>
        )}
        <div className="admin-span">
          <ProblemAlert error={save.error} />
          {done && <Notice kind="ok">{done}</Notice>}
          <Button type="submit" busy={save.busy}>{t('admin.quota.submit')}</Button>
        </div>
      </form>
    </section>
  );
}

/** A line about a version's rules: who qualifies, the rates, the cap. */
function RulesLine({ rules }: { rules: Rules }) {
  const { t, yuan } = useI18n();
  const rates = rules.rates.map((r) => `${t('admin.grade', { n: r.energyGrade })} ${bpToPercent(r.rateBp)}%`).join(' · ');
  return <>{t('admin.version.line', { resolutions: rules.eligibility.resolutions.join('/'), grade: rules.eligibility.maxEnergyGrade, rates, cap: yuan(rules.capFen) })}</>;
}

function Versions({ program }: { program: Detail }) {
  const { t, time } = useI18n();
  return (
    <section className="card" aria-labelledby="versions-h">
      <h2 id="versions-h">{t('admin.version.title')}</h2>
      <div className="table-wrap">
        <table className="table" data-testid="versions">
          <thead>
            <tr>
              <th scope="col" className="num">{t('admin.version.number')}</th>
              <th scope="col">{t('admin.version.from')}</th>
              <th scope="col">{t('admin.version.rules')}</th>
            </tr>
          </thead>
          <tbody>
            {program.policyVersions.map((v) => (
              <tr key={v.version}>
                <td className="num">{v.version}</td>
                <td>{time(v.effectiveFrom)}</td>
                <td>
                  <RulesLine rules={v.rules} />
                  <details>
                    <summary>{t('admin.version.json', { n: v.version })}</summary>
                    <pre className="admin-pre">{JSON.stringify(v.rules, null, 2)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A new policy version: the rules (from the latest version), when they take effect, the preview, then publish. */
function Publish({ program, onChange }: { program: Detail; onChange: () => void }) {
  const { t, time } = useI18n();
  const latest = program.policyVersions[program.policyVersions.length - 1];
  const draft = usePolicyDraft(latest.rules);
  const [effectiveFrom, setEffectiveFrom] = useState(shanghaiMidnightIn(1));
  const [preview, setPreview] = useState(false);
  const [done, setDone] = useState<string>();
  const attempt = useAttemptKey();
  const publish = useAction(async () => {
    const path = `/v1/admin/programs/${program.code}/policy-versions`;
    const body = { effectiveFrom: shanghaiIso(effectiveFrom), rules: draft.rules! };
    const v = await call(() => api.POST('/v1/admin/programs/{code}/policy-versions', {
      params: { path: { code: program.code } }, body, headers: { 'Idempotency-Key': attempt.keyFor(path, body) },
    }));
    attempt.done();
    setPreview(false);
    setDone(t('admin.publish.done', { n: v.version, from: time(v.effectiveFrom) }));
    onChange();
  });
  const ready = !!draft.rules && preview;
  return (
    <section className="card" aria-labelledby="publish-h">
      <h2 id="publish-h">{t('admin.publish.title')}</h2>
      <p className="hint">{t('admin.publish.intro', { n: latest.version })}</p>
      <form noValidate onSubmit={(e) => { e.preventDefault(); setDone(undefined); if (ready) void publish.run(); }}>
        <PolicyEditor draft={draft} idPrefix="publish" />
        <div className="form-grid admin-grid">
          <Field label={t('admin.publish.effectiveFrom')} hint={t('admin.publish.effectiveHint')} type="datetime-local" required value={effectiveFrom}
            onChange={(e) => setEffectiveFrom(e.target.value)} />
        </div>
        <PreviewToggle rules={draft.rules} open={preview} setOpen={setPreview} />
        {!preview && <p className="hint">{t('admin.publish.previewFirst')}</p>}
        <ProblemAlert error={publish.error} />
        {done && <Notice kind="ok">{done}</Notice>}
        <div className="actions">
          <Button type="submit" busy={publish.busy} disabled={!ready}>{t('admin.publish.submit')}</Button>
        </div>
      </form>
    </section>
  );
}
