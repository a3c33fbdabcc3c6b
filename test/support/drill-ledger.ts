import type { Client } from 'pg';

/**
 * The ledger's invariants read straight from the tables, for the fault drills (whose API runs in another OS
 * process, so LedgerService.checkInvariants is out of reach): the same checks as
 * LedgerRepository.invariantProblems. Balances are signed: `granted` and `receivable` are contra accounts
 * (≤ 0), so "available + reserved + payable + paid − receivable = granted" reads "every city's balances sum
 * to zero".
 */
export async function ledgerProblems(c: Client, programId: string): Promise<string[]> {
  const { rows } = await c.query<{ problem: string }>(
    `WITH tx AS (
       SELECT t.id, coalesce(sum(e.amount_fen), 0) AS total
         FROM ledger_transactions t
         LEFT JOIN ledger_entries e ON e.transaction_id = t.id
        WHERE t.program_id = $1
        GROUP BY t.id
     ), acct AS (
       SELECT a.id, a.city, a.kind, a.retailer_id, a.balance_fen,
              coalesce((SELECT sum(e.amount_fen) FROM ledger_entries e WHERE e.account_id = a.id), 0) AS entries_sum
         FROM ledger_accounts a
        WHERE a.program_id = $1
     ), city AS (
       SELECT city, sum(balance_fen) AS total, -sum(balance_fen) FILTER (WHERE kind = 'granted') AS granted
         FROM acct GROUP BY city
     )
     SELECT format('transaction %s: entries sum to %s fen, not 0', id, total) AS problem FROM tx WHERE total <> 0
     UNION ALL
     SELECT format('account %s (%s %s): balance %s fen but its entries sum to %s fen', id, city, kind, balance_fen, entries_sum)
       FROM acct WHERE balance_fen <> entries_sum
     UNION ALL
     SELECT format('account %s (%s %s): balance %s fen has the wrong sign', id, city, kind, balance_fen)
       FROM acct
      WHERE (kind = 'granted' AND balance_fen > 0) OR (kind NOT IN ('granted', 'receivable') AND balance_fen < 0)
     UNION ALL
     SELECT format('%s: available + reserved + payable + paid - receivable = %s fen but granted = %s fen', city, total + coalesce(granted, 0), coalesce(granted, 0))
       FROM city WHERE total <> 0`,
    [programId],
  );
  return rows.map((r) => r.problem);
}

/** The programme's balances by kind, in fen, as positive numbers (granted and receivable negated). */
export async function ledgerTotals(c: Client, programId: string): Promise<Record<string, number>> {
  const { rows } = await c.query<{ kind: string; fen: string }>(
    `SELECT kind, sum(balance_fen)::text AS fen FROM ledger_accounts WHERE program_id = $1 GROUP BY kind`,
    [programId],
  );
  const out: Record<string, number> = { granted: 0, available: 0, reserved: 0, payable: 0, paid: 0, receivable: 0 };
  for (const r of rows) out[r.kind] = Math.abs(Number(r.fen));
  return out;
}
