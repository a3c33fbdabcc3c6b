import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useI18n, type MessageKey } from '../../i18n';
import { Button, Field, Loading, Notice, Page, ProblemAlert, Select, useLoad } from '../../ui/components';
import { Chart, type ChartOption } from './Chart';
import { CsvExport, TableWrap, usePrograms } from './shared';

type Summary = components['schemas']['SummaryReportDto'];
type Ledger = components['schemas']['LedgerReportDto'];
type Dismantling = components['schemas']['DismantlingReportDto'];

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const toYuan = (fen: number) => Math.round(fen) / 100;
const pct = (bp: number) => `${(bp / 100).toFixed(2)}%`;

/**
 * The programme at a glance: subsidy by city and by day, each city's budget used and left, the 4K/8K split, the
 * share of energy-grade-1 models and why claims were rejected. Each chart has a name and its numbers in a table.
 * This module is loaded only when the dashboard is opened (React.lazy in routes.tsx): echarts comes with it.
 */
export default function Dashboard() {
  const { t } = useI18n();
  const programs = usePrograms();
  const [params, setParams] = useSearchParams();
  const chosen = params.get('programCode') ?? programs.data?.[0]?.code ?? '';
  const from = DATE_RE.test(params.get('from') ?? '') ? params.get('from')! : undefined;
  const to = DATE_RE.test(params.get('to') ?? '') ? params.get('to')! : undefined;
  const [draft, setDraft] = useState({ programCode: chosen, from: from ?? '', to: to ?? '' });
  useEffect(() => setDraft({ programCode: chosen, from: from ?? '', to: to ?? '' }), [chosen, from, to]);

  const data = useLoad(async () => {
    if (!chosen) return undefined;
    const period = { programCode: chosen, from, to };
    const [byCity, byDay, ledger, dismantling] = await Promise.all([
      call(() => api.GET('/v1/auditor/reports/summary', { params: { query: { ...period, groupBy: 'city' } } })),
      call(() => api.GET('/v1/auditor/reports/summary', { params: { query: { ...period, groupBy: 'day' } } })),
      call(() => api.GET('/v1/auditor/ledger', { params: { query: { programCode: chosen } } })),
      call(() => api.GET('/v1/auditor/reports/dismantling', { params: { query: period } })),
    ]);
    return { byCity, byDay, ledger, dismantling };
  }, [chosen, from, to]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (draft.programCode) next.set('programCode', draft.programCode);
    if (draft.from) next.set('from', draft.from);
    if (draft.to) next.set('to', draft.to);
    setParams(next);
  };
  const badRange = draft.from && draft.to && draft.from > draft.to;
  const programOptions = (programs.data ?? []).map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }));
  if (chosen && !programOptions.some((o) => o.value === chosen)) programOptions.push({ value: chosen, label: chosen });

  return (
    <Page title={t('auditor.dash.title')} wide>
      <ProblemAlert error={programs.error} />
      {programs.data && programOptions.length === 0 && <Notice>{t('auditor.dash.noProgram')}</Notice>}
      {programOptions.length > 0 && (
        <form className="card" onSubmit={submit} aria-labelledby="dash-filters-h">
          <h2 id="dash-filters-h" className="h3">{t('auditor.filters')}</h2>
          <div className="form-grid">
            <Select label={t('auditor.field.program')} value={draft.programCode} options={programOptions}
              onChange={(e) => setDraft((d) => ({ ...d, programCode: e.target.value }))} />
            <Field label={t('auditor.field.from')} type="date" value={draft.from} onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))} />
            <Field label={t('auditor.field.to')} type="date" value={draft.to} error={badRange ? t('auditor.badRange') : undefined}
              onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))} />
          </div>
          <div className="actions">
            <Button type="submit" disabled={!!badRange}>{t('auditor.apply')}</Button>
          </div>
        </form>
      )}
      {(programs.loading || data.loading) && <Loading />}
      <ProblemAlert error={data.error} />
      {data.data && (
        <>
          <Totals summary={data.data.byCity} ledger={data.data.ledger} />
          <div className="auditor-bar auditor-bar-end">
            <CsvExport filters={{ programCode: chosen, from, to }} />
          </div>
          <Charts byCity={data.data.byCity} byDay={data.data.byDay} ledger={data.data.ledger} dismantling={data.data.dismantling} />
        </>
      )}
    </Page>
  );
}

