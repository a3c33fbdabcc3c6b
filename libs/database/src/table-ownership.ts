/**
 * One owner per table (STYLE.md, issue 10): each table is read and written only through its owner library's
 * repositories; other libraries call the owner's service or repository. `table-ownership.spec.ts` scans the SQL
 * in `libs/` and fails when a library names a table it does not own, unless the use is a deliberate read-only
 * exception (the list may only shrink: an exception no longer used fails too).
 */
export const TABLE_OWNERS: Readonly<Record<string, string>> = {
  users: 'auth', refresh_tokens: 'auth', api_keys: 'auth',
  audit_events: 'audit-log', audit_leaves: 'audit-log', audit_tree_nodes: 'audit-log', audit_tree_heads: 'audit-log', audit_seal_state: 'audit-log',
  catalog_models: 'catalog',
  claims: 'claims', trade_in_failures: 'claims', claim_appeals: 'claims',
  idempotency_keys: 'idempotency',
  ledger_accounts: 'ledger', ledger_transactions: 'ledger', ledger_entries: 'ledger',
  programs: 'programs', policy_versions: 'programs', quotas: 'programs',
  vouchers: 'vouchers', quota_days: 'vouchers', quota_day_slots: 'vouchers',
  lottery_draws: 'vouchers', lottery_entries: 'vouchers', waitlist_entries: 'vouchers',
  recyclers: 'recycling', recycler_keys: 'recycling', recycler_certifications: 'recycling', receipt_revocations: 'recycling',
  receipt_registrations: 'recycling',
  retailers: 'retailers', stores: 'retailers', payout_details_changes: 'retailers',
  payout_runs: 'settlement', payouts: 'settlement', payout_claims: 'settlement', payout_reversals: 'settlement',
  clawback_recoveries: 'settlement', stripe_events: 'settlement', stripe_accounts: 'settlement', payout_bank_files: 'settlement',
  payout_bank_imports: 'settlement', payout_bank_records: 'settlement', payout_reconciliations: 'settlement',
};

export type TableUse = 'read' | 'write';

/** Deliberate, permanent: reporting aggregates across the domain with set-based reads (never writes). */
export const READ_ONLY_EXCEPTIONS: Readonly<Record<string, readonly string[]>> = {
  reporting: ['claims', 'retailers', 'catalog_models', 'users', 'recyclers', 'receipt_registrations'],
};

/** The tables a TypeScript source's SQL names, and how (comments ignored): `INSERT INTO`/`UPDATE` write, `FROM`/`JOIN` read. */
export function sqlTableUses(source: string, tables: Iterable<string> = Object.keys(TABLE_OWNERS)): Map<string, Set<TableUse>> {
  const known = new Set(tables);
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/[^\n]*/g, '$1');
  const out = new Map<string, Set<TableUse>>();
  for (const m of code.matchAll(/\b(DELETE\s+FROM|INSERT\s+INTO|UPDATE|FROM|JOIN)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)"?/gi)) {
    const table = m[2].toLowerCase();
    if (!known.has(table)) continue;
    const verb = m[1].toUpperCase().replace(/\s+/g, ' ');
    const use: TableUse = verb === 'FROM' || verb === 'JOIN' ? 'read' : 'write';
    out.set(table, (out.get(table) ?? new Set()).add(use));
  }
  return out;
}
