import { Injectable } from '@nestjs/common';
import { auditEventsCte } from '@huanxin/audit-log';
import { Actor, actorRef, fenFromDb } from '@huanxin/core';
import { returnedRows, TransactionService, Tx } from '@huanxin/database';
import type { GatewayName, PayoutStatus } from './settlement.types';

/** A payout as settlement reads it: camelCase, fen as numbers (parsed here, once). */
export interface Payout {
  id: string;
  runId: string;
  programId: string;
  retailerId: string;
  gateway: GatewayName;
  status: PayoutStatus;
  idempotencyKey: string;
  claimCount: number;
  grossFen: number;
  nettedFen: number;
  amountFen: number;
  reversedFen: number;
  destination: string | null;
  /** The retailer's payout-details version the payout was created under (null: written before versions existed). */
  payoutDetailsVersion: number | null;
  gatewayRef: string | null;
  failureCode: string | null;
  failureReason: string | null;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
  paidAt: Date | null;
  failedAt: Date | null;
}

/** A payout written by a run: one per payable retailer, where it will be paid. */
export interface NewPayout {
  id: string;
  retailerId: string;
  destination: string | null;
  payoutDetailsVersion: number;
}

/** A claim tied to an open payout (payout_claims: the city and amount as paid). */
export interface PayoutClaimLine {
  payoutId: string;
  claimId: string;
  city: string;
  amountFen: number;
}

/**
 * What a payout moves in the ledger for one city: claims paid (or, un-paying, going back to approved), clawbacks
 * recovered (netted from, or returned with, the payout), netted recoveries undone.
 */
export interface CityMove {
  payoutId: string;
  programId: string;
  retailerId: string;
  city: string;
  grossFen: number;
  recoveredFen: number;
  undoneFen: number;
}

/** A payout's state change as recorded, for its audit event. */
export interface PayoutChange {
  id: string;
  runId: string;
  programId: string;
  retailerId: string;
  amountFen: number;
  grossFen: number;
  nettedFen: number;
  claimCount: number;
  gatewayRef: string | null;
  failureCode: string | null;
  failureReason: string | null;
}

interface PayoutRow {
  id: string;
  run_id: string;
  program_id: string;
  retailer_id: string;
  gateway: GatewayName;
  status: PayoutStatus;
  idempotency_key: string;
  claim_count: number;
  gross_fen: string;
  netted_fen: string;
  amount_fen: string;
  reversed_fen: string;
  destination: string | null;
  payout_details_version: number | null;
  gateway_ref: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
  paid_at: Date | null;
  failed_at: Date | null;
}

const PAYOUT_COLUMNS = `p.id, p.run_id, p.program_id, p.retailer_id, p.gateway, p.status, p.idempotency_key, p.claim_count,
  p.gross_fen::text, p.netted_fen::text, p.amount_fen::text, p.reversed_fen::text, p.destination, p.payout_details_version, p.gateway_ref,
  p.failure_code, p.failure_reason, p.attempts, p.created_at, p.sent_at, p.paid_at, p.failed_at`;

const CHANGE_COLUMNS = `p.id, p.run_id, p.program_id, p.retailer_id, p.amount_fen::text, p.gross_fen::text, p.netted_fen::text, p.claim_count,
  p.gateway_ref, p.failure_code, p.failure_reason`;

function toPayout(r: PayoutRow): Payout {
  return {
    id: r.id, runId: r.run_id, programId: r.program_id, retailerId: r.retailer_id, gateway: r.gateway, status: r.status,
    idempotencyKey: r.idempotency_key, claimCount: r.claim_count, grossFen: fenFromDb(r.gross_fen, 'payout gross'),
    nettedFen: fenFromDb(r.netted_fen, 'payout netted'), amountFen: fenFromDb(r.amount_fen, 'payout amount'),
    reversedFen: fenFromDb(r.reversed_fen, 'payout reversed'), destination: r.destination, payoutDetailsVersion: r.payout_details_version, gatewayRef: r.gateway_ref,
    failureCode: r.failure_code, failureReason: r.failure_reason, attempts: r.attempts, createdAt: r.created_at,
    sentAt: r.sent_at, paidAt: r.paid_at, failedAt: r.failed_at,
  };
}

