import { useState, type FormEvent } from 'react';
import { api, call } from '../../api/client';
import { useI18n } from '../../i18n';
import { parseYuan } from '../../i18n/format';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useAction } from '../../ui/components';
import { GRADES, RESOLUTIONS, type Resolution } from './policy';
import { wholeNumber } from './Programs';
import { Badge, MoreButton, useAttemptKey, usePages } from './shared';

type Status = 'pending' | 'approved';

/** EAN-13: 13 digits whose last is the check digit (weights 1, 3 from the left). */
export function gtinOk(s: string): boolean {
  if (!/^\d{13}$/.test(s)) return false;
  const sum = [...s.slice(0, 12)].reduce((a, d, i) => a + Number(d) * (i % 2 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === Number(s[12]);
}

/** The catalogue: models by code with a status filter, approving pending ones, adding a model. */
export function Catalog() {
  const { t, yuan, date } = useI18n();
  const [status, setStatus] = useState<'' | Status>('');
  const pages = usePages((cursor) => call(() => api.GET('/v1/admin/catalog/models', { params: { query: { limit: 50, cursor, ...(status ? { status } : {}) } } })), [status]);
  const [done, setDone] = useState<string>();
  const approve = useAction(async (modelCode: string) => {
    const m = await call(() => api.POST('/v1/admin/catalog/models/{modelCode}/approve', { params: { path: { modelCode } } }));
    setDone(t('admin.catalog.approved', { code: m.modelCode }));
    pages.first.reload();
  });
  return (
    <Page title={t('admin.catalog.title')} wide>
      <section aria-labelledby="models-h">
        <h2 id="models-h">{t('admin.catalog.list')}</h2>
        <form className="form-inline" onSubmit={(e) => e.preventDefault()}>
          <Select label={t('admin.catalog.filter')} value={status} onChange={(e) => setStatus(e.target.value as '' | Status)}
            options={[{ value: '', label: t('admin.catalog.all') }, { value: 'pending', label: t('admin.modelStatus.pending') }, { value: 'approved', label: t('admin.modelStatus.approved') }]} />
        </form>
        {pages.first.loading && !pages.first.data && <Loading />}
        <ProblemAlert error={pages.first.error} />
        <ProblemAlert error={approve.error} />
        {done && <Notice kind="ok">{done}</Notice>}
        {pages.first.data && pages.items.length === 0 && <Notice>{t('app.none')}</Notice>}
        {pages.items.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="models">
              <thead>
                <tr>
                  <th scope="col">{t('admin.catalog.code')}</th>
                  <th scope="col">{t('admin.catalog.model')}</th>
                  <th scope="col">GTIN</th>
                  <th scope="col">{t('admin.catalog.kind')}</th>
                  <th scope="col" className="num">{t('admin.catalog.price')}</th>
                  <th scope="col">{t('admin.org.status')}</th>
                  <th scope="col">{t('admin.signing.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {pages.items.map((m) => (
                  <tr key={m.modelCode}>
                    <td className="mono">{m.modelCode}</td>
                    <td>{m.brand} {m.name}</td>
                    <td className="mono">{m.gtin}</td>
                    <td>{t('admin.catalog.kindLine', { category: m.category, resolution: m.resolution, grade: m.energyGrade, inches: m.screenInches })}</td>
                    <td className="num">{yuan(m.referencePriceFen)}</td>
                    <td>
                      <Badge prefix="admin.modelStatus" code={m.status} tone={m.status === 'approved' ? 'ok' : 'warn'} />
                      {m.approvedAt && <span className="hint"> {date(m.approvedAt)}</span>}
                    </td>
                    <td>
                      {m.status === 'pending' && (
                        <Button type="button" kind="secondary" busy={approve.busy} onClick={() => { setDone(undefined); void approve.run(m.modelCode); }}>
                          {t('admin.catalog.approve', { code: m.modelCode })}
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <MoreButton pages={pages} />
      </section>
      <AddModel onAdded={pages.first.reload} />
    </Page>
  );
}

function AddModel({ onAdded }: { onAdded: () => void }) {
  const { t, yuan } = useI18n();
  const empty = { modelCode: '', gtin: '', brand: '', name: '', category: 'tv', resolution: '4K' as Resolution, energyGrade: '1', screenInches: '', price: '' };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState<string>();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => { setDone(undefined); setForm((f) => ({ ...f, [k]: e.target.value })); };
  const fen = parseYuan(form.price);
  const gtinError = form.gtin.trim() && !gtinOk(form.gtin.trim()) ? t('admin.catalog.gtinBad') : undefined;
  const attempt = useAttemptKey();
  const add = useAction(async () => {
    const body = {
      modelCode: form.modelCode.trim(), gtin: form.gtin.trim(), brand: form.brand.trim(), name: form.name.trim(), category: form.category.trim(),
      resolution: form.resolution, energyGrade: Number(form.energyGrade), screenInches: wholeNumber(form.screenInches), referencePriceFen: fen ?? Number.NaN,
    };
    const m = await call(() => api.POST('/v1/admin/catalog/models', { body, headers: { 'Idempotency-Key': attempt.keyFor('/v1/admin/catalog/models', body) } }));
    attempt.done();
    setForm(empty);
    setDone(t('admin.catalog.added', { code: m.modelCode }));
    onAdded();
  });
  return (
    <section className="card" aria-labelledby="add-model-h">
      <h2 id="add-model-h">{t('admin.catalog.add')}</h2>
      <form noValidate onSubmit={(e: FormEvent) => { e.preventDefault(); void add.run(); }}>
        <div className="form-grid admin-grid">
          <Field label={t('admin.catalog.code')} hint={t('admin.catalog.codeHint')} required autoComplete="off" value={form.modelCode} onChange={set('modelCode')} />
          <Field label="GTIN (EAN-13)" inputMode="numeric" required autoComplete="off" value={form.gtin} onChange={set('gtin')} error={gtinError}
            hint={form.gtin.trim() && !gtinError ? t('admin.catalog.gtinOk') : undefined} status={form.gtin.trim() && !gtinError ? 'ok' : undefined} />
          <Field label={t('admin.catalog.brand')} required value={form.brand} onChange={set('brand')} />
          <Field label={t('admin.catalog.name')} required value={form.name} onChange={set('name')} />
          <Field label={t('admin.catalog.category')} required value={form.category} onChange={set('category')} />
          <Select label={t('admin.catalog.resolution')} value={form.resolution} onChange={set('resolution')} options={RESOLUTIONS.map((r) => ({ value: r, label: r }))} />
          <Select label={t('admin.catalog.grade')} value={form.energyGrade} onChange={set('energyGrade')} options={GRADES.map((g) => ({ value: String(g), label: t('admin.grade', { n: g }) }))} />
          <Field label={t('admin.catalog.inches')} inputMode="numeric" required value={form.screenInches} onChange={set('screenInches')} />
          <Field label={t('admin.catalog.priceYuan')} inputMode="decimal" required value={form.price} onChange={set('price')}
            error={form.price.trim() && fen === undefined ? t('admin.budget.badAmount') : undefined}
            hint={fen !== undefined ? t('admin.budget.amountIs', { amount: yuan(fen) }) : undefined} />
        </div>
        <ProblemAlert error={add.error} />
        {done && <Notice kind="ok">{done}</Notice>}
        <div className="actions"><Button type="submit" busy={add.busy}>{t('admin.catalog.submit')}</Button></div>
      </form>
    </section>
  );
}
