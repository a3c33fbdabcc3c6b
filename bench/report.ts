import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of the results table: a measurement beside its baseline and target. */
export interface Row {
  /** `1`, `2a`, …: the workload's number in the issue */
  id: string;
  workload: string;
  measured: string;
  baseline: string;
  /** measured ÷ baseline, as the target reads it (null: no ratio is meaningful) */
  ratio: number | null;
  target: string;
  /** null: not judged (the workload failed) */
  met: boolean | null;
  /** the numbers behind `measured`, for latest.json */
  values: Record<string, number | string | boolean | null>;
  /** why the workload could not report (it ran into an error, or the rush was not exact) */
  error?: string;
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n);

export const ms = (n: number) => (n >= 1000 ? `${fmt(n / 1000, 2)} s` : `${fmt(n, n < 10 ? 1 : 0)} ms`);

const HEAD = ['#', 'workload', 'measured', 'baseline (same run)', 'ratio', 'target', 'met?'];

function cells(r: Row): string[] {
  return [r.id, r.workload, r.error ? `FAILED: ${r.error}` : r.measured, r.baseline, r.ratio === null ? '—' : fmt(r.ratio, 2), r.target,
    r.met === null ? '—' : r.met ? 'yes' : 'no'];
}

/** The table for a terminal: padded columns, long cells wrapped to the width of their column. */
export function textTable(rows: Row[]): string {
  const max = [3, 44, 60, 34, 6, 28, 4];
  const width = HEAD.map((h, c) => Math.min(max[c], Math.max(h.length, ...rows.map((r) => cells(r)[c].length))));
  const wrap = (s: string, w: number) => {
    const out: string[] = [];
    let line = '';
    for (const word of s.split(' ')) {
      if (line && line.length + 1 + word.length > w) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
    return out;
  };
  const render = (cs: string[]) => {
    const wrapped = cs.map((c, k) => wrap(c, width[k]));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: height }, (_, l) => wrapped.map((w, k) => (w[l] ?? '').padEnd(width[k])).join('  ').trimEnd()).join('\n');
  };
  return [render(HEAD), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => render(cells(r)))].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
  baselines: Record<string, unknown>;
  rows: Row[];
  /** per workload: the details (answers by status and problem code, set-up times, the sub-benchmarks' own tables) */
  details: Record<string, unknown>;
  failures: string[];
}

/** Writes `latest.json` (everything) and `latest.md` (the table, the machine, the options, the details). */
export function writeResults(dir: string, run: RunRecord): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const md = join(dir, 'latest.md');
  writeFileSync(json, `${JSON.stringify(run, null, 2)}\n`);
  const lines = [
    `# npm run bench — ${run.startedAt}`,
    '',
    markdownTable(run.rows),
    '',
    run.failures.length ? `**Failed:** ${run.failures.join('; ')}\n` : '',
    `Wall time ${fmt(run.wallSeconds)} s. Machine: ${Object.entries(run.machine).map(([k, v]) => `${k} ${v}`).join(' · ')}.`,
    '',
    `Options: ${Object.entries(run.options).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ')}`,
    '',
    '## Details',
    '',
    '```json',
    JSON.stringify({ baselines: run.baselines, ...run.details }, null, 2),
    '```',
    '',
  ];
  writeFileSync(md, lines.join('\n'));
  return { md, json };
}