function toChange(r: Pick<PayoutRow, 'id' | 'run_id' | 'program_id' | 'retailer_id' | 'amount_fen' | 'gross_fen' | 'netted_fen' | 'claim_count' | 'gateway_ref' | 'failure_code' | 'failure_reason'>): PayoutChange {
  return {
    id: r.id, runId: r.run_id, programId: r.program_id, retailerId: r.retailer_id, amountFen: fenFromDb(r.amount_fen, 'payout amount'),
    grossFen: fenFromDb(r.gross_fen, 'payout gross'), nettedFen: fenFromDb(r.netted_fen, 'payout netted'), claimCount: r.claim_count,
    gatewayRef: r.gateway_ref, failureCode: r.failure_code, failureReason: r.failure_reason,
  };
}

function toCityMove(r: { payout_id: string; program_id: string; retailer_id: string; city: string; gross: string; recovered: string; undone: string }): CityMove {
  return {
    payoutId: r.payout_id, programId: r.program_id, retailerId: r.retailer_id, city: r.city,
    grossFen: fenFromDb(r.gross, 'city gross'), recoveredFen: fenFromDb(r.recovered, 'city recovered'), undoneFen: fenFromDb(r.undone, 'city undone'),
  };
}

/**
 * Payouts and the claims tied to them (payout_claims), in set-based SQL: the cost of a run grows with the number
 * of retailers, never with a statement per claim. The claims themselves belong to the claims library
 * (ClaimSettlementRepository): what moves them passes their ids across, nothing here reads the claims table.
 */
@Injectable()
export class PayoutsRepository {
  constructor(private readonly db: TransactionService) {}

  /**
   * One statement, the whole of a run's writing: the claims library's move of the payable retailers' approved claims to
   * in_payout (`move`, ClaimSettlementRepository.payoutMoveCte, embedded with this statement's parameters); one payout
   * per retailer that had a claim moved, with its control total (claim count, gross) and its own idempotency key;
   * each claim moved tied to its payout; and each claim's move its audit event (same columns as AuditService.append;
   * nothing secret in it). The 100,000 claims of a large run stay in PostgreSQL. Answers the retailers paid.
   */
  async writeRun(
    tx: Tx, actor: Actor, run: { runId: string; programId: string; gateway: GatewayName; now: Date },
    payouts: NewPayout[], move: (params: { program: string; retailers: string; at: string }) => string,
  ): Promise<string[]> {
    if (!payouts.length) return [];
    const rows: { retailer_id: string }[] = await tx.query(
      `WITH moved AS (
         ${move({ program: '$2', retailers: '$7::uuid[]', at: '$4' })}
       ), p AS (
         SELECT * FROM unnest($6::uuid[], $7::uuid[], $8::text[], $9::int[]) AS p(id, retailer_id, destination, payout_details_version)
       ), m AS (
         SELECT moved.id, p.id AS payout_id, moved.city, moved.amount_fen FROM moved JOIN p ON p.retailer_id = moved.retailer_id
       ), per AS (
         SELECT payout_id, count(*)::int AS n, sum(amount_fen)::bigint AS gross FROM m GROUP BY payout_id
       ), ins AS (
         INSERT INTO payouts (id, run_id, program_id, retailer_id, gateway, status, idempotency_key, claim_count, gross_fen,
                              netted_fen, amount_fen, destination, payout_details_version, next_attempt_at, created_at, updated_at)
         SELECT p.id, $1, $2, p.retailer_id, $3, 'pending', 'hx-payout-' || p.id::text, per.n, per.gross,
                0, per.gross, p.destination, p.payout_details_version, $4, $4, $4
           FROM p JOIN per ON per.payout_id = p.id
         RETURNING retailer_id
       ), tied AS (
         -- in key order, as the audit events below in claim order: each index is written page after page, not at random
         INSERT INTO payout_claims (payout_id, claim_id, city, amount_fen)
         SELECT m.payout_id, m.id, m.city, m.amount_fen FROM m ORDER BY m.payout_id, m.id
       ), audited AS (
         ${auditEventsCte({
           from: '(SELECT * FROM m ORDER BY m.id) m', actorParam: '$5', actionParam: `'claim.in_payout'`, subjectType: 'claim', subjectId: 'm.id',
           details: { from: `'approved'::text`, to: `'in_payout'::text`, payoutId: 'm.payout_id', runId: '$1::uuid', amountFen: 'm.amount_fen' },
         })}
       )
       SELECT retailer_id FROM ins ORDER BY retailer_id`,
      [
        run.runId, run.programId, run.gateway, run.now, JSON.stringify(actorRef(actor)),
        payouts.map((p) => p.id), payouts.map((p) => p.retailerId), payouts.map((p) => p.destination), payouts.map((p) => p.payoutDetailsVersion),
      ],
    );
    return rows.map((r) => r.retailer_id);
  }

