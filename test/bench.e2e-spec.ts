import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureApiBuilt } from './support/api-process';

// jest takes testTimeout from the top-level config only, not from the e2e project's settings
jest.setTimeout(300_000); // a tiny run takes well under a minute; a loaded two-core machine can take several

const ROOT = resolve(__dirname, '..');

/**
 * `npm run bench` in its tiny mode (BENCH_SIZE=tiny: 200 households for a quota of 50, 20 trade-ins a run, 500
 * payout claims, 1,000 exported claims, 2,000 audit events), as CI can afford it: every workload runs and reports
 * a number, the results are written, and the rush — against one API process and against two — issues exactly its
 * quota with no 5xx. Nothing here is timed: targets are the full run's business (BENCHMARKS.md).
 */
describe('npm run bench, tiny (e2e)', () => {
  const results = mkdtempSync(join(tmpdir(), 'huanxin-bench-results-'));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('runs every workload, writes latest.md and latest.json, and the rush issues exactly its quota', async () => {
    ensureApiBuilt();
    let output = '';
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/bench/run.js'), '--tiny', '--results', results], {
        cwd: ROOT,
        // the tiny sizes whatever this shell's BENCH_* say
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_'))), BENCH_SIZE: 'tiny' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => void (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => void (output += c.toString()));
      child.on('error', fail);
      child.on('exit', (status) => done(status));
    });
    if (code !== 0) process.stderr.write(`npm run bench --tiny exited ${code}:\n${output.slice(-6000)}\n`);
    expect(code).toBe(0);

    expect(existsSync(join(results, 'latest.md'))).toBe(true);
    const run = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8'));
    expect(run.failures).toEqual([]);
    const rows: { id: string; values: Record<string, unknown>; error?: string }[] = run.rows;
    expect(rows.map((r) => r.id)).toEqual(['1', '2a', '2b', '3a', '3b', '4a', '4b', '5a', '5b', '6a', '6b', '6c']);
    for (const r of rows) {
      expect({ id: r.id, error: r.error }).toEqual({ id: r.id, error: undefined });
      expect({ id: r.id, value: Number.isFinite(r.values.value) }).toEqual({ id: r.id, value: true });
    }
    // every household answered: 50 vouchers, the rest refused for the quota — no 5xx, nothing else (any other
    // answer shows here with its problem code)
    for (const [id, key] of [['2a', 'rushA'], ['2b', 'rushB']]) {
      const rush = rows.find((r) => r.id === id)!.values;
      expect({ id, issued: rush.issued, exact: rush.exact, '5xx': rush['5xx'], answers: run.details[key].tally })
        .toEqual({ id, issued: 50, exact: true, '5xx': 0, answers: { '201': 50, '409 quota_exhausted': 150 } });
    }
    expect(readFileSync(join(results, 'latest.md'), 'utf8')).toContain('| 2b | voucher rush, 2 API processes');
  });
});
