import { DomainError } from '@huanxin/core';
import { LedgerModel } from './ledger-model';
import type { World } from './world';

export type FailureKind =
  | 'drift' // a ledger account differs from the model
  | 'invariant' // LedgerService.checkInvariants found a problem
  | 'unexpected_error' // a call failed with something other than a 4xx domain error (a 5xx)
  | 'outcome' // the platform answered something the rules do not allow (wrong amount, two winners of a race…)
  | 'entity' // a voucher, claim or payout moved in a way no reported outcome or worker job explains
  | 'settlement' // after the final drain: a payout paid twice or not at all at the gateway, reconciliation
  | 'model'; // the model's own bookkeeping disagrees with itself (a simulator bug)

export interface Failure {
  kind: FailureKind;
  /** The op it came from (global op number), when one did. */
  op: number | null;
  batch: number;
  message: string;
}

/** What a call came back with: a value, or an error classified as the HTTP layer would map it. */
export type CallResult<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; code: string; status: number; message: string; unexpected: boolean };

export async function call<T>(fn: () => Promise<T>): Promise<CallResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return classify(err);
  }
}

export function classify(err: unknown): CallResult<never> {
  if (err instanceof DomainError) return { ok: false, code: err.code, status: err.status, message: err.message, unexpected: err.status >= 500 };
  const e = err as { message?: string; stack?: string; code?: string };
  return { ok: false, code: e?.code ? `error ${e.code}` : 'error', status: 500, message: e?.stack ?? e?.message ?? String(err), unexpected: true };
}

export const label = (r: CallResult) => (r.ok ? 'ok' : r.code);

export interface OpRecord {
  n: number;
  kind: string;
  what: string;
  outcome: string;
}

/**
 * The run's mutable state shared by the actors and the checks: the world, the model, counters that make
 * every identifier a function of the seed, the failures found, and a trace of recent batches to replay.
 */
export class SimState {
  readonly model = new LedgerModel();
  readonly failures: Failure[] = [];
  readonly counts: Record<string, number> = {};
  readonly outcomes: Record<string, number> = {};
  /** Milliseconds spent in each kind of op (summed over ops), for the throughput report. */
  readonly latency: Record<string, number> = {};
  readonly phases: Record<string, number> = {};
  readonly trace: { batch: number; now: string; ops: OpRecord[] }[] = [];
  readonly bankFiles: { name: string; content: string }[] = [];
  batch = 0;
  seq = { household: 0, claim: 0, bankFile: 0 };
  /** Set by ops whose effects the platform does not report one by one (worker jobs): sync before checking. */
  dirty = { settlement: false, vouchers: false };

  constructor(readonly world: World, readonly seed: number) {}

  fail(kind: FailureKind, message: string, op: number | null = null): void {
    if (this.failures.length < 200) this.failures.push({ kind, op, batch: this.batch, message });
  }

  count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  outcome(kind: string, what: string): void {
    const k = `${kind}: ${what}`;
    this.outcomes[k] = (this.outcomes[k] ?? 0) + 1;
  }

  record(batch: { batch: number; now: string; ops: OpRecord[] }): void {
    this.trace.push(batch);
    if (this.trace.length > 40) this.trace.shift();
  }
}
