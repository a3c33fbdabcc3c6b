import type { MClaim, MHousehold, MPayout, MVoucher } from './ledger-model';
import type { Prng } from './prng';
import type { SimNode } from './sim-node';
import type { CallResult, SimState } from './sim-state';

export const OP_KINDS = [
  'time', 'grant', 'voucher', 'tradeIn', 'tradeInInvalid', 'tradeInRace', 'approve', 'reject', 'decideRace', 'cancel', 'clawback',
  'expire', 'payoutRun', 'process', 'kill', 'stripeFault', 'stripeAccount', 'bankAnswer', 'bankReturn',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/**
 * Platform bugs the simulation has found and reproduced, not yet fixed: each one names a narrow guard that steers
 * the actors away from the op sequence that triggers it (`this.guards.has(name)`), so that a run can still check
 * everything else. The CLI and the CI test steer around all of them by default (and say so in the report);
 * `--avoid none` lets the actors walk into them. Remove a bug (and its guard) once it is fixed, and every run
 * covers its scenario again. Empty today. Fixed, and walked into by every run:
 *
 * - `unpay-races-clawback`: a bank return locks its claims before reading their statuses.
 * - `processor-run-start-deadlock`: runs are marked started in id order.
 * - `voucher-expiry-deadlock`: an inline expiry happens after the quota row is held, as every issue does.
 * - `return-after-recovered-clawback`: a returned payout books its clawed-back claims' whole amount as
 *   returned; what had been recovered elsewhere becomes the retailer's credit, given back in its next payout.
 * - `unpay-races-netting`: the same rule makes a return independent of a run netting the same clawbacks: a
 *   double recovery is a credit, not a ledger the database refuses.
 */
export type KnownBug = string;
export const KNOWN_BUGS: readonly KnownBug[] = [];

/** One simulated action: planned from the model (deterministic), executed against the platform, settled into the model. */
export interface Op {
  n: number;
  kind: OpKind;
  what: string;
  exec(): Promise<void>;
  /** Applies the outcome to the model (in op order, after the whole batch ran) and answers a short label of it. */
  settle(): string;
}

export const HOUR = 3600_000;

export interface Candidates {
  freeHouseholds: MHousehold[];
  tradeable: MVoucher[];
  expiredOpen: MVoucher[];
  pending: MClaim[];
  cancellable: MClaim[];
  paid: MClaim[];
  live: MClaim[];
  sentBankRuns: { runId: string; payouts: MPayout[] }[];
  paidBank: MPayout[];
  approved: number;
  pendingWork: number;
}

/** A stable name for anything the actors pick, independent of platform ids (which differ between replays). */
type Named = { n: number } | { runId: string } | MPayout;

/**
 * Takes one element out of `list`, by rendezvous hashing: each candidate scores hash(draw, its stable name) and
 * the lowest wins. Whether a candidate is picked then depends only on the draw and on the candidates that beat
 * it, not on the list's length or order — so when a race resolves differently in a replay (a claim already in a
 * payout, say) the other choices of the batch and of later batches stay the same wherever they can.
 */
export function take<T extends Named>(rng: Prng, list: T[], name: (x: T) => string = defaultName): T | undefined {
  const salt = rng.u32(); // drawn even for an empty list: the number of draws must not depend on the state
  if (!list.length) return undefined;
  let best = 0;
  let bestScore = Infinity;
  list.forEach((x, i) => {
    const score = mix(salt, name(x));
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return list.splice(best, 1)[0];
}

function defaultName(x: Named): string {
  return 'n' in x ? String(x.n) : 'runId' in x ? x.runId : (x as MPayout).id;
}

/** FNV-1a over the name, seeded with the draw, finished with a murmur-style mix. */
function mix(salt: number, name: string): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The actors: households taking vouchers, tills submitting trade-ins (valid, invalid and racing), auditors
 * deciding and clawing back, retailers cancelling, the programme office granting budget and starting payout
 * runs through either gateway, the worker (expiring vouchers, sending payouts, being killed mid-transaction),
 * Stripe misbehaving, and the bank answering our payment files.

/** What every actor desk shares: the run's state, the guards, and the small helpers of planning. */
export class ActorBase {
  protected readonly guards: ReadonlySet<KnownBug>;

  constructor(protected readonly s: SimState, guards: readonly KnownBug[] = []) {
    this.guards = new Set(guards);
  }

  protected get w() {
    return this.s.world;
  }

  protected get m() {
    return this.s.model;
  }

  /** One of the API replicas, for an ordinary call. */
  protected node(rng: Prng): SimNode {
    return rng.pick(this.w.apis);
  }

  /** What the model holds in a city's available pool. */
  available(city: string): number {
    return this.m.expected().get(`${city}/available`) ?? 0;
  }

  protected busy(c: Candidates, claim: MClaim): void {
    for (const list of [c.pending, c.cancellable, c.paid, c.live]) {
      const i = list.indexOf(claim);
      if (i >= 0) list.splice(i, 1);
    }
  }


  /** The op that made a run: runs are named by it in traces (platform ids differ from replay to replay). */
  protected runN(runId: string): number {
    return this.m.runs.get(runId)?.n ?? 0;
  }

  /** A failed call: a 5xx is always a failure; with `strict`, so is any 4xx the model did not allow for. */
  protected unexpected(n: number, what: string, r: CallResult, strict = false): void {
    if (r.ok) return;
    if (r.unexpected) this.s.fail('unexpected_error', `op ${n}: ${what} failed with ${r.code} (status ${r.status}): ${r.message}`, n);
    else if (strict) this.s.fail('outcome', `op ${n}: ${what} was refused with ${r.code}: ${r.message}`, n);
  }
}
