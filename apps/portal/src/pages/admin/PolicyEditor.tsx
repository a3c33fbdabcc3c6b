import { useMemo, useState } from 'react';
import { useI18n, type MessageKey } from '../../i18n';
import { parseYuan } from '../../i18n/format';
import { Button, Field, Notice, Select } from '../../ui/components';
import { bpToPercent, checkRules, DEFAULT_APPEAL_WITHIN_DAYS, GRADES, percentToBp, previewModels, previewSubsidy, RESOLUTIONS, type PolicyRules, type Resolution, type RulesError } from './policy';
import { TextArea } from './shared';

/** The rules as a person types them: percentages, yuan and whole numbers as text. */
interface RulesForm {
  category: string;
  resolutions: Resolution[];
  maxEnergyGrade: string;
  rates: Record<number, string>;
  bonus: Record<Resolution, string>;
  cap: string;
  roundingFen: string;
  rounding: 'half_up' | 'down';
  daysBeforeSale: string;
  daysAfterSale: string;
  priceFlagRatio: string;
  maxSalePrice: string;
  reviewSample: string;
  firstClaimsReviewed: string;
  storeBurstPerHour: string;
  appealWithinDays: string;
  /** receipt transparency (issue 13): only a required registration is written into the rules */
  registrationRequired: boolean;
  graceHours: string;
  /** empty: no dismantling deadline */
  dismantleWithinDays: string;
}

const yuanText = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

function toForm(r: PolicyRules): RulesForm {
  const rates: Record<number, string> = {};
  for (const g of GRADES) {
    const rate = r.rates.find((x) => x.energyGrade === g);
    rates[g] = rate ? bpToPercent(rate.rateBp) : '';
  }
  const bonus = {} as Record<Resolution, string>;
  for (const res of RESOLUTIONS) bonus[res] = r.resolutionBonusBp[res] === undefined ? '' : bpToPercent(r.resolutionBonusBp[res]!);
  return {
    category: r.eligibility.category, resolutions: [...r.eligibility.resolutions], maxEnergyGrade: String(r.eligibility.maxEnergyGrade),
    rates, bonus, cap: yuanText(r.capFen), roundingFen: String(r.roundingFen), rounding: r.rounding,
    daysBeforeSale: String(r.receiptWindow.daysBeforeSale), daysAfterSale: String(r.receiptWindow.daysAfterSale),
    priceFlagRatio: bpToPercent(r.priceFlagRatioBp), maxSalePrice: yuanText(r.maxSalePriceFen), reviewSample: bpToPercent(r.reviewSampleBp),
    firstClaimsReviewed: String(r.firstClaimsReviewed), storeBurstPerHour: String(r.storeBurstPerHour),
    appealWithinDays: String(r.appealWithinDays ?? DEFAULT_APPEAL_WITHIN_DAYS),
    registrationRequired: r.receiptRegistration?.required ?? false, graceHours: String(r.receiptRegistration?.graceHours ?? 0),
    dismantleWithinDays: r.dismantleWithinDays == null ? '' : String(r.dismantleWithinDays),
  };
}

type FieldErrors = Partial<Record<string, MessageKey>>;

/** The form as rules, or what is wrong with each field (then the rules check for what spans fields). */
function fromForm(f: RulesForm): { rules?: PolicyRules; fieldErrors: FieldErrors; errors: RulesError[] } {
  const fieldErrors: FieldErrors = {};
  const int = (key: string, s: string) => {
    if (!/^\d{1,12}$/.test(s.trim())) {
      fieldErrors[key] = 'admin.policy.badInt';
      return 0;
    }
    return Number(s.trim());
  };
  const pct = (key: string, s: string) => {
    const bp = percentToBp(s);
    if (bp === undefined) fieldErrors[key] = 'admin.policy.badPercent';
    return bp ?? 0;
  };
  const fen = (key: string, s: string) => {
    const v = parseYuan(s);
    if (v === undefined) fieldErrors[key] = 'admin.policy.badYuan';
    return v ?? 0;
  };
  const rates = GRADES.filter((g) => f.rates[g].trim() !== '').map((g) => ({ energyGrade: g, rateBp: pct(`rate${g}`, f.rates[g]) }));
  const resolutionBonusBp: Partial<Record<Resolution, number>> = {};
  for (const res of RESOLUTIONS) if (f.bonus[res].trim() !== '') resolutionBonusBp[res] = pct(`bonus${res}`, f.bonus[res]);
  const rules: PolicyRules = {
    eligibility: { category: f.category.trim(), resolutions: RESOLUTIONS.filter((r) => f.resolutions.includes(r)), maxEnergyGrade: int('maxEnergyGrade', f.maxEnergyGrade) },
    rates,
    resolutionBonusBp,
    capFen: fen('cap', f.cap),
    roundingFen: int('roundingFen', f.roundingFen),
    rounding: f.rounding,
    receiptWindow: { daysBeforeSale: int('daysBeforeSale', f.daysBeforeSale), daysAfterSale: int('daysAfterSale', f.daysAfterSale) },
    priceFlagRatioBp: pct('priceFlagRatio', f.priceFlagRatio),
    maxSalePriceFen: fen('maxSalePrice', f.maxSalePrice),
    reviewSampleBp: pct('reviewSample', f.reviewSample),
    firstClaimsReviewed: int('firstClaimsReviewed', f.firstClaimsReviewed),
    storeBurstPerHour: int('storeBurstPerHour', f.storeBurstPerHour),
    appealWithinDays: int('appealWithinDays', f.appealWithinDays),
    ...(f.registrationRequired ? { receiptRegistration: { required: true, graceHours: int('graceHours', f.graceHours) } } : {}),
    ...(f.dismantleWithinDays.trim() ? { dismantleWithinDays: int('dismantleWithinDays', f.dismantleWithinDays) } : {}),
  };
  if (Object.keys(fieldErrors).length) return { fieldErrors, errors: [] };
  const checked = checkRules(rules);
  return checked.ok ? { rules: checked.rules, fieldErrors, errors: [] } : { fieldErrors, errors: checked.errors };
}

