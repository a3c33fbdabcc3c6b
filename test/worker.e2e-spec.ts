import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '@huanxin/config';
import { LedgerService } from '@huanxin/ledger';
import { JobRunner } from '../apps/worker/src/job-runner';
import { WorkerJobs } from '../apps/worker/src/jobs';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { startTestApp, TestApp, testEnv } from './support/app';
import { Scenario } from './support/scenario';

describe('worker (e2e)', () => {
  let t: TestApp;
  const workers: INestApplicationContext[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await t.close();
  });

  async function startWorker(): Promise<INestApplicationContext> {
    const config = loadConfig(testEnv({ VOUCHER_EXPIRY_INTERVAL_MS: '100', VOUCHER_EXPIRY_BATCH: '3' }));
    const w = await NestFactory.createApplicationContext(WorkerModule.register(config, t.database.url), { logger: false });
    w.get(JobRunner).start(w.get(WorkerJobs).list());
    workers.push(w);
    return w;
  }

  it('two workers running at once expire every due voucher exactly once and return the reservations', async () => {
    const s = await Scenario.create(t, { voucherValidityDays: 1 });
    const programId = (await t.db.query(`SELECT id FROM programs WHERE code = $1`, [s.programCode]))[0].id;
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push((await s.voucher(await s.household(i % 2 ? 'ningbo' : 'hangzhou'))).code);
    await t.db.query(`UPDATE vouchers SET issued_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE code = ANY($1)`, [codes]);
    await Promise.all([startWorker(), startWorker()]);
    const deadline = Date.now() + 15000;
    let open = codes.length;
    while (open > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      open = (await t.db.query(`SELECT count(*)::int AS n FROM vouchers WHERE code = ANY($1) AND status = 'open'`, [codes]))[0].n;
    }
    expect(open).toBe(0);
    const events = await t.db.query(`SELECT subject_id FROM audit_events WHERE action = 'voucher.expired' AND subject_id = ANY($1)`, [codes]);
    expect(events).toHaveLength(codes.length);
    const balances = await t.app.get(LedgerService).balances(programId);
    expect(balances.map((b) => b.reservedFen)).toEqual(balances.map(() => 0));
    expect((await t.app.get(LedgerService).checkInvariants(programId)).balanced).toBe(true);
  });
});