function Totals({ summary, ledger }: { summary: Summary; ledger: Ledger }) {
  const { t, yuan } = useI18n();
  const s = summary.totals;
  const granted = ledger.cities.reduce((n, c) => n + c.grantedFen, 0);
  const available = ledger.cities.reduce((n, c) => n + c.availableFen, 0);
  return (
    <section className="auditor-totals" aria-labelledby="totals-h">
      <h2 id="totals-h" className="h3">{t('auditor.dash.totals')}</h2>
      <dl className="auditor-kpis">
        <div><dt>{t('auditor.dash.claims')}</dt><dd>{s.claims}</dd></div>
        <div><dt>{t('auditor.dash.subsidy')}</dt><dd>{yuan(s.subsidyFen)}</dd></div>
        <div><dt>{t('auditor.dash.paid')}</dt><dd>{yuan(s.paidFen)}</dd></div>
        <div><dt>{t('auditor.dash.budgetLeft')}</dt><dd>{yuan(available)} / {yuan(granted)}</dd></div>
        <div><dt>{t('auditor.dash.grade1Share')}</dt><dd>{pct(s.grade1ShareBp)}</dd></div>
        <div><dt>{t('auditor.dash.rejected')}</dt><dd>{s.rejectedClaims}</dd></div>
        <div><dt>{t('auditor.dash.ledger')}</dt><dd>{ledger.balanced ? t('auditor.dash.balanced') : t('auditor.dash.unbalanced')}</dd></div>
      </dl>
    </section>
  );
}

