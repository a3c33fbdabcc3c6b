/**
 * The sharding path, kept open (issue 12, SCALING.md "The Citus design"). Past one PostgreSQL primary the platform
 * moves to Citus, distributed by city: every money-moving transaction touches one programme and city, so it runs on
 * the one node that holds the city. This file is that design as data — every table of the schema in one class — and
 * the pure check that tells whether a schema keeps to it. `test/service/distribution.service-spec.ts` runs the check
 * over the live schema (read from `pg_index` and `pg_constraint`), so a new table, unique index or foreign key that
 * would not survive the move fails CI until it is fixed, classified or listed below with its reason.
 *
 * - **reference**: copied to every node (Citus reference tables). Small, read everywhere, rarely written — a write
 *   is a two-phase commit on every node. May reference only reference tables.
 * - **byCity**: distributed by the named column, all in one co-location group, so a city's rows of every table sit
 *   on one shard. Every primary key, unique index and exclusion constraint includes the column (Citus enforces
 *   uniqueness only within a shard); every foreign key to another byCity table carries the column on both sides; a
 *   byCity table may also reference reference tables. The column must be NOT NULL (Citus refuses an INSERT with
 *   NULL in it).
 * - **provinceWide**: distributed by its own key, for uniqueness that crosses cities by nature (a serial number
 *   subsidised anywhere). Its unique indexes include that key; it is written in the same distributed transaction as
 *   the city's rows (one more shard, two-phase commit). None exists yet: SCALING.md names the first (`subsidy_keys`).
 * - **local**: stays on the coordinator (Citus local tables): never written in a city's money transaction. May
 *   reference local and reference tables, never distributed ones; distributed tables may not reference it.
 *
 * Where today's schema breaks the design, the break is listed in `DISTRIBUTION_EXCEPTIONS`, each with why it is so
 * and what Citus would need. The list only shrinks: an exception whose break is gone fails the check too.
 */

export interface DistributionDesign {
  /** table → why it is copied to every node */
  reference: Readonly<Record<string, string>>;
  /** table → its city column */
  byCity: Readonly<Record<string, string>>;
  /** table → its own distribution column and why the table crosses cities */
  provinceWide: Readonly<Record<string, { column: string; why: string }>>;
  /** table → why it stays on the coordinator */
  local: Readonly<Record<string, string>>;
}

const SETTLEMENT =
  'settlement pays each retailer once across its cities: a payout run is a batch that is cross-city by nature (one ' +
  'distributed transaction a run, a few runs a day), so its tables stay on the coordinator';
const AUDIT_LOG =
  'one Merkle log per city, sealed on the node that holds the city: commit windows (xid8, pg_snapshot) are a node\'s own, ' +
  'and the event must commit with the change it records, on the same shard';