export interface PolicyDraft {
  mode: 'form' | 'json';
  setMode(mode: 'form' | 'json'): void;
  form: RulesForm;
  setForm(update: (f: RulesForm) => RulesForm): void;
  json: string;
  setJson(text: string): void;
  /** The rules when they are good. */
  rules?: PolicyRules;
  fieldErrors: FieldErrors;
  errors: RulesError[];
  jsonError?: string;
}

/** The rules being edited, as a form or as JSON; switching keeps what was typed when it reads as rules. */
export function usePolicyDraft(initial: PolicyRules): PolicyDraft {
  const [mode, setModeState] = useState<'form' | 'json'>('form');
  const [form, setFormState] = useState<RulesForm>(() => toForm(initial));
  const [json, setJson] = useState(() => JSON.stringify(initial, null, 2));
  const fromJson = useMemo(() => {
    try {
      const checked = checkRules(JSON.parse(json));
      return checked.ok ? { rules: checked.rules, errors: [] } : { errors: checked.errors };
    } catch (err) {
      return { errors: [], jsonError: err instanceof Error ? err.message : String(err) };
    }
  }, [json]);
  const formResult = useMemo(() => fromForm(form), [form]);
  const setMode = (next: 'form' | 'json') => {
    if (next === mode) return;
    if (next === 'json' && formResult.rules) setJson(JSON.stringify(formResult.rules, null, 2));
    if (next === 'form' && fromJson.rules) setFormState(toForm(fromJson.rules));
    setModeState(next);
  };
  return mode === 'form'
    ? { mode, setMode, form, setForm: setFormState, json, setJson, rules: formResult.rules, fieldErrors: formResult.fieldErrors, errors: formResult.errors }
    : { mode, setMode, form, setForm: setFormState, json, setJson, rules: fromJson.rules, fieldErrors: {}, errors: fromJson.errors, jsonError: fromJson.jsonError };
}

