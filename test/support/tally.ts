import type { Response } from 'supertest';

/** `{ '201': 50, '409 quota_exhausted': 150 }`: what the answers were, so a failure shows the whole picture. */
export function tally(responses: Response[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of responses) {
    const key = r.status < 300 ? String(r.status) : `${r.status} ${r.body?.code ?? r.text}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