/** A chart with its heading, its accessible name, and the same numbers as a table for screen readers and print. */
function Figure({ id, title, summary, option, empty, table }: {
  id: string; title: string; summary: string; option: ChartOption; empty: boolean; table: { head: string[]; rows: (string | number)[][] };
}) {
  const { t } = useI18n();
  return (
    <section className="card auditor-figure" aria-labelledby={`${id}-h`} data-testid={`figure-${id}`}>
      <h2 id={`${id}-h`}>{title}</h2>
      <p className="muted" id={`${id}-summary`}>{summary}</p>
      {empty ? <Notice>{t('app.none')}</Notice> : <Chart id={`${id}-chart`} option={option} label={t('auditor.chart.label', { title, summary })} />}
      <details className="auditor-data">
        <summary>{t('auditor.dash.dataTable', { title })}</summary>
        <TableWrap label={title}>
          <table className="table">
            <caption className="auditor-sr-only">{title}</caption>
            <thead><tr>{table.head.map((h, i) => <th key={h} scope="col" className={i > 0 ? 'num' : undefined}>{h}</th>)}</tr></thead>
            <tbody>
              {table.rows.map((r) => (
                <tr key={String(r[0])}>{r.map((c, i) => i === 0 ? <th key={i} scope="row">{c}</th> : <td key={i} className="num">{c}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </section>
  );
}

function Charts({ byCity, byDay, ledger, dismantling }: { byCity: Summary; byDay: Summary; ledger: Ledger; dismantling: Dismantling }) {
  const { t, yuan, lang } = useI18n();
  const city = (c: string) => t(`city.${c}` as MessageKey);
  const money = (v: unknown) => (typeof v === 'number' ? yuan(Math.round(v * 100)) : String(v));
  const axisYuan = { type: 'value' as const, axisLabel: { formatter: (v: number) => (v >= 10000 ? `${v / 10000}${lang === 'zh' ? '万' : '0k'}` : String(v)) } };

  const figures = useMemo(() => {
    const out: { id: string; title: string; summary: string; option: ChartOption; empty: boolean; table: { head: string[]; rows: (string | number)[][] } }[] = [];
    const totals = byCity.totals;

    // subsidy by city
    const cities = byCity.rows;
    out.push({
      id: 'by-city', title: t('auditor.chart.byCity'),
      summary: t('auditor.chart.byCitySummary', { n: cities.length, total: yuan(totals.subsidyFen), paid: yuan(totals.paidFen) }),
      empty: cities.length === 0,
      option: {
        legend: { top: 0 }, grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: money },
        xAxis: { type: 'category', data: cities.map((r) => city(r.key)) }, yAxis: axisYuan,
        series: [
          { type: 'bar', name: t('auditor.dash.subsidy'), barMaxWidth: 40, data: cities.map((r) => toYuan(r.subsidyFen)) },
          { type: 'bar', name: t('auditor.dash.paid'), barMaxWidth: 40, data: cities.map((r) => toYuan(r.paidFen)) },
        ],
      },
      table: {
        head: [t('auditor.col.city'), t('auditor.dash.claims'), t('auditor.dash.subsidy'), t('auditor.dash.paid')],
        rows: cities.map((r) => [city(r.key), r.claims, yuan(r.subsidyFen), yuan(r.paidFen)]),
      },
    });

    // subsidy by day
    const days = byDay.rows;
    out.push({
      id: 'by-day', title: t('auditor.chart.byDay'),
      summary: t('auditor.chart.byDaySummary', { n: days.length, first: days[0]?.key ?? '—', last: days[days.length - 1]?.key ?? '—' }),
      empty: days.length === 0,
      option: {
        grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: money },
        xAxis: { type: 'category', data: days.map((r) => r.key) }, yAxis: axisYuan,
        series: [{ type: 'line', name: t('auditor.dash.subsidy'), data: days.map((r) => toYuan(r.subsidyFen)), symbolSize: 8 }],
      },
      table: {
        head: [t('auditor.dash.day'), t('auditor.dash.claims'), t('auditor.dash.subsidy'), t('auditor.dash.paid')],
        rows: days.map((r) => [r.key, r.claims, yuan(r.subsidyFen), yuan(r.paidFen)]),
      },
    });

    // budget used and left
    const budgets = ledger.cities;
    const used = (c: (typeof budgets)[number]) => c.grantedFen - c.availableFen;
    out.push({
      id: 'budget', title: t('auditor.chart.budget'),
      summary: t('auditor.chart.budgetSummary', {
        used: yuan(budgets.reduce((n, c) => n + used(c), 0)), left: yuan(budgets.reduce((n, c) => n + c.availableFen, 0)),
      }),
      empty: budgets.length === 0,
      option: {
        legend: { top: 0 }, grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: money },
        xAxis: { type: 'category', data: budgets.map((c) => city(c.city)) }, yAxis: axisYuan,
        series: [
          { type: 'bar', stack: 'budget', barMaxWidth: 56, name: t('auditor.dash.used'), data: budgets.map((c) => toYuan(used(c))) },
          { type: 'bar', stack: 'budget', barMaxWidth: 56, name: t('auditor.dash.left'), data: budgets.map((c) => toYuan(c.availableFen)) },
        ],
      },
      table: {
        head: [t('auditor.col.city'), t('auditor.dash.granted'), t('auditor.dash.used'), t('auditor.dash.left'),
          t('auditor.account.reserved'), t('auditor.account.payable'), t('auditor.account.paid'), t('auditor.account.receivable')],
        rows: budgets.map((c) => [city(c.city), yuan(c.grantedFen), yuan(used(c)), yuan(c.availableFen), yuan(c.reservedFen), yuan(c.payableFen),
          yuan(c.paidFen), yuan(c.receivableFen)]),
      },
    });

    // 4K / 8K
    out.push({
      id: 'resolution', title: t('auditor.chart.resolution'),
      summary: t('auditor.chart.resolutionSummary', { k4: totals.claims4k, k8: totals.claims8k }),
      empty: totals.claims4k + totals.claims8k === 0,
      option: {
        legend: { top: 0 },
        tooltip: { trigger: 'item' },
        series: [{
          type: 'pie', name: t('auditor.dash.claims'), radius: ['35%', '65%'], top: 24,
          label: { formatter: '{b}: {c} ({d}%)' },
          data: [{ name: '4K', value: totals.claims4k }, { name: '8K', value: totals.claims8k }],
        }],
      },
      table: {
        head: [t('auditor.claim.resolution'), t('auditor.dash.claims'), t('auditor.dash.subsidy')],
        rows: [['4K', totals.claims4k, yuan(totals.subsidy4kFen)], ['8K', totals.claims8k, yuan(totals.subsidy8kFen)]],
      },
    });

    // grade-1 share by city
    out.push({
      id: 'grade1', title: t('auditor.chart.grade1'),
      summary: t('auditor.chart.grade1Summary', { share: pct(totals.grade1ShareBp), n: totals.grade1Claims, total: totals.claims }),
      empty: cities.length === 0,
      option: {
        grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: (v) => `${String(v)}%` },
        xAxis: { type: 'category', data: cities.map((r) => city(r.key)) },
        yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
        series: [{ type: 'bar', barMaxWidth: 56, name: t('auditor.dash.grade1Share'), data: cities.map((r) => r.grade1ShareBp / 100) }],
      },
      table: {
        head: [t('auditor.col.city'), t('auditor.dash.grade1Claims'), t('auditor.dash.claims'), t('auditor.dash.grade1Share')],
        rows: cities.map((r) => [city(r.key), r.grade1Claims, r.claims, pct(r.grade1ShareBp)]),
      },
    });

    // rejection reasons
    const reasons = totals.rejections;
    out.push({
      id: 'rejections', title: t('auditor.chart.rejections'),
      summary: t('auditor.chart.rejectionsSummary', { n: totals.rejectedClaims, reasons: reasons.length }),
      empty: reasons.length === 0,
      option: {
        grid: { left: 8, right: 24, bottom: 8, top: 8, containLabel: true },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', inverse: true, data: reasons.map((r) => (r.reason.length > 18 ? `${r.reason.slice(0, 17)}…` : r.reason)) },
        series: [{ type: 'bar', barMaxWidth: 32, name: t('auditor.dash.rejected'), data: reasons.map((r) => r.count) }],
      },
      table: {
        head: [t('auditor.decision.reason'), t('auditor.dash.rejected')],
        rows: reasons.map((r) => [r.reason, r.count]),
      },
    });

    // dismantling confirmed, per recycler (issue 13): worst confirmation rate first
    const recyclers = dismantling.rows;
    const hours = (h: number | null) => (h === null ? '—' : t('auditor.dismantling.hours', { n: h }));
    out.push({
      id: 'dismantling', title: t('auditor.chart.dismantling'),
      summary: t('auditor.chart.dismantlingSummary', {
        n: recyclers.length, held: recyclers.reduce((n, r) => n + r.held, 0),
        worst: recyclers[0] ? `${recyclers[0].name} ${pct(recyclers[0].confirmationRateBp)}` : '—',
      }),
      empty: recyclers.length === 0,
      option: {
        grid: { left: 8, right: 24, bottom: 8, top: 8, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: (v) => `${String(v)}%` },
        xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
        yAxis: { type: 'category', inverse: true, data: recyclers.map((r) => (r.name.length > 18 ? `${r.name.slice(0, 17)}…` : r.name)) },
        series: [{ type: 'bar', barMaxWidth: 32, name: t('auditor.dismantling.rate'), data: recyclers.map((r) => r.confirmationRateBp / 100) }],
      },
      table: {
        head: [t('auditor.dismantling.recycler'), t('auditor.dash.claims'), t('auditor.dismantling.confirmed'), t('auditor.dismantling.rate'),
          t('auditor.dismantling.median'), t('auditor.dismantling.held')],
        rows: recyclers.map((r) => [r.name, r.claims, r.confirmed, pct(r.confirmationRateBp), hours(r.medianDelayHours), r.held]),
      },
    });
    return out;
    // the words change with the language: recompute then
  }, [byCity, byDay, ledger, dismantling, lang]);

  return (
    <div className="auditor-figures">
      {figures.map((f) => <Figure key={f.id} {...f} />)}
    </div>
  );
}
