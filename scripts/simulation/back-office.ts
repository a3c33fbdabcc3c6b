import { BankImportService, compactId, PayoutProcessor, PayoutRunsService, PayoutRunView } from '@huanxin/settlement';
import { ActorBase, Candidates, Op, take } from './actor-kit';
import { BankTxStatus, camt053, pain002 } from './bank-files';
import type { MPayout } from './ledger-model';
import type { Prng } from './prng';
import { call, CallResult } from './sim-state';

/**
 * How a killed transaction surfaces in the process that ran it: the server ended the connection, or (when the
 * kill lands between two transactions) the next transaction finds its freshly checked-out connection dead.
 */
const KILLED = /terminat|Connection|ECONNRESET|administrator command|QueryRunnerAlreadyReleased/i;

/**
 * The back office: payout runs through either gateway, the payout processor (and the worker killed in the
 * middle of it), Stripe misbehaving (faults, an account losing its transfers capability), and the bank answering
 * our payment files or sending a payment back.
 */
export class BackOffice extends ActorBase {
  // -------------------------------------------------------------------------------------------- settlement

  payoutRun(rng: Prng, n: number): Op {
    const node = rng.pick(this.w.apis);
    let r: CallResult<PayoutRunView>;
    return {
      n, kind: 'payoutRun', what: `payout run through ${node.config.settlement.gateway}`,
      exec: async () => {
        r = await call(() => node.get(PayoutRunsService).create(this.w.admin, this.w.programCode));
        this.s.dirty.settlement = true;
      },
      settle: () => {
        if (!r.ok) {
          this.unexpected(n, 'payout run', r);
          return r.code;
        }
        const run = r.value;
        if (run.gateway !== node.config.settlement.gateway) this.s.fail('outcome', `op ${n}: run ${run.id} went through ${run.gateway}`, n);
        for (const p of run.payouts) {
          if (p.amountFen !== p.grossFen - p.nettedFen || p.amountFen < 0) {
            this.s.fail('outcome', `op ${n}: payout ${p.id} of run ${run.id}: amount ${p.amountFen} ≠ gross ${p.grossFen} − netted ${p.nettedFen}`, n);
          }
        }
        this.m.runs.set(run.id, { n, id: run.id, gateway: run.gateway, payoutIds: run.payouts.map((p) => p.id) });
        return `${run.gateway} ${run.payouts.length} payouts, ${run.reversals.length} reversals`;
      },
    };
  }

  process(rng: Prng, n: number): Op {
    const node = this.node(rng);
    let r: CallResult<number>;
    return {
      n, kind: 'process', what: `payout processor batch on ${node.name}`,
      exec: async () => {
        r = await call(() => node.get(PayoutProcessor).processBatch());
        this.s.dirty.settlement = true;
      },
      settle: () => {
        if (!r.ok) this.unexpected(n, 'payout processor', r);
        return r.ok ? `handled ${r.value}` : r.code;
      },
    };
  }

