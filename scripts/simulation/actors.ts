import { ActorBase, Candidates, KnownBug, Op, OpKind } from './actor-kit';
import { BackOffice } from './back-office';
import { FrontOffice } from './front-office';
import { Prng } from './prng';
import type { SimState } from './sim-state';
import { SIM_RULES } from './world';

export * from './actor-kit';
export { expectedSubsidy, priceFlagged } from './front-office';

/**
 * The actors: households taking vouchers, tills submitting trade-ins (valid, invalid and racing), auditors
 * deciding and clawing back, retailers cancelling, the programme office granting budget and starting payout
 * runs through either gateway, the worker (expiring vouchers, sending payouts, being killed mid-transaction),
 * Stripe misbehaving, and the bank answering our payment files. This class plans the batches; the front and
 * back offices make the ops.
 */
export class Actors extends ActorBase {
  private readonly front: FrontOffice;
  private readonly back: BackOffice;

  constructor(s: SimState, guards: readonly KnownBug[] = []) {
    super(s, guards);
    this.front = new FrontOffice(s, guards);
    this.back = new BackOffice(s, guards);
  }

  private candidates(): Candidates {
    const now = this.w.now;
    const c: Candidates = {
      freeHouseholds: [], tradeable: [], expiredOpen: [], pending: [], cancellable: [], paid: [], live: [], sentBankRuns: [], paidBank: [],
      approved: 0, pendingWork: 0,
    };
    for (const h of this.m.households) {
      if ((h.open === null || h.open.expiresAt <= now) && this.m.liveClaims(h) === 0) c.freeHouseholds.push(h);
    }
    for (const v of this.m.vouchers.values()) {
      if (v.status !== 'open') continue;
      if (v.expiresAt <= now) c.expiredOpen.push(v);
      else if (!v.household.idle) c.tradeable.push(v);
    }
    for (const cl of this.m.claims.values()) {
      if (cl.status === 'pending_review') c.pending.push(cl);
      if (cl.status === 'paid') c.paid.push(cl);
      if (cl.status === 'approved') c.approved++;
      if (['pending_review', 'approved', 'paid', 'in_payout'].includes(cl.status)) c.cancellable.push(cl);
      if (cl.status !== 'rejected' && cl.status !== 'cancelled') c.live.push(cl);
    }
    for (const run of this.m.runs.values()) {
      const payouts = run.payoutIds.map((id) => this.m.payouts.get(id)!).filter(Boolean);
      const sent = payouts.filter((p) => p.gateway === 'bank-file' && p.status === 'sent');
      if (sent.length) c.sentBankRuns.push({ runId: run.id, payouts: sent });
      for (const p of payouts) {
        // a fully netted payout (0 fen) is settled without the bank: it is in no file, the bank cannot return it
        if (p.gateway === 'bank-file' && p.status === 'paid' && p.amountFen > 0 && p.reference) c.paidBank.push(p);
        if (p.status === 'pending') c.pendingWork++;
      }
    }
    for (const v of this.m.reversals.values()) if (v.status === 'pending') c.pendingWork++;
    return c;
  }

  /**
   * A batch of ops to issue together; `time` (moving the clock) always goes alone. `rng` decides the batch's
   * shape; each slot draws from its own stream, so a slot whose choice differs in a replay (the state differs
   * after a race) does not shift the draws of the slots after it.
   */
  plan(rng: Prng, size: number, firstOp: number): Op[] {
    const n = firstOp;
    const slotSeed = rng.u32();
    if (rng.chance(0.04)) return [this.front.time(rng, n)];
    const c = this.candidates();
    const lowBudget = this.w.cities.some((city) => this.available(city) < 6 * SIM_RULES.capFen);
    const ops: Op[] = [];
    let kills = 0;
    let runs = 0;
    // slot i is op n + i, drawn from its own stream: a slot that comes out differently in a replay moves nothing else
    for (let i = 0; i < size; i++) {
      const slot = new Prng(slotSeed, i + 1);
      let op: Op | undefined;
      for (let attempt = 0; !op && attempt < 6; attempt++) {
        const kind = slot.weighted<OpKind>({
          grant: lowBudget ? 5 : 0.6,
          voucher: 20,
          tradeIn: c.tradeable.length ? 24 : 0,
          tradeInInvalid: c.tradeable.length ? 2.5 : 0,
          tradeInRace: c.tradeable.length ? 1 : 0,
          approve: c.pending.length ? 7 : 0,
          reject: c.pending.length ? 3 : 0,
          decideRace: c.pending.length ? 0.8 : 0,
          cancel: c.cancellable.length ? 3.5 : 0,
          clawback: c.paid.length ? 2 : 0,
          expire: 1.2,
          // worker jobs are the slowest ops (a batch waits for its slowest): as often as a busy programme runs them
          payoutRun: runs < 1 ? (c.approved ? 1 : 0.1) : 0,
          process: c.pendingWork ? 2.5 : 0.2,
          kill: c.pendingWork && kills === 0 ? 0.4 : 0,
          stripeFault: 0.8,
          stripeAccount: 0.3,
          bankAnswer: c.sentBankRuns.length ? 2 : 0,
          bankReturn: c.paidBank.length ? 0.4 : 0,
        })!;
        op = this.make(kind, slot, c, n + i);
      }
      // nothing else fits this slot: the expiry job always can
      op ??= this.front.expire(slot, n + i);
      if (op.kind === 'kill') kills++;
      if (op.kind === 'payoutRun') runs++;
      ops.push(op);
    }
    return ops;
  }

  private make(kind: OpKind, rng: Prng, c: Candidates, n: number): Op | undefined {
    switch (kind) {
      case 'time': return this.front.time(rng, n);
      case 'grant': return this.front.grant(rng, n);
      case 'voucher': return this.front.voucher(rng, c, n);
      case 'tradeIn': return this.front.tradeIn(rng, c, n);
      case 'tradeInInvalid': return this.front.tradeInInvalid(rng, c, n);
      case 'tradeInRace': return this.front.tradeInRace(rng, c, n);
      case 'approve': return this.front.decide(rng, c, n, 'approve');
      case 'reject': return this.front.decide(rng, c, n, 'reject');
      case 'decideRace': return this.front.decideRace(rng, c, n);
      case 'cancel': return this.front.cancel(rng, c, n);
      case 'clawback': return this.front.clawback(rng, c, n);
      case 'expire': return this.front.expire(rng, n);
      case 'payoutRun': return this.back.payoutRun(rng, n);
      case 'process': return this.back.process(rng, n);
      case 'kill': return this.back.kill(n);
      case 'stripeFault': return this.back.stripeFault(rng, n);
      case 'stripeAccount': return this.back.stripeAccount(rng, n);
      case 'bankAnswer': return this.back.bankAnswer(rng, c, n);
      case 'bankReturn': return this.back.bankReturn(rng, c, n);
    }
  }
}
