import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensurePortalBuilt } from './support/browser';

/**
 * The portal's weight on a phone: each role's entry bundle is the app's entry chunk plus that role's pages
 * (loaded at once when the role's first page opens) with every chunk they import statically, gzipped at level 9.
 * The household and cashier entries must stay under 150 KB of gzipped JavaScript; charts load only on the
 * auditor's dashboard.
 */
const LIMIT = 150 * 1024;
const DIST = resolve(__dirname, '../dist/portal');

interface Chunk { file: string; imports?: string[]; dynamicImports?: string[]; isEntry?: boolean; css?: string[] }

function closure(manifest: Record<string, Chunk>, keys: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    for (const i of manifest[k]?.imports ?? []) visit(i);
  };
  keys.forEach(visit);
  return seen;
}

function roleBundles(): Record<string, { files: string[]; gzipBytes: number }> {
  const manifest: Record<string, Chunk> = JSON.parse(readFileSync(join(DIST, '.vite/manifest.json'), 'utf8'));
  const out: Record<string, { files: string[]; gzipBytes: number }> = {};
  for (const role of ['household', 'cashier', 'recycler', 'auditor', 'admin']) {
    const keys = closure(manifest, ['index.html', `src/pages/${role}/routes.tsx`]);
    const files = [...keys].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
    out[role] = { files, gzipBytes: files.reduce((sum, f) => sum + gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length, 0) };
  }
  return out;
}

describe('portal bundle sizes (e2e)', () => {
  beforeAll(() => ensurePortalBuilt(), 120_000);

  it('keeps the household and cashier entry bundles under 150 KB gzipped, without the charts', () => {
    const bundles = roleBundles();
    process.stdout.write(`[portal] entry bundles (gzip -9): ${Object.entries(bundles).map(([r, b]) => `${r} ${(b.gzipBytes / 1024).toFixed(1)} KB`).join(', ')}\n`);
    for (const role of ['household', 'cashier']) {
      expect({ role, under: bundles[role].gzipBytes < LIMIT }).toEqual({ role, under: true });
      const text = bundles[role].files.map((f) => readFileSync(join(DIST, f), 'utf8')).join('\n');
      // ECharts' own registration names: present only if the charts were bundled into this entry
      expect(text.includes('echarts')).toBe(false);
    }
  });
});