  /**
   * The worker dies mid-transaction: its processor runs with a pause after each gateway call, and once its
   * transaction has been open a while (the gateway was called, nothing recorded yet) its connection is
   * terminated, as if the process had been killed. Nothing it did in that transaction may stay; the gateway's
   * side effect (a transfer, a file) must be recognised by the next attempt, under the same idempotency key.
   */
  kill(n: number): Op {
    const worker = this.w.worker;
    let r: CallResult<number>;
    let killed: number | null = null;
    return {
      n, kind: 'kill', what: 'worker killed while sending payouts',
      exec: async () => {
        this.s.dirty.settlement = true;
        let done = false;
        const work = call(() => worker.get(PayoutProcessor).processBatch()).finally(() => (done = true));
        const deadline = Date.now() + 5000;
        while (!done && killed === null && Date.now() < deadline) {
          const rows: { pid: number }[] = await this.w.stripe.db.query(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = $1 AND state = 'idle in transaction'
                AND now() - xact_start > interval '10 milliseconds'
              ORDER BY xact_start LIMIT 1`,
            [worker.applicationName],
          );
          if (rows.length) {
            await this.w.stripe.db.query(`SELECT pg_terminate_backend($1)`, [rows[0].pid]);
            killed = rows[0].pid;
          } else {
            await new Promise((res) => setTimeout(res, 3));
          }
        }
        r = await work;
      },
      settle: () => {
        if (killed === null) {
          if (!r.ok) this.unexpected(n, 'payout processor (not killed)', r);
          return 'nothing to kill';
        }
        // the processor's error is the kill itself; anything but a lost connection is a bug
        if (!r.ok && !KILLED.test(r.message)) this.unexpected(n, 'killed payout processor', r);
        return r.ok ? 'killed after commit' : 'killed mid-transaction';
      },
    };
  }

  stripeFault(rng: Prng, n: number): Op {
    // a dropped connection costs the SDK's own retry pause (~0.5 s), a timeout STRIPE_TIMEOUT_MS: rarer than 5xx
    const kind = rng.weighted({ http500: 3, 'http500-after-create': 3, timeout: 1, 'timeout-after-create': 1, drop: 0.4, 'drop-after-create': 0.4 })!;
    const times = rng.between(1, 3);
    const reversal = rng.chance(0.2);
    return {
      n, kind: 'stripeFault', what: `Stripe fails the next ${times} ${reversal ? 'reversal' : 'transfer'} calls with ${kind}`,
      exec: async () => {
        this.w.mock.failNext(times, kind, reversal ? { method: 'POST', path: /^\/v1\/transfers\/[^/]+\/reversals$/ } : { method: 'POST', path: '/v1/transfers' });
      },
      settle: () => 'armed',
    };
  }

  /** A retailer's connected account loses (or regains) the transfers capability: Stripe refuses transfers to it. */
  stripeAccount(rng: Prng, n: number): Op {
    const retailer = rng.pick(this.w.retailers);
    const inactive = this.w.retailers.filter((r) => !r.transfersActive).length;
    const to = retailer.transfersActive && inactive < Math.ceil(this.w.retailers.length / 3) ? 'inactive' : 'active';
    return {
      n, kind: 'stripeAccount', what: `retailer ${retailer.n}'s connected account: transfers ${to}`,
      exec: async () => {
        this.w.mock.addAccount(retailer.stripeAccount, { capabilities: { transfers: to } });
        retailer.transfersActive = to === 'active';
      },
      settle: () => to,
    };
  }

  bankAnswer(rng: Prng, c: Candidates, n: number): Op | undefined {
    const replay = rng.chance(0.08) && this.s.bankFiles.length > 0;
    let name: string;
    let content: string;
    let what: string;
    if (replay) {
      const f = rng.pick(this.s.bankFiles);
      name = f.name;
      content = f.content;
      what = `the bank sends ${name} again`;
    } else {
      const run = take(rng, c.sentBankRuns, (r) => `run${this.runN(r.runId)}`);
      if (!run) return undefined;
      const k = this.s.seq.bankFile++;
      const form = rng.weighted({ pain002: 14, camt053: 3, group: 1 })!;
      const ref = (p: MPayout) => p.reference ?? compactId(p.id);
      if (form === 'group') {
        const status = rng.chance(0.5) ? 'ACSC' : 'RJCT';
        name = `sim-${k}-pain002-group.xml`;
        content = pain002(`STS-${this.s.seed}-${k}`, compactId(run.runId), [], status);
        what = `the bank answers run #${this.runN(run.runId)} as a whole: ${status}`;
      } else if (form === 'camt053') {
        const booked = run.payouts.filter(() => rng.chance(0.8));
        name = `sim-${k}-camt053.xml`;
        content = camt053(`STMT-${this.s.seed}-${k}`, booked.map((p) => ({ endToEndId: ref(p), amountFen: p.amountFen })));
        what = `the bank's statement books ${booked.length}/${run.payouts.length} payouts of run #${this.runN(run.runId)}`;
      } else {
        const txs = run.payouts.flatMap((p): { endToEndId: string; status: BankTxStatus }[] => {
          const x = rng.next();
          return x < 0.75 ? [{ endToEndId: ref(p), status: 'ACSC' }] : x < 0.9 ? [{ endToEndId: ref(p), status: 'RJCT' }] : [];
        });
        name = `sim-${k}-pain002.xml`;
        content = pain002(`STS-${this.s.seed}-${k}`, compactId(run.runId), txs);
        what = `the bank reports on run #${this.runN(run.runId)}: ${txs.filter((t) => t.status === 'ACSC').length} paid, ${txs.filter((t) => t.status === 'RJCT').length} rejected, ${run.payouts.length - txs.length} silent`;
      }
      this.s.bankFiles.push({ name, content });
    }
    const node = this.node(rng);
    let r: CallResult<{ duplicate: boolean; paid: number; failed: number }>;
    return {
      n, kind: 'bankAnswer', what: `${what} (imported via ${node.name})`,
      exec: async () => {
        r = await call(() => node.get(BankImportService).importFile(this.w.admin, name, Buffer.from(content)));
        this.s.dirty.settlement = true;
      },
      settle: () => {
        if (!r.ok) {
          this.unexpected(n, 'bank import', r, true);
          return r.code;
        }
        if (replay && !r.value.duplicate) this.s.fail('outcome', `op ${n}: importing ${name} a second time was not recognised as a duplicate`, n);
        return r.value.duplicate ? 'duplicate' : `paid ${r.value.paid}, failed ${r.value.failed}`;
      },
    };
  }

  /** The bank sends a paid payout back (account closed): the payout fails after all, its claims are owed again. */
  bankReturn(rng: Prng, c: Candidates, n: number): Op | undefined {
    const p = take(rng, c.paidBank, (x) => `run${this.runN(x.runId)}/${this.w.retailers.find((r) => r.id === x.retailerId)?.n}`);
    if (!p) return undefined;
    for (const run of c.sentBankRuns) if (run.runId === p.runId) c.sentBankRuns.splice(c.sentBankRuns.indexOf(run), 1);
    const k = this.s.seq.bankFile++;
    const name = `sim-${k}-camt053-return.xml`;
    const content = camt053(`STMT-${this.s.seed}-${k}`, [{ endToEndId: p.reference ?? compactId(p.id), amountFen: p.amountFen, returned: true }]);
    const node = this.node(rng);
    let r: CallResult<{ failed: number }>;
    return {
      n, kind: 'bankReturn', what: `the bank returns the payout of run #${this.runN(p.runId)} to retailer ${this.w.retailers.find((x) => x.id === p.retailerId)?.n} (${p.amountFen} fen)`,
      exec: async () => {
        r = await call(() => node.get(BankImportService).importFile(this.w.admin, name, Buffer.from(content)));
        this.s.dirty.settlement = true;
      },
      settle: () => {
        if (!r.ok) this.unexpected(n, 'bank import (return)', r, true);
        return r.ok ? `returned ${r.value.failed}` : r.code;
      },
    };
  }
}
