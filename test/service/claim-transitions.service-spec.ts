import { Client } from 'pg';
import { CLAIM_STATUSES, CLAIM_TRANSITIONS, canTransition } from '@huanxin/claims';
import { startTestApp, TestApp } from '../support/app';
import { Scenario } from '../support/scenario';

/**
 * Service level, no HTTP: the claim state machine declared in libs/claims and the one PostgreSQL enforces are the
 * same table. Every ordered pair of states is tried directly against the database: allowed moves succeed, every
 * other is refused by the `claims_status_transition` trigger — whichever library's SQL would have tried it.
 */
describe('claim state machine: the declared table and the database agree (service)', () => {
  let t: TestApp;
  let claimId: string;
  let c: Client;

  beforeAll(async () => {
    t = await startTestApp();
    const s = await Scenario.create(t, { cities: ['hangzhou'] });
    const h = await s.household();
    const { code } = await s.voucher(h);
    claimId = (await s.tradeIn(await s.tradeInBody(h, code)).expect(201)).body.claimId;
    c = new Client({ connectionString: t.database.url });
    await c.connect();
  }, 120_000);
  afterAll(async () => {
    await c?.end();
    await t?.close();
  });

  /** Puts the claim in `status` behind the trigger's back (replica role: triggers do not fire), as setup only. */
  async function place(status: string): Promise<void> {
    await c.query('BEGIN');
    await c.query(`SET LOCAL session_replication_role = replica`);
    await c.query(`UPDATE claims SET status = $2 WHERE id = $1`, [claimId, status]);
    await c.query('COMMIT');
  }

  it('declares every state, and only edges between known states', () => {
    expect([...CLAIM_STATUSES].sort()).toEqual(['approved', 'cancelled', 'clawed_back', 'in_payout', 'paid', 'payout_failed', 'pending_review', 'rejected']);
    for (const [from, tos] of Object.entries(CLAIM_TRANSITIONS)) for (const to of tos) expect([from, CLAIM_STATUSES.includes(to)]).toEqual([from, true]);
    for (const final of ['rejected', 'cancelled', 'clawed_back'] as const) expect(CLAIM_TRANSITIONS[final]).toEqual([]);
  });

  it('allows exactly the declared moves, and refuses every other with claims_status_transition', async () => {
    const outcomes: string[] = [];
    for (const from of CLAIM_STATUSES) {
      for (const to of CLAIM_STATUSES) {
        if (from === to) continue;
        await place(from);
        let got: string;
        try {
          await c.query(`UPDATE claims SET status = $2 WHERE id = $1`, [claimId, to]);
          got = 'allowed';
        } catch (err) {
          const e = err as { code?: string; constraint?: string };
          got = e.code === '23514' && e.constraint === 'claims_status_transition' ? 'refused' : `error ${e.code}`;
        }
        outcomes.push(`${from} → ${to}: ${got}`);
      }
    }
    const expected = CLAIM_STATUSES.flatMap((from) => CLAIM_STATUSES.filter((to) => to !== from)
      .map((to) => `${from} → ${to}: ${canTransition(from, to) ? 'allowed' : 'refused'}`));
    expect(outcomes).toEqual(expected);
    // 13 edges out of 56 ordered pairs
    expect(outcomes.filter((o) => o.endsWith('allowed'))).toHaveLength(13);
  });

  it('an update that leaves the status alone is not a transition', async () => {
    await place('clawed_back');
    await c.query(`UPDATE claims SET status = 'clawed_back', cancel_reason = 'noted again' WHERE id = $1`, [claimId]);
    await c.query(`UPDATE claims SET flags = flags WHERE id = $1`, [claimId]);
    expect((await c.query(`SELECT status, cancel_reason FROM claims WHERE id = $1`, [claimId])).rows).toEqual([{ status: 'clawed_back', cancel_reason: 'noted again' }]);
  });
});