export const DISTRIBUTION: DistributionDesign = {
  reference: {
    programs: 'a handful of rows, read by every voucher, trade-in and report; written by the programme office',
    policy_versions: 'immutable once published; every trade-in computes its subsidy from them on its own shard',
    catalog_models: 'thousands of models, read by every trade-in; approved by the programme office',
    recyclers: 'receipt verification in any city reads the recycler; thousands of rows, certified by the programme office',
    recycler_keys: 'receipt verification in any city reads the signing key; registered by the programme office',
    recycler_certifications: 'receipt verification in any city reads the certification periods',
    receipt_revocations: 'any city\'s till may be shown any receipt, so every trade-in reads them; written rarely (a receipt issued in error)',
    retailers: 'a chain sells in many cities; trade-ins, payouts and ledger accounts name it; thousands of rows',
    stores: 'the routing directory: a trade-in names (retailer, store code) and the store gives the city, hence the shard',
    api_keys: 'every POS and recycler request authenticates by key hash before any city is known; never written per use',
  },
  byCity: {
    quotas: 'city',
    quota_day_slots: 'city',
    lottery_draws: 'city',
    lottery_entries: 'city',
    waitlist_entries: 'city',
    vouchers: 'city',
    claims: 'city',
    claim_appeals: 'city',
    ledger_accounts: 'city',
    ledger_transactions: 'city',
    ledger_entries: 'city',
    payout_claims: 'city',
    idempotency_keys: 'city',
    audit_events: 'city',
    audit_leaves: 'city',
    audit_tree_nodes: 'city',
    audit_tree_heads: 'city',
    audit_seal_state: 'city',
  },
  provinceWide: {
    receipt_registrations: {
      column: 'recycler_id',
      why: 'any city\'s till may be shown any recycler\'s receipt, so a registration belongs to no city; one row per receipt ' +
        '(too many writes for a reference table), keyed (recycler_id, rid): the trade-in reads one row on one more shard, ' +
        'and a recycler\'s registration, list and dismantling confirmation stay on its own shard',
    },
  },
  local: {
    users:
      'log-in finds a person by phone or e-mail hash before any city is known, and phone, e-mail and ID number are unique ' +
      'nationally: on the coordinator the three unique indexes stay as they are (tens of millions of rows fit one ' +
      'PostgreSQL); no money transaction writes it',
    refresh_tokens: 'sign-ins only, never inside a money transaction; every API process polls its revocations every few seconds, which must not fan out to every shard',
    trade_in_failures: 'written on its own after a refusal, never with a city\'s rows; read by serial or receipt across every city (prior_rejections)',
    payout_runs: SETTLEMENT,
    payouts: SETTLEMENT,
    payout_reversals: SETTLEMENT,
    clawback_recoveries: `${SETTLEMENT}; a recovery is written by the run or the bank return that nets it`,
    payout_bank_files: SETTLEMENT,
    payout_bank_imports: SETTLEMENT,
    payout_bank_records: SETTLEMENT,
    payout_reconciliations: SETTLEMENT,
    stripe_events: `${SETTLEMENT}; webhook events arrive per Stripe account, not per city`,
    stripe_accounts: `${SETTLEMENT}; webhook events arrive per Stripe account, not per city`,
    payout_details_changes:
      'the programme office\'s four-eyes queue of payout-detail changes: a few rows a retailer, written by admins, never in a ' +
      'city\'s money transaction; read by payout runs, which stay on the coordinator',
    schema_migrations: 'the schema history: the coordinator\'s; Citus propagates DDL to the shards',
  },
};

/** Why today's schema breaks the design at this point, and what Citus would need instead. */
export interface DistributionException {
  why: string;
  citus: string;
}

const UUID_ID = 'a random uuid, unique by construction; the hot paths reach the row with its city';
const SERIAL_ID = 'a bigserial; under Citus each node draws from its own range of the sequence, so ids stay unique';
const NO_USERS_FK =
  'users stays on the coordinator (DISTRIBUTION.local): drop the key — Citus cannot check a shard\'s row against a ' +
  'coordinator table; the household id comes from the verified token, and users are never deleted (they are disabled)';
const GUARD = (what: string, key: string): DistributionException => ({
  why: `${what} — a rule across every city, enforced today by one index over all claims`,
  citus:
    `move it to the province-wide guard table subsidy_keys (PRIMARY KEY (key), distributed by key; key = ${key}), ` +
    'inserted in the trade-in\'s transaction and deleted when the claim is rejected or cancelled: the city\'s shard and ' +
    'the key\'s shard commit together (two-phase commit)',
});
const AUDIT_COLUMN = (table: string): DistributionException => ({
  why: 'one Merkle log for the whole province today',
  citus: `add city NOT NULL to ${table} (the subject's city; '*' for platform events): ${AUDIT_LOG}`,
});

/**
 * Keyed by violation id: `column:<table>.<column>`, `nullable:<table>.<column>`, `unique:<table>.<index>`,
 * `fk:<table>.<constraint>` (what `checkDistribution` reports).
 */
