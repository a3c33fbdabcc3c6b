import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor } from '@huanxin/core';
import { returnedRows, Tx } from '@huanxin/database';
import { LedgerService } from '@huanxin/ledger';
import { PayoutRunsRepository } from './payout-runs.repository';

interface CityMove {
  payout_id: string;
  program_id: string;
  retailer_id: string;
  city: string;
  /** claims paid (or, un-paying, going back to approved) */
  gross: string;
  /** clawbacks recovered (netted from, or returned with, this payout) */
  recovered: string;
  /** netted recoveries undone */
  undone: string;
}

const n = (s: string | number | null | undefined) => Number(s ?? 0);

/** Where a city's movement of a payout is booked: per programme and city, referring to the payout. */
const scope = (m: CityMove) => ({ programId: m.program_id, city: m.city, reference: m.payout_id, note: `payout ${m.payout_id}` });

/**
 * Every state change of a payout, with its claims, its ledger movements and its audit events, inside the
 * caller's transaction. The ledger moves per programme and city (a payout can hold claims of several
 * cities), one transaction each, visited in (city, programme, payout) order so two settlements never lock
 * two cities in opposite orders.
 *
 *   paid      payable(r) −gross_c, receivable(r) +netted_c, paid +(gross_c − netted_c)   per city c
 *             (Σ over cities of the paid leg = the payout's amount: the ledger's paid grows by the cash sent)
 *   un-paid   the reverse for the claims going back to approved and the netting undone; clawed-back
 *             claims whose money came back settle their receivable: receivable(r) +A, paid −A (A their whole
 *             amount: if it had been recovered elsewhere too, the receivable ends positive, a credit)
 *   netting   a payout nets the retailer's open clawbacks (netted > 0) and gives its credits back (netted < 0)
 *   reversal  receivable(r) +x_c, paid −x_c  (a clawback recovered from an earlier transfer)
 */
@Injectable()
export class PayoutLedger {
  constructor(
    private readonly repo: PayoutRunsRepository,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
  ) {}