  /** The payouts of a run, read inside `tx`, in retailer order. */
  async payoutsOfRun(tx: Tx, runId: string): Promise<Payout[]> {
    const rows: PayoutRow[] = await tx.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts p WHERE p.run_id = $1 ORDER BY p.retailer_id`, [runId]);
    return rows.map(toPayout);
  }

  /** The payouts of a run, read from the pool, in retailer order. */
  async findPayoutsOfRun(runId: string): Promise<Payout[]> {
    return this.payoutsOfRun(this.db.manager, runId);
  }

  /** A retailer's payouts, newest first on (created_at, id), one page (read from the pool). */
  async pageOfRetailer(retailerId: string, after: { createdAt: Date; id: string } | undefined, limit: number): Promise<Payout[]> {
    const rows: PayoutRow[] = await this.db.manager.query(
      `SELECT ${PAYOUT_COLUMNS}
         FROM payouts p
        WHERE p.retailer_id = $1 AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2::timestamptz, $3::uuid))
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $4`,
      [retailerId, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    return rows.map(toPayout);
  }

  /** The claims of these payouts (closed ties included: a failed payout's statement still lists them), by payout. */
  async claimLines(payoutIds: string[]): Promise<PayoutClaimLine[]> {
    if (!payoutIds.length) return [];
    const rows: { payout_id: string; claim_id: string; city: string; amount_fen: string }[] = await this.db.manager.query(
      `SELECT payout_id, claim_id, city, amount_fen::text FROM payout_claims WHERE payout_id = ANY($1::uuid[]) ORDER BY payout_id`,
      [payoutIds],
    );
    return rows.map((r) => ({ payoutId: r.payout_id, claimId: r.claim_id, city: r.city, amountFen: fenFromDb(r.amount_fen, 'claim amount') }));
  }

  /** The claims still tied to these payouts (open), read inside `tx`, in claim id order. */
  async openClaimLines(tx: Tx, payoutIds: string[]): Promise<PayoutClaimLine[]> {
    if (!payoutIds.length) return [];
    const rows: { payout_id: string; claim_id: string; city: string; amount_fen: string }[] = await tx.query(
      `SELECT payout_id, claim_id, city, amount_fen::text FROM payout_claims WHERE payout_id = ANY($1::uuid[]) AND open ORDER BY claim_id`,
      [payoutIds],
    );
    return rows.map((r) => ({ payoutId: r.payout_id, claimId: r.claim_id, city: r.city, amountFen: fenFromDb(r.amount_fen, 'claim amount') }));
  }

  /**
   * One statement: the open claims of these payouts that are in `from` move to `to` — the claims library's SQL
   * (`move`, ClaimSettlementRepository.moveCte) embedded, fed by this table's lines — each claim moved with its audit
   * event (same columns as AuditService.append; nothing secret in it). A batch's thousands of claims stay in
   * PostgreSQL. Answers how many moved.
   */
  async moveOpenClaims(
    tx: Tx, actor: Actor, action: string, payoutIds: string[], from: string, to: string, at: Date,
    move: (params: { ids: string; at: string }) => string,
  ): Promise<number> {
    if (!payoutIds.length) return 0;
    const [row]: { n: number }[] = await tx.query(
      `WITH lines AS (
         SELECT pc.claim_id, pc.payout_id, pc.amount_fen, p.run_id
           FROM payout_claims pc JOIN payouts p ON p.id = pc.payout_id
          WHERE pc.payout_id = ANY($1::uuid[]) AND pc.open
       ), moved AS (
         ${move({ ids: 'lines', at: '$6::timestamptz' })}
       ), audited AS (
         ${auditEventsCte({
           from: '(SELECT l.* FROM lines l JOIN moved ON moved.id = l.claim_id ORDER BY l.claim_id) m', actorParam: '$2', actionParam: '$3',
           subjectType: 'claim', subjectId: 'm.claim_id',
           details: { from: '$4::text', to: '$5::text', payoutId: 'm.payout_id', runId: 'm.run_id', amountFen: 'm.amount_fen' },
         })}
       )
       SELECT count(*)::int AS n FROM moved`,
      [payoutIds, JSON.stringify(actorRef(actor)), action, from, to, at],
    );
    return row.n;
  }

  /**
   * One audit event per claim the claims library moved for these payouts, in one statement (a run can move a
   * hundred thousand claims). Same columns as AuditService.append; nothing secret in it.
   */
  async auditClaimMoves(tx: Tx, actor: Actor, action: string, from: string, to: string, moved: PayoutClaimLine[]): Promise<void> {
    if (!moved.length) return;
    await tx.query(
      `WITH m AS (
         SELECT m.*, p.run_id
           FROM unnest($5::uuid[], $6::uuid[], $7::bigint[]) AS m(id, payout_id, amount_fen)
           JOIN payouts p ON p.id = m.payout_id
       ), audited AS (
         ${auditEventsCte({
           from: 'm', actorParam: '$1', actionParam: '$2', subjectType: 'claim', subjectId: 'm.id',
           details: { from: '$3::text', to: '$4::text', payoutId: 'm.payout_id', runId: 'm.run_id', amountFen: 'm.amount_fen' },
         })}
       )
       SELECT 1`,
      [JSON.stringify(actorRef(actor)), action, from, to, moved.map((m) => m.claimId), moved.map((m) => m.payoutId), moved.map((m) => m.amountFen)],
    );
  }

  /** pending → sent, with the gateway's reference; answers the payouts this call changed. */
  async markSent(tx: Tx, items: { id: string; reference: string }[], now: Date): Promise<PayoutChange[]> {
    if (!items.length) return [];
    const rows = returnedRows(await tx.query(
      `UPDATE payouts p SET status = 'sent', sent_at = $2, gateway_ref = x.ref, updated_at = $2
         FROM unnest($1::uuid[], $3::text[]) AS x(id, ref)
        WHERE p.id = x.id AND p.status = 'pending'
       RETURNING ${CHANGE_COLUMNS}`,
      [items.map((i) => i.id), now, items.map((i) => i.reference)],
    ));
    return rows.map(toChange);
  }

  /** pending | sent → paid (the reference kept unless a new one is given); answers the payouts this call changed. */
  async markPaid(tx: Tx, items: { id: string; reference?: string | null }[], now: Date): Promise<PayoutChange[]> {
    if (!items.length) return [];
    const rows = returnedRows(await tx.query(
      `UPDATE payouts p SET status = 'paid', paid_at = $2, gateway_ref = coalesce(x.ref, p.gateway_ref), updated_at = $2
         FROM unnest($1::uuid[], $3::text[]) AS x(id, ref)
        WHERE p.id = x.id AND p.status IN ('pending', 'sent')
       RETURNING ${CHANGE_COLUMNS}`,
      [items.map((i) => i.id), now, items.map((i) => i.reference ?? null)],
    ));
    return rows.map(toChange);
  }

  /** pending | sent → failed, with code and reason; answers the payouts this call changed. */
  async markFailed(tx: Tx, items: { id: string; code: string; reason: string }[], now: Date): Promise<PayoutChange[]> {
    if (!items.length) return [];
    const rows = returnedRows(await tx.query(
      `UPDATE payouts p SET status = 'failed', failed_at = $2, failure_code = x.code, failure_reason = x.reason, updated_at = $2
         FROM unnest($1::uuid[], $3::text[], $4::text[]) AS x(id, code, reason)
        WHERE p.id = x.id AND p.status IN ('pending', 'sent')
       RETURNING ${CHANGE_COLUMNS}`,
      [items.map((i) => i.id), now, items.map((i) => i.code.slice(0, 200)), items.map((i) => i.reason.slice(0, 1000))],
    ));
    return rows.map(toChange);
  }

  /** paid → failed: the money came back. Answers the payout if this call changed it. */
  async markReturned(tx: Tx, payoutId: string, code: string, reason: string, now: Date): Promise<PayoutChange | undefined> {
    const rows = returnedRows(await tx.query(
      `UPDATE payouts p SET status = 'failed', failed_at = $2, failure_code = $3, failure_reason = $4, updated_at = $2
        WHERE p.id = $1 AND p.status = 'paid'
       RETURNING ${CHANGE_COLUMNS}`,
      [payoutId, now, code.slice(0, 200), reason.slice(0, 1000)],
    ));
    return rows[0] && toChange(rows[0]);
  }

  /** Closes the claim ties of these payouts: their claims are free for a later payout. */
  async closeClaims(tx: Tx, payoutIds: string[]): Promise<void> {
    if (!payoutIds.length) return;
    await tx.query(`UPDATE payout_claims SET open = false WHERE payout_id = ANY($1::uuid[])`, [payoutIds]);
  }

  /**
   * What paying these payouts moves in the ledger, per payout and city: the open claims' amounts and the
   * clawbacks netted, in (city, programme, payout) order so two settlements never lock cities in opposite orders.
   */
  async payMoves(tx: Tx, payoutIds: string[]): Promise<CityMove[]> {
    if (!payoutIds.length) return [];
    const rows = await tx.query(
      `SELECT p.id AS payout_id, p.program_id, p.retailer_id, x.city, sum(x.gross)::text AS gross, sum(x.rec)::text AS recovered, '0' AS undone
         FROM payouts p
         JOIN (SELECT payout_id, city, amount_fen AS gross, 0::bigint AS rec FROM payout_claims WHERE payout_id = ANY($1::uuid[]) AND open
               UNION ALL
               SELECT payout_id, city, 0::bigint, amount_fen FROM clawback_recoveries
                WHERE payout_id = ANY($1::uuid[]) AND active AND kind = 'netted') x ON x.payout_id = p.id
        GROUP BY p.id, p.program_id, p.retailer_id, x.city
        ORDER BY x.city, p.program_id, p.id`,
      [payoutIds],
    );
    return rows.map(toCityMove);
  }

  /**
   * What returning a paid payout moves in the ledger, per city: the amounts of its claims still paid (`paidClaimIds`,
   * as the claims library holds them), the clawed-back claims' money returned with it, the nettings undone.
   */
  async unpayMoves(tx: Tx, payout: { id: string; programId: string; retailerId: string }, paidClaimIds: string[]): Promise<CityMove[]> {
    const rows = await tx.query(
      `SELECT $1::uuid AS payout_id, $2::uuid AS program_id, $3::uuid AS retailer_id, x.city,
              sum(x.gross)::text AS gross, sum(x.rec)::text AS recovered, sum(x.undone)::text AS undone
         FROM (SELECT pc.city, pc.amount_fen AS gross, 0::bigint AS rec, 0::bigint AS undone
                 FROM payout_claims pc
                WHERE pc.payout_id = $1 AND pc.open AND pc.claim_id = ANY($4::uuid[])
               UNION ALL
               SELECT city, 0, amount_fen, 0 FROM clawback_recoveries WHERE payout_id = $1 AND kind = 'returned' AND active
               UNION ALL
               SELECT city, 0, 0, amount_fen FROM clawback_recoveries WHERE payout_id = $1 AND kind = 'netted' AND active) x
        GROUP BY x.city
        ORDER BY x.city`,
      [payout.id, payout.programId, payout.retailerId, paidClaimIds],
    );
    return rows.map(toCityMove);
  }

  /** The Stripe transfer behind a payout, locked; undefined if it is not one of ours. */
  async lockStripeByTransfer(tx: Tx, transferId: string): Promise<Payout | undefined> {
    const rows: PayoutRow[] = await tx.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts p WHERE p.gateway = 'stripe' AND p.gateway_ref = $1 FOR UPDATE`,
      [transferId],
    );
    return rows[0] && toPayout(rows[0]);
  }

  /** Paid Stripe payouts to a connected account not yet confirmed as arrived, paid by `created` (unix s), locked, oldest first. */
  async lockUnarrived(tx: Tx, account: string, created: number): Promise<Payout[]> {
    const rows: PayoutRow[] = await tx.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts p
        WHERE p.gateway = 'stripe' AND p.destination = $1 AND p.status = 'paid' AND p.arrived_at IS NULL AND p.gateway_ref IS NOT NULL
          AND p.paid_at < to_timestamp($2 + 1)
        ORDER BY p.paid_at, p.id
          FOR UPDATE`,
      [account, created],
    );
    return rows.map(toPayout);
  }

  /** Paid Stripe payouts to a connected account, paid by `created` (unix s), confirmed as arrived; answers how many. */
  async markArrived(tx: Tx, account: string, created: number, now: Date): Promise<number> {
    const rows = returnedRows(await tx.query(
      `UPDATE payouts SET arrived_at = to_timestamp($2), updated_at = $3
        WHERE gateway = 'stripe' AND destination = $1 AND status = 'paid' AND arrived_at IS NULL AND paid_at < to_timestamp($2 + 1)
       RETURNING id`,
      [account, created, now],
    ));
    return rows.length;
  }

  /** Pending Stripe payouts to a connected account, locked (those another worker holds are skipped). */
  async lockPendingTo(tx: Tx, account: string): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM payouts WHERE gateway = 'stripe' AND destination = $1 AND status = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED`,
      [account],
    );
    return rows.map((r) => r.id);
  }

  /** Records what has been reversed of a payout's transfer. */
  async setReversed(tx: Tx, payoutId: string, reversedFen: number, now: Date): Promise<void> {
    await tx.query(`UPDATE payouts SET reversed_fen = $2, updated_at = $3 WHERE id = $1`, [payoutId, reversedFen, now]);
  }

  /** Adds to what has been reversed of a payout's transfer. */
  async addReversed(tx: Tx, payoutId: string, amountFen: number, now: Date): Promise<void> {
    await tx.query(`UPDATE payouts SET reversed_fen = reversed_fen + $2, updated_at = $3 WHERE id = $1`, [payoutId, amountFen, now]);
  }

  /** The payout's whole transfer has been taken back. */
  async setFullyReversed(tx: Tx, payoutId: string, now: Date): Promise<void> {
    await tx.query(`UPDATE payouts SET reversed_fen = amount_fen, updated_at = $2 WHERE id = $1`, [payoutId, now]);
  }

  /**
   * The next Stripe payouts due, locked for the rest of the caller's transaction (the gateway calls included);
   * another worker skips them, so two workers never send one payout. With their run's creation time.
   */
  async lockNextStripe(tx: Tx, now: Date, limit: number): Promise<(Payout & { runCreatedAt: Date })[]> {
    const rows: (PayoutRow & { run_created_at: Date })[] = await tx.query(
      `SELECT ${PAYOUT_COLUMNS}, run.created_at AS run_created_at
         FROM payouts p
         JOIN payout_runs run ON run.id = p.run_id
        WHERE p.status = 'pending' AND p.gateway = 'stripe' AND p.next_attempt_at <= $1
        ORDER BY p.next_attempt_at, p.created_at, p.id
        LIMIT $2
          FOR UPDATE OF p SKIP LOCKED`,
      [now, limit],
    );
    return rows.map((r) => ({ ...toPayout(r), runCreatedAt: r.run_created_at }));
  }

  /** The pending payouts of a run, locked (the run is one bank file), in id order. */
  async lockPendingOfRun(tx: Tx, runId: string): Promise<Payout[]> {
    const rows: PayoutRow[] = await tx.query(
      `SELECT ${PAYOUT_COLUMNS} FROM payouts p WHERE p.run_id = $1 AND p.status = 'pending' ORDER BY p.id FOR UPDATE OF p`,
      [runId],
    );
    return rows.map(toPayout);
  }

  /** A send that did not get an answer: tried again at `at`. */
  async retryLater(tx: Tx, payoutId: string, error: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE payouts SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = now() WHERE id = $1`,
      [payoutId, error.slice(0, 1000), at],
    );
  }
}