/** The rules editor: POLICY.md's fields as a form, or the rules as JSON, checked as they are typed. */
export function PolicyEditor({ draft, idPrefix }: { draft: PolicyDraft; idPrefix: string }) {
  const { t } = useI18n();
  const { form, setForm, fieldErrors } = draft;
  const set = <K extends keyof RulesForm>(key: K) => (value: RulesForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const err = (key: string) => (fieldErrors[key] ? t(fieldErrors[key]!) : undefined);
  return (
    <div className="admin-policy">
      <fieldset className="admin-choice">
        <legend>{t('admin.policy.mode')}</legend>
        {(['form', 'json'] as const).map((m) => (
          <label key={m}><input type="radio" name={`${idPrefix}-mode`} value={m} checked={draft.mode === m} onChange={() => draft.setMode(m)} /> {t(`admin.policy.mode.${m}`)}</label>
        ))}
      </fieldset>
      {draft.mode === 'json' ? (
        <TextArea label={t('admin.policy.json')} hint={t('admin.policy.jsonHint')} className="admin-json" rows={18} spellCheck={false}
          value={draft.json} onChange={(e) => draft.setJson(e.target.value)} error={draft.jsonError ? t('admin.policy.jsonBad', { error: draft.jsonError }) : undefined} />
      ) : (
        <>
          <fieldset className="card">
            <legend>{t('admin.policy.eligibility')}</legend>
            <div className="form-grid admin-grid">
              <Field label={t('admin.policy.category')} value={form.category} onChange={(e) => set('category')(e.target.value)} />
              <Select label={t('admin.policy.maxEnergyGrade')} value={form.maxEnergyGrade} onChange={(e) => set('maxEnergyGrade')(e.target.value)}
                options={GRADES.map((g) => ({ value: String(g), label: t('admin.grade', { n: g }) }))} />
            </div>
            <fieldset className="admin-choice">
              <legend>{t('admin.policy.resolutions')}</legend>
              {RESOLUTIONS.map((r) => (
                <label key={r}>
                  <input type="checkbox" checked={form.resolutions.includes(r)}
                    onChange={(e) => set('resolutions')(e.target.checked ? [...form.resolutions, r] : form.resolutions.filter((x) => x !== r))} /> {r}
                </label>
              ))}
            </fieldset>
          </fieldset>
          <fieldset className="card">
            <legend>{t('admin.policy.rates')}</legend>
            <p className="hint">{t('admin.policy.ratesHint')}</p>
            <div className="form-grid admin-grid">
              {GRADES.map((g) => (
                <Field key={g} label={t('admin.policy.rateFor', { n: g })} inputMode="decimal" value={form.rates[g]} error={err(`rate${g}`)}
                  onChange={(e) => set('rates')({ ...form.rates, [g]: e.target.value })} />
              ))}
              {RESOLUTIONS.map((r) => (
                <Field key={r} label={t('admin.policy.bonusFor', { r })} inputMode="decimal" value={form.bonus[r]} error={err(`bonus${r}`)}
                  onChange={(e) => set('bonus')({ ...form.bonus, [r]: e.target.value })} />
              ))}
            </div>
          </fieldset>
          <fieldset className="card">
            <legend>{t('admin.policy.amount')}</legend>
            <div className="form-grid admin-grid">
              <Field label={t('admin.policy.cap')} inputMode="decimal" value={form.cap} error={err('cap')} onChange={(e) => set('cap')(e.target.value)} />
              <Field label={t('admin.policy.roundingFen')} inputMode="numeric" value={form.roundingFen} error={err('roundingFen')} onChange={(e) => set('roundingFen')(e.target.value)} />
              <Select label={t('admin.policy.rounding')} value={form.rounding} onChange={(e) => set('rounding')(e.target.value as 'half_up' | 'down')}
                options={[{ value: 'half_up', label: t('admin.policy.rounding.half_up') }, { value: 'down', label: t('admin.policy.rounding.down') }]} />
              <Field label={t('admin.policy.maxSalePrice')} inputMode="decimal" value={form.maxSalePrice} error={err('maxSalePrice')} onChange={(e) => set('maxSalePrice')(e.target.value)} />
            </div>
          </fieldset>
          <fieldset className="card">
            <legend>{t('admin.policy.checks')}</legend>
            <div className="form-grid admin-grid">
              <Field label={t('admin.policy.daysBeforeSale')} inputMode="numeric" value={form.daysBeforeSale} error={err('daysBeforeSale')} onChange={(e) => set('daysBeforeSale')(e.target.value)} />
              <Field label={t('admin.policy.daysAfterSale')} inputMode="numeric" value={form.daysAfterSale} error={err('daysAfterSale')} onChange={(e) => set('daysAfterSale')(e.target.value)} />
              <Field label={t('admin.policy.priceFlagRatio')} inputMode="decimal" value={form.priceFlagRatio} error={err('priceFlagRatio')} onChange={(e) => set('priceFlagRatio')(e.target.value)} />
              <Field label={t('admin.policy.reviewSample')} inputMode="decimal" value={form.reviewSample} error={err('reviewSample')} onChange={(e) => set('reviewSample')(e.target.value)} />
              <Field label={t('admin.policy.firstClaimsReviewed')} inputMode="numeric" value={form.firstClaimsReviewed} error={err('firstClaimsReviewed')} onChange={(e) => set('firstClaimsReviewed')(e.target.value)} />
              <Field label={t('admin.policy.storeBurstPerHour')} inputMode="numeric" value={form.storeBurstPerHour} error={err('storeBurstPerHour')} onChange={(e) => set('storeBurstPerHour')(e.target.value)} />
              <Field label={t('admin.policy.appealWithinDays')} hint={t('admin.policy.appealWithinDaysHint')} inputMode="numeric" value={form.appealWithinDays} error={err('appealWithinDays')} onChange={(e) => set('appealWithinDays')(e.target.value)} />
            </div>
          </fieldset>
          <fieldset className="card" data-testid="policy-recycling">
            <legend>{t('admin.policy.recycling')}</legend>
            <label className="admin-check">
              <input type="checkbox" name="registrationRequired" checked={form.registrationRequired} onChange={(e) => set('registrationRequired')(e.target.checked)} />
              {' '}{t('admin.policy.registrationRequired')}
            </label>
            <p className="hint">{t('admin.policy.registrationRequiredHint')}</p>
            <div className="form-grid admin-grid">
              <Field label={t('admin.policy.graceHours')} hint={t('admin.policy.graceHoursHint')} inputMode="numeric" disabled={!form.registrationRequired}
                value={form.graceHours} error={err('graceHours')} onChange={(e) => set('graceHours')(e.target.value)} />
              <Field label={t('admin.policy.dismantleWithinDays')} hint={t('admin.policy.dismantleWithinDaysHint')} inputMode="numeric"
                value={form.dismantleWithinDays} error={err('dismantleWithinDays')} onChange={(e) => set('dismantleWithinDays')(e.target.value)} />
            </div>
          </fieldset>
        </>
      )}
      {draft.errors.length > 0 && (
        <div className="alert alert-error" role="alert">
          <p>{t('admin.policy.invalid')}</p>
          <ul>{draft.errors.map((e) => <li key={`${e.field}:${e.message}`}><code>{e.field}</code>: {e.message}</li>)}</ul>
        </div>
      )}
    </div>
  );
}

const DEFAULT_PRICES = '3299.99, 5999.00, 12999.00';

/**
 * The subsidy these rules would give a few sale prices, for each eligible model kind — worked out in the page,
 * before anything is published, and said to be a preview.
 */
export function PolicyPreview({ rules }: { rules: PolicyRules }) {
  const { t, yuan } = useI18n();
  const [prices, setPrices] = useState(DEFAULT_PRICES);
  const parsed = prices.split(/[,，;；\s]+/).filter(Boolean).map((p) => ({ text: p, fen: parseYuan(p) }));
  const bad = parsed.filter((p) => p.fen === undefined).map((p) => p.text);
  const models = previewModels(rules);
  return (
    <section className="card admin-preview" aria-labelledby="preview-h" data-testid="policy-preview">
      <h3 id="preview-h">{t('admin.preview.title')}</h3>
      <Notice kind="warn">{t('admin.preview.notice')}</Notice>
      <Field label={t('admin.preview.prices')} hint={t('admin.preview.pricesHint')} value={prices} onChange={(e) => setPrices(e.target.value)}
        error={bad.length ? t('admin.preview.badPrices', { prices: bad.join(', ') }) : undefined} />
      {models.length === 0 ? <Notice>{t('admin.preview.noModels')}</Notice> : (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">{t('admin.preview.title')}</caption>
            <thead>
              <tr>
                <th scope="col" className="num">{t('admin.preview.price')}</th>
                <th scope="col">{t('admin.preview.model')}</th>
                <th scope="col" className="num">{t('admin.preview.rate')}</th>
                <th scope="col" className="num">{t('admin.preview.cap')}</th>
                <th scope="col" className="num">{t('admin.preview.subsidy')}</th>
                <th scope="col" className="num">{t('admin.preview.pays')}</th>
              </tr>
            </thead>
            <tbody>
              {parsed.filter((p) => p.fen !== undefined).flatMap((p) => models.map((m) => {
                const r = previewSubsidy(rules, m, p.fen!);
                return (
                  <tr key={`${p.text}-${m.resolution}-${m.energyGrade}`}>
                    <td className="num">{yuan(p.fen!)}</td>
                    <td>{m.resolution} · {t('admin.grade', { n: m.energyGrade })}</td>
                    {r.eligible ? (
                      <>
                        <td className="num">{bpToPercent(r.rateBp)}%</td>
                        <td className="num">{yuan(r.capFen)}</td>
                        <td className="num">{yuan(r.amountFen)}{r.capped ? ` (${t('admin.preview.capped')})` : ''}</td>
                        <td className="num">{yuan(r.payableByCustomerFen)}</td>
                      </>
                    ) : <td colSpan={4}>{t(`admin.preview.${r.reason}`)}</td>}
                  </tr>
                );
              }))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A button that opens the preview; once open it follows the rules as they are edited. */
export function PreviewToggle({ rules, open, setOpen }: { rules?: PolicyRules; open: boolean; setOpen: (open: boolean) => void }) {
  const { t } = useI18n();
  return (
    <>
      <div className="actions">
        <Button type="button" kind="secondary" aria-expanded={open} disabled={!rules} onClick={() => setOpen(!open)}>
          {open ? t('admin.preview.hide') : t('admin.preview.show')}
        </Button>
      </div>
      {open && rules && <PolicyPreview rules={rules} />}
    </>
  );
}