  /** pending → sent: handed to the gateway, confirmation to follow. */
  async markSent(tx: Tx, actor: Actor, items: { id: string; reference: string }[], now: Date): Promise<void> {
    if (!items.length) return;
    const rows: { id: string; run_id: string; retailer_id: string; amount_fen: string; claim_count: number }[] = returnedRows(await tx.query(
      `UPDATE payouts p SET status = 'sent', sent_at = $2, gateway_ref = x.ref, updated_at = $2
         FROM unnest($1::uuid[], $3::text[]) AS x(id, ref)
        WHERE p.id = x.id AND p.status = 'pending'
       RETURNING p.id, p.run_id, p.retailer_id, p.amount_fen::text, p.claim_count`,
      [items.map((i) => i.id), now, items.map((i) => i.reference)],
    ));
    const ref = new Map(items.map((i) => [i.id, i.reference]));
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.sent', subjectType: 'payout', subjectId: p.id,
      details: { runId: p.run_id, retailerId: p.retailer_id, amountFen: n(p.amount_fen), claimCount: p.claim_count, reference: ref.get(p.id) },
    })));
  }

  /** pending | sent → paid: claims paid, money moved payable → paid (netting the clawbacks kept back). */
  async markPaid(tx: Tx, actor: Actor, items: { id: string; reference?: string | null }[], now: Date): Promise<string[]> {
    if (!items.length) return [];
    const ids = items.map((i) => i.id);
    const rows: { id: string; run_id: string; retailer_id: string; amount_fen: string; gross_fen: string; netted_fen: string; claim_count: number; gateway_ref: string | null }[] =
      returnedRows(await tx.query(
        `UPDATE payouts p SET status = 'paid', paid_at = $2, gateway_ref = coalesce(x.ref, p.gateway_ref), updated_at = $2
           FROM unnest($1::uuid[], $3::text[]) AS x(id, ref)
          WHERE p.id = x.id AND p.status IN ('pending', 'sent')
         RETURNING p.id, p.run_id, p.retailer_id, p.amount_fen::text, p.gross_fen::text, p.netted_fen::text, p.claim_count, p.gateway_ref`,
        [ids, now, items.map((i) => i.reference ?? null)],
      ));
    const paid = rows.map((r) => r.id);
    if (!paid.length) return [];
    await this.repo.moveClaims(tx, actor, 'claim.paid', paid, 'in_payout', 'paid', now);
    const moves: CityMove[] = await tx.query(
      `SELECT p.id AS payout_id, p.program_id, p.retailer_id, x.city, sum(x.gross)::text AS gross, sum(x.rec)::text AS recovered, '0' AS undone
         FROM payouts p
         JOIN (SELECT payout_id, city, amount_fen AS gross, 0::bigint AS rec FROM payout_claims WHERE payout_id = ANY($1::uuid[]) AND open
               UNION ALL
               SELECT payout_id, city, 0::bigint, amount_fen FROM clawback_recoveries
                WHERE payout_id = ANY($1::uuid[]) AND active AND kind = 'netted') x ON x.payout_id = p.id
        GROUP BY p.id, p.program_id, p.retailer_id, x.city
        ORDER BY x.city, p.program_id, p.id`,
      [paid],
    );
    for (const m of moves) {
      if (n(m.gross) === 0 && n(m.recovered) === 0) continue;
      await this.ledger.pay(tx, actor, { ...scope(m), retailerId: m.retailer_id, amountFen: n(m.gross), nettedFen: n(m.recovered) });
    }
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.paid', subjectType: 'payout', subjectId: p.id,
      details: {
        runId: p.run_id, retailerId: p.retailer_id, amountFen: n(p.amount_fen), grossFen: n(p.gross_fen), nettedFen: n(p.netted_fen),
        claimCount: p.claim_count, reference: p.gateway_ref,
      },
    })));
    return paid;
  }

  /**
   * pending | sent → failed: nothing was paid, so nothing moves in the ledger; the claims go back to
   * approved for the next run and the clawbacks this payout would have netted are open again.
   */
  async markFailed(tx: Tx, actor: Actor, items: { id: string; code: string; reason: string }[], now: Date): Promise<string[]> {
    if (!items.length) return [];
    const rows: { id: string; run_id: string; retailer_id: string; amount_fen: string; claim_count: number; failure_code: string; failure_reason: string }[] =
      returnedRows(await tx.query(
        `UPDATE payouts p SET status = 'failed', failed_at = $2, failure_code = x.code, failure_reason = x.reason, updated_at = $2
           FROM unnest($1::uuid[], $3::text[], $4::text[]) AS x(id, code, reason)
          WHERE p.id = x.id AND p.status IN ('pending', 'sent')
         RETURNING p.id, p.run_id, p.retailer_id, p.amount_fen::text, p.claim_count, p.failure_code, p.failure_reason`,
        [items.map((i) => i.id), now, items.map((i) => i.code.slice(0, 200)), items.map((i) => i.reason.slice(0, 1000))],
      ));
    const failed = rows.map((r) => r.id);
    if (!failed.length) return [];
    await this.repo.moveClaims(tx, actor, 'claim.payout_failed', failed, 'in_payout', 'approved', now);
    await tx.query(`UPDATE clawback_recoveries SET active = false WHERE payout_id = ANY($1::uuid[]) AND kind = 'netted' AND active`, [failed]);
    await tx.query(`UPDATE payout_claims SET open = false WHERE payout_id = ANY($1::uuid[])`, [failed]);
    await this.audit.appendMany(tx, actor, rows.map((p) => ({
      action: 'payout.failed', subjectType: 'payout', subjectId: p.id,
      details: { runId: p.run_id, retailerId: p.retailer_id, amountFen: n(p.amount_fen), claimCount: p.claim_count, code: p.failure_code, reason: p.failure_reason, claimsBackTo: 'approved' },
    })));
    return failed;
  }

  /**
   * paid → failed: the money came back (a transfer reversed, the connected account's bank payout failed and
   * we took the transfer back, or the bank returned it). Claims still paid go back to approved; clawed-back
   * claims of the payout have their debt settled by the returned money; clawbacks netted by this payout are
   * owed again.
   */
  async unpay(tx: Tx, actor: Actor, payoutId: string, code: string, reason: string, now: Date): Promise<boolean> {
    const [p]: { id: string; run_id: string; retailer_id: string; program_id: string; amount_fen: string; claim_count: number }[] = returnedRows(await tx.query(
      `UPDATE payouts SET status = 'failed', failed_at = $2, failure_code = $3, failure_reason = $4, updated_at = $2
        WHERE id = $1 AND status = 'paid'
       RETURNING id, run_id, retailer_id, program_id, amount_fen::text, claim_count`,
      [payoutId, now, code.slice(0, 200), reason.slice(0, 1000)],
    ));
    if (!p) return false;
    // Hold the payout's claims before reading their statuses: a cancellation or clawback racing this return
    // either committed first (and is read below) or waits and then finds the claim no longer paid. Without
    // the lock a concurrent clawback could move a claim this return had already counted as paid.
    await tx.query(
      `SELECT c.id FROM claims c WHERE c.id IN (SELECT claim_id FROM payout_claims WHERE payout_id = $1 AND open) ORDER BY c.id FOR UPDATE`,
      [payoutId],
    );
    // Clawed-back claims of this payout: their whole amount came back with the transfer, whatever was recovered
    // for them elsewhere (netted from a later payout, reversed on Stripe — done, pending or being written by a
    // run right now). What was recovered elsewhere was taken for a subsidy the retailer never received: the
    // claim ends over-recovered, a credit (receivable > 0) given back with the retailer's next payout. Booking
    // the whole amount, not "what is still open", is what makes this independent of every concurrent recovery.
    await tx.query(
      `INSERT INTO clawback_recoveries (claim_id, program_id, retailer_id, city, kind, amount_fen, payout_id, created_at)
       SELECT c.id, c.program_id, c.retailer_id, c.city, 'returned', c.amount_fen, $1, $2
         FROM payout_claims pc
         JOIN claims c ON c.id = pc.claim_id AND c.status = 'clawed_back'
        WHERE pc.payout_id = $1 AND pc.open AND c.amount_fen > 0`,
      [payoutId, now],
    );
    const moves: CityMove[] = await tx.query(
      `SELECT $1::uuid AS payout_id, $2::uuid AS program_id, $3::uuid AS retailer_id, x.city,
              sum(x.gross)::text AS gross, sum(x.rec)::text AS recovered, sum(x.undone)::text AS undone
         FROM (SELECT pc.city, pc.amount_fen AS gross, 0::bigint AS rec, 0::bigint AS undone
                 FROM payout_claims pc JOIN claims c ON c.id = pc.claim_id AND c.status = 'paid'
                WHERE pc.payout_id = $1 AND pc.open
               UNION ALL
               SELECT city, 0, amount_fen, 0 FROM clawback_recoveries WHERE payout_id = $1 AND kind = 'returned' AND active
               UNION ALL
               SELECT city, 0, 0, amount_fen FROM clawback_recoveries WHERE payout_id = $1 AND kind = 'netted' AND active) x
        GROUP BY x.city
        ORDER BY x.city`,
      [payoutId, p.program_id, p.retailer_id],
    );
    await this.repo.moveClaims(tx, actor, 'claim.payout_returned', [payoutId], 'paid', 'approved', now);
    await tx.query(`UPDATE clawback_recoveries SET active = false WHERE payout_id = $1 AND kind = 'netted' AND active`, [payoutId]);
    for (const m of moves) {
      if (n(m.gross) === 0 && n(m.recovered) === n(m.undone)) continue;
      await this.ledger.unpay(tx, actor, { ...scope(m), retailerId: m.retailer_id, grossFen: n(m.gross), returnedFen: n(m.recovered), undoneFen: n(m.undone) });
    }
    await tx.query(`UPDATE payout_claims SET open = false WHERE payout_id = $1`, [payoutId]);
    await this.audit.append(tx, actor, {
      action: 'payout.returned', subjectType: 'payout', subjectId: payoutId,
      details: { runId: p.run_id, retailerId: p.retailer_id, amountFen: n(p.amount_fen), claimCount: p.claim_count, code, reason, claimsBackTo: 'approved' },
    });
    return true;
  }

  /** A clawback reversal went through: the recovered receivables are settled, paid shrinks by the same. */
  async reversalSucceeded(tx: Tx, actor: Actor, reversalId: string, reference: string, now: Date): Promise<void> {
    const [v]: { id: string; payout_id: string; retailer_id: string; amount_fen: string }[] = returnedRows(await tx.query(
      `UPDATE payout_reversals SET status = 'succeeded', gateway_ref = $2, completed_at = $3
        WHERE id = $1 AND status = 'pending'
       RETURNING id, payout_id, retailer_id, amount_fen::text`,
      [reversalId, reference, now],
    ));
    if (!v) return;
    await tx.query(`UPDATE payouts SET reversed_fen = reversed_fen + $2, updated_at = $3 WHERE id = $1`, [v.payout_id, v.amount_fen, now]);
    const moves: CityMove[] = await tx.query(
      `SELECT $2::uuid AS payout_id, p.program_id, r.retailer_id, r.city, '0' AS gross, sum(r.amount_fen)::text AS recovered, '0' AS undone
         FROM clawback_recoveries r JOIN payouts p ON p.id = $2
        WHERE r.reversal_id = $1 AND r.active
        GROUP BY p.program_id, r.retailer_id, r.city
        ORDER BY r.city`,
      [reversalId, v.payout_id],
    );
    for (const m of moves) {
      if (n(m.recovered) === 0) continue;
      await this.ledger.recover(tx, actor, { ...scope(m), retailerId: m.retailer_id, amountFen: n(m.recovered) });
    }
    await this.audit.append(tx, actor, {
      action: 'payout.reversed', subjectType: 'payout', subjectId: v.payout_id,
      details: { reversalId: v.id, retailerId: v.retailer_id, amountFen: n(v.amount_fen), reference, purpose: 'clawback' },
    });
  }

  /** A clawback reversal was refused: the clawbacks stay open and are netted (or reversed) later. */
  async reversalFailed(tx: Tx, actor: Actor, reversalId: string, code: string, reason: string, now: Date): Promise<void> {
    const [v]: { id: string; payout_id: string; retailer_id: string; amount_fen: string }[] = returnedRows(await tx.query(
      `UPDATE payout_reversals SET status = 'failed', failure_code = $2, failure_reason = $3, completed_at = $4
        WHERE id = $1 AND status = 'pending'
       RETURNING id, payout_id, retailer_id, amount_fen::text`,
      [reversalId, code.slice(0, 200), reason.slice(0, 1000), now],
    ));
    if (!v) return;
    await tx.query(`UPDATE clawback_recoveries SET active = false WHERE reversal_id = $1`, [reversalId]);
    await this.audit.append(tx, actor, {
      action: 'payout.reversal_failed', subjectType: 'payout', subjectId: v.payout_id,
      details: { reversalId: v.id, retailerId: v.retailer_id, amountFen: n(v.amount_fen), code, reason },
    });
  }
}