export const DISTRIBUTION_EXCEPTIONS: Readonly<Record<string, DistributionException>> = {
  // vouchers
  'unique:vouchers.vouchers_pkey': { why: UUID_ID, citus: 'PRIMARY KEY (city, id)' },
  'unique:vouchers.vouchers_code_key': {
    why: 'the till types the code, and the trade-in finds the voucher by it before it knows the city',
    citus:
      'UNIQUE (city, code), with the city in the code (its GB/T 2260 digits), so the code alone still names one ' +
      'voucher and the trade-in can route by it and keep answering store_not_in_city',
  },
  'unique:vouchers.vouchers_one_open': {
    why: 'one open voucher per household and programme; a household belongs to one city',
    citus:
      "UNIQUE (city, program_id, household_id) WHERE status = 'open': the same rule while a household's city is fixed " +
      '(it is: nothing changes users.city after registration; a move would close the open voucher first)',
  },
  'fk:vouchers.vouchers_household_id_fkey': { why: 'the voucher\'s household', citus: NO_USERS_FK },

  // claims
  'unique:claims.claims_pkey': { why: UUID_ID, citus: 'PRIMARY KEY (city, id); a look-up by id alone (an auditor\'s detail page) fans out, one index probe a shard' },
  'unique:claims.claims_serial_live': GUARD('a serial number is subsidised once, anywhere', "'serial:' || serial_number"),
  'unique:claims.claims_receipt_live': GUARD('a recycling receipt (issuer, rid) is used once, anywhere', "'receipt:' || receipt_issuer || ':' || receipt_rid"),
  'unique:claims.claims_invoice_live': GUARD('an invoice number is used once per retailer, whichever city the store is in', "'invoice:' || retailer_id || ':' || invoice_number"),
  'unique:claims.claims_voucher': {
    why: 'a voucher backs one claim',
    citus: 'UNIQUE (city, voucher_id): a voucher and its claim share the city (the store must be in the voucher\'s city)',
  },
  'fk:claims.claims_household_id_fkey': { why: 'the claim\'s household', citus: NO_USERS_FK },
  'unique:claim_appeals.claim_appeals_pkey': { why: UUID_ID, citus: 'PRIMARY KEY (city, id); an auditor\'s decision finds the appeal by id alone (one index probe a shard)' },
  'fk:claim_appeals.claim_appeals_claim_id_fkey': {
    why: 'the appealed claim, by id alone',
    citus: 'FOREIGN KEY (city, claim_id) REFERENCES claims (city, id), once claims\' primary key is (city, id): an appeal and its claim share the city',
  },
  'fk:claims.claims_voucher_id_fkey': {
    why: 'the claim\'s voucher, by id alone',
    citus: 'FOREIGN KEY (city, voucher_id) REFERENCES vouchers (city, id)',
  },

  // ledger
  'unique:ledger_accounts.ledger_accounts_pkey': { why: SERIAL_ID, citus: 'PRIMARY KEY (city, id)' },
  'unique:ledger_transactions.ledger_transactions_pkey': { why: SERIAL_ID, citus: 'PRIMARY KEY (city, id)' },
  'column:ledger_entries.city': {
    why: 'an entry belongs to its transaction and account, which carry the city; the entry does not repeat it',
    citus: 'add city NOT NULL, set from the transaction (one movement is one city; LedgerRepository writes every leg)',
  },
  'unique:ledger_entries.ledger_entries_pkey': { why: SERIAL_ID, citus: 'PRIMARY KEY (city, id)' },
  'fk:ledger_entries.ledger_entries_transaction_id_fkey': {
    why: 'the entry\'s transaction, by id alone',
    citus: 'FOREIGN KEY (city, transaction_id) REFERENCES ledger_transactions (city, id)',
  },
  'fk:ledger_entries.ledger_entries_account_id_fkey': {
    why: 'the entry\'s account, by id alone',
    citus: 'FOREIGN KEY (city, account_id) REFERENCES ledger_accounts (city, id)',
  },

  // payout_claims (byCity: written by the statement that moves the claims, next to them)
  'unique:payout_claims.payout_claims_pkey': {
    why: 'a claim once per payout; a claim\'s city never changes',
    citus: 'PRIMARY KEY (city, payout_id, claim_id): the same rule',
  },
  'unique:payout_claims.payout_claims_one_open': {
    why: 'a claim is in at most one open payout',
    citus: 'UNIQUE (city, claim_id) WHERE open: the same rule (a claim\'s city never changes)',
  },

  // idempotency keys
  'column:idempotency_keys.city': {
    why: 'keys are scoped to the caller, not to a city',
    citus:
      "add city NOT NULL: the request's routing city (a trade-in's store, a household's city; '*' for set-up requests), " +
      'so the saved answer commits with the trade-in on its shard, without a two-phase commit. Cost: one caller ' +
      'reusing one key for requests in two cities is no longer caught as reuse. The purge (DELETE … WHERE ctid IN …) ' +
      'must then run per shard',
  },
  'unique:idempotency_keys.idempotency_keys_pkey': { why: 'one answer per caller and key', citus: 'PRIMARY KEY (city, scope, key)' },

  // audit log: one log per city
  'column:audit_events.city': AUDIT_COLUMN('audit_events'),
  'unique:audit_events.audit_events_pkey': { why: SERIAL_ID, citus: 'PRIMARY KEY (city, id)' },
  'column:audit_leaves.city': AUDIT_COLUMN('audit_leaves'),
  'unique:audit_leaves.audit_leaves_pkey': { why: 'leaf indices are dense in the one log', citus: 'PRIMARY KEY (city, leaf_index): dense within each city\'s log' },
  'unique:audit_leaves.audit_leaves_event_id_key': { why: 'an event is sealed once', citus: 'UNIQUE (city, event_id)' },
  'fk:audit_leaves.audit_leaves_event_id_fkey': {
    why: 'the leaf\'s event, by id alone',
    citus: 'FOREIGN KEY (city, event_id) REFERENCES audit_events (city, id)',
  },
  'column:audit_tree_nodes.city': AUDIT_COLUMN('audit_tree_nodes'),
  'unique:audit_tree_nodes.audit_tree_nodes_pkey': { why: 'one tree', citus: 'PRIMARY KEY (city, level, idx): one tree per city' },
  'column:audit_tree_heads.city': AUDIT_COLUMN('audit_tree_heads'),
  'unique:audit_tree_heads.audit_tree_heads_pkey': { why: 'one tree', citus: 'PRIMARY KEY (city, tree_size): one signed head sequence per city' },
  'column:audit_seal_state.city': AUDIT_COLUMN('audit_seal_state'),
  'unique:audit_seal_state.audit_seal_state_pkey': { why: 'one sealer position (id = 1)', citus: 'PRIMARY KEY (city): one sealer position per city\'s log' },

  // settlement
  'fk:clawback_recoveries.clawback_recoveries_claim_id_fkey': {
    why: 'the recovered claim',
    citus:
      'drop the key, as payout_claims already does without one: a coordinator table cannot reference a shard\'s rows; ' +
      'the recovery is written by the settlement statement that reads the claim, and claims are never deleted',
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The schema, as the check sees it (read from the catalogue by readSchemaFacts, or made up by a unit test)

export interface TableFacts {
  name: string;
  columns: { name: string; notNull: boolean }[];
}

export interface UniqueFacts {
  table: string;
  /** the index's name (for a constraint, the constraint's index, which has its name) */
  name: string;
  kind: 'primary key' | 'unique' | 'exclusion';
  /** key columns in order; null for an expression */
  columns: (string | null)[];
  /** exclusion constraints only: each key column's operator */
  operators?: string[] | null;
  partial: boolean;
  definition: string;
}

export interface ForeignKeyFacts {
  table: string;
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface SchemaFacts {
  tables: TableFacts[];
  uniques: UniqueFacts[];
  foreignKeys: ForeignKeyFacts[];
}

export type ViolationKind = 'unclassified' | 'stale' | 'twice' | 'column' | 'nullable' | 'unique' | 'fk';

export interface DistributionViolation {
  /** `<kind>:<table>[.<object>]`, the key of DISTRIBUTION_EXCEPTIONS */
  id: string;
  kind: ViolationKind;
  table: string;
  message: string;
}

export interface DistributionReport {
  /** everything that breaks the design, explained or not */
  violations: DistributionViolation[];
  /** breaks without an exception: each must be fixed, classified or listed */
  unexplained: string[];
  /** exceptions whose break is gone: remove them */
  staleExceptions: string[];
}

type Placement =
  | { class: 'reference' }
  | { class: 'local' }
  | { class: 'byCity'; column: string }
  | { class: 'provinceWide'; column: string };

const EXCEPTION_KINDS: ReadonlySet<ViolationKind> = new Set(['column', 'nullable', 'unique', 'fk']);

function placements(d: DistributionDesign): { byTable: Map<string, Placement>; twice: string[] } {
  const byTable = new Map<string, Placement>();
  const twice: string[] = [];
  const put = (table: string, p: Placement) => {
    if (byTable.has(table)) twice.push(table);
    else byTable.set(table, p);
  };
  for (const t of Object.keys(d.reference)) put(t, { class: 'reference' });
  for (const [t, column] of Object.entries(d.byCity)) put(t, { class: 'byCity', column });
  for (const [t, { column }] of Object.entries(d.provinceWide)) put(t, { class: 'provinceWide', column });
  for (const t of Object.keys(d.local)) put(t, { class: 'local' });
  return { byTable, twice };
}

const distributed = (p: Placement | undefined): p is Extract<Placement, { column: string }> =>
  p?.class === 'byCity' || p?.class === 'provinceWide';

function classLabel(p: Placement | undefined): string {
  if (!p) return 'unclassified';
  return distributed(p) ? `${p.class} (${p.column})` : p.class;
}

const where = (id: string) => `or, if today's schema must keep it, explain it in DISTRIBUTION_EXCEPTIONS['${id}'] (libs/database/src/distribution.ts)`;

/**
 * Checks a schema against the design. Pure: the facts come from the live catalogue in the service test and are made
 * up in the unit test, so the check is shown to fail as well as to pass.
 */
export function checkDistribution(
  schema: SchemaFacts,
  design: DistributionDesign = DISTRIBUTION,
  exceptions: Readonly<Record<string, DistributionException>> = DISTRIBUTION_EXCEPTIONS,
): DistributionReport {
  const { byTable, twice } = placements(design);
  const tables = new Map(schema.tables.map((t) => [t.name, t]));
  const violations: DistributionViolation[] = [];
  const add = (kind: ViolationKind, table: string, object: string | null, message: string) =>
    violations.push({ id: `${kind}:${table}${object ? `.${object}` : ''}`, kind, table, message });

  for (const t of twice) add('twice', t, null, `table ${t} is classified twice in DISTRIBUTION: keep it in one class`);
  for (const t of schema.tables) {
    if (!byTable.has(t.name)) {
      add('unclassified', t.name, null,
        `table ${t.name} is not classified: add it to DISTRIBUTION (libs/database/src/distribution.ts) as reference, ` +
        'byCity (its city column), provinceWide (its own key and why) or local (why), and say so in SCALING.md');
    }
  }
  for (const name of byTable.keys()) {
    if (!tables.has(name)) add('stale', name, null, `table ${name} is classified in DISTRIBUTION but is not in the schema: remove it`);
  }

  for (const t of schema.tables) {
    const p = byTable.get(t.name);
    if (!distributed(p)) continue;
    const col = t.columns.find((c) => c.name === p.column);
    if (!col) {
      add('column', t.name, p.column,
        `table ${t.name} is ${classLabel(p)} but has no column ${p.column}: add it (NOT NULL) or classify the table otherwise, ${where(`column:${t.name}.${p.column}`)}`);
    } else if (!col.notNull) {
      add('nullable', t.name, p.column,
        `column ${t.name}.${p.column} is the distribution column but may be NULL (Citus refuses an INSERT with NULL in it): make it NOT NULL, ${where(`nullable:${t.name}.${p.column}`)}`);
    }
  }

  for (const u of schema.uniques) {
    const p = byTable.get(u.table);
    if (!distributed(p)) continue;
    const covered = u.columns.some((c, i) => c === p.column && (u.kind !== 'exclusion' || u.operators?.[i] === '='));
    if (covered) continue;
    const id = `unique:${u.table}.${u.name}`;
    const cols = u.columns.map((c) => c ?? '(expression)').join(', ');
    const fix = p.class === 'byCity'
      ? `include ${p.column} in it if the rule is per city, or move the rule to a province-wide table distributed by its own key (DISTRIBUTION.provinceWide) written in the same transaction`
      : `include ${p.column} in it, or move the rule to another province-wide table distributed by the rule's own key`;
    add('unique', u.table, u.name,
      `${u.kind}${u.partial ? ' (partial)' : ''} ${u.name} on ${u.table} (${cols}) does not include the distribution column ${p.column} of ${classLabel(p)} table ${u.table}: ` +
      `Citus enforces uniqueness only within one shard. ${fix[0].toUpperCase()}${fix.slice(1)}, ${where(id)}`);
  }

  for (const fk of schema.foreignKeys) {
    const from = byTable.get(fk.table);
    const to = byTable.get(fk.refTable);
    if (!from || !to) continue; // an unclassified table is reported above
    const id = `fk:${fk.table}.${fk.name}`;
    const shape = `foreign key ${fk.name}: ${fk.table} (${fk.columns.join(', ')}) → ${fk.refTable} (${fk.refColumns.join(', ')}), ${classLabel(from)} → ${classLabel(to)}`;
    let problem: string | null = null;
    if (to.class === 'reference') problem = null;
    else if (from.class === 'reference') {
      problem = `a reference table is copied to every node and cannot point at rows that live on one shard or on the coordinator: drop the key or make ${fk.refTable} a reference table`;
    } else if (from.class === 'local') {
      if (distributed(to)) problem = `a coordinator (local) table cannot reference a distributed table: drop the key or distribute ${fk.table} with ${fk.refTable}`;
    } else if (to.class === 'local') {
      problem = `a distributed table cannot reference a coordinator (local) table: drop the key, or make ${fk.refTable} a reference table`;
    } else {
      const colocated = (from.class === 'byCity' && to.class === 'byCity') || fk.table === fk.refTable;
      const i = fk.columns.indexOf(from.column);
      if (!colocated) {
        problem = `the two tables are not co-located (Citus checks a foreign key only within a shard): reference a byCity table from a byCity table, or drop the key`;
      } else if (i < 0 || fk.refColumns[i] !== to.column) {
        problem = `the key does not carry the distribution column on both sides: make it (${from.column}, …) → ${fk.refTable} (${to.column}, …) (${fk.refTable} needs a unique key on them)`;
      }
    }
    if (problem) add('fk', fk.table, fk.name, `${shape}: ${problem}, ${where(id)}`);
  }

  const found = new Set(violations.map((v) => v.id));
  return {
    violations,
    unexplained: violations.filter((v) => !(EXCEPTION_KINDS.has(v.kind) && exceptions[v.id])).map((v) => v.message),
    staleExceptions: Object.keys(exceptions).filter((id) => !found.has(id))
      .map((id) => `DISTRIBUTION_EXCEPTIONS['${id}'] no longer matches the schema (fixed, renamed or dropped): remove it, or rename it to the object it now explains`),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the live schema

/** Runs one SQL text and answers its rows (a pg Client's `(sql) => c.query(sql).then((r) => r.rows)`, or TypeORM's `query`). */
export type RowsOf = (sql: string) => Promise<Record<string, any>[]>;

const TABLES_SQL = `
  SELECT c.relname AS table, a.attname::text AS column, a.attnotnull AS not_null
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
   ORDER BY c.relname, a.attnum`;

// Every primary key, unique constraint, unique index and exclusion constraint is an index; only its key columns
// (not INCLUDE columns) make the uniqueness.
const UNIQUES_SQL = `
  SELECT t.relname AS table, i.relname AS name,
         CASE WHEN x.indisprimary THEN 'primary key' WHEN x.indisexclusion THEN 'exclusion' ELSE 'unique' END AS kind,
         array(SELECT a.attname::text
                 FROM generate_series(0, x.indnkeyatts - 1) AS k(pos)
                 LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[k.pos] AND x.indkey[k.pos] <> 0
                ORDER BY k.pos) AS columns,
         (SELECT array_agg(o.oprname::text ORDER BY e.pos)
            FROM pg_constraint con, unnest(con.conexclop) WITH ORDINALITY AS e(op, pos)
            JOIN pg_operator o ON o.oid = e.op
           WHERE con.conindid = i.oid AND con.contype = 'x') AS operators,
         x.indpred IS NOT NULL AS partial,
         pg_get_indexdef(i.oid) AS definition
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT t.relispartition
     AND (x.indisunique OR x.indisprimary OR x.indisexclusion)
   ORDER BY t.relname, i.relname`;

const FOREIGN_KEYS_SQL = `
  SELECT t.relname AS table, con.conname AS name, r.relname AS ref_table,
         array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.pos) AS columns,
         array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.pos) AS ref_columns
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class r ON r.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
   WHERE con.contype = 'f' AND n.nspname = current_schema() AND NOT t.relispartition
   ORDER BY t.relname, con.conname`;

/** The tables, unique indexes and foreign keys of the current schema, from `pg_class`, `pg_index` and `pg_constraint`. */
export async function readSchemaFacts(rowsOf: RowsOf): Promise<SchemaFacts> {
  const tables = new Map<string, TableFacts>();
  for (const r of await rowsOf(TABLES_SQL)) {
    const t: TableFacts = tables.get(r.table) ?? { name: r.table, columns: [] };
    if (r.column !== null) t.columns.push({ name: r.column, notNull: r.not_null });
    tables.set(r.table, t);
  }
  const uniques = (await rowsOf(UNIQUES_SQL)).map((r): UniqueFacts => ({
    table: r.table, name: r.name, kind: r.kind, columns: r.columns, operators: r.operators, partial: r.partial, definition: r.definition,
  }));
  const foreignKeys = (await rowsOf(FOREIGN_KEYS_SQL)).map((r): ForeignKeyFacts => ({
    table: r.table, name: r.name, columns: r.columns, refTable: r.ref_table, refColumns: r.ref_columns,
  }));
  return { tables: [...tables.values()], uniques, foreignKeys };
}
