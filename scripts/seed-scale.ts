/**
 * `npm run seed:scale -- --claims N`: large, realistic data, fast — for the CSV export benchmark, the reports and
 * the portal's lists at scale.
 *
 * Into the database of DATABASE_URL (or the embedded one under DATA_DIR, as `npm start` uses), migrated first, it
 * adds one new programme (`scale-…`, POLICY.md's version 1 rules, a quota in every city) and, for it: the demo
 * catalogue's models (approved; already there is fine), six certified recyclers with Ed25519 keys, `--retailers`
 * certified retailers (default N / 500, at least 5) with one to three stores each across Zhejiang's eleven cities,
 * one household per claim (valid resident ID numbers and phone numbers, keyed with this instance's ID_HASH_SECRET
 * as registration does, one shared password printed at the end), one used voucher per claim, and N claims: each in
 * its household's city at a store there, an eligible model at one of four prices (one flagged above the reference
 * price), the subsidy computed by the policy engine, receipt, serial and invoice numbers unique, spread over the
 * last 90 days; 91 % approved, 5 % pending review, 3 % rejected, 1 % cancelled; `program_code`, `store_code` and
 * `voucher_code` filled. The budget ledger gets the same money in aggregate (one grant and one reservation per
 * city, one movement per city, retailer and status, through LedgerService), so it balances.
 *
 * Everything bulk is set-based SQL (INSERT … SELECT over generate_series, arrays through unnest), in batches with a
 * progress bar on stderr. Not written: audit events (the seeded rows were never requests), payouts.
 */
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import * as argon2 from 'argon2';
import { generateKeyPairSync, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { hashIdNumber } from '@huanxin/auth';
import { AppConfig, ConfigModule, loadConfig } from '@huanxin/config';
import {
  CITY_DIVISION_CODES, CityCode, CoreModule, creditCodeCheckChar, lookupHash, maskPhone, normaliseResidentId, residentIdCheckChar, residentIdLast4,
  SYSTEM_ACTOR, ZHEJIANG_CITIES,
} from '@huanxin/core';
import { DatabaseModule, resolveDatabase, runMigrations, TransactionService } from '@huanxin/database';
import { LedgerModule, LedgerService } from '@huanxin/ledger';
import { computeSubsidy, DEFAULT_POLICY_RULES, PolicyViolation, Resolution } from '@huanxin/policy';
import catalogue from '../apps/api/src/seed/demo-catalogue.json';

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A progress bar on stderr: redrawn in place on a terminal, a line every tenth otherwise (CI logs). */
export function progressBar(label: string, total: number): { tick(done: number): void; end(): void } {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const draw = (done: number, final = false) => {
    const share = total ? Math.min(1, done / total) : 1;
    const secs = (Date.now() - started) / 1000;
    const width = 30;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
    const line = `  ${label.padEnd(12)} [${bar}] ${String(Math.floor(share * 100)).padStart(3)}% ${fmt(done)}/${fmt(total)} ${secs.toFixed(1)} s`;
    if (tty) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if ((final && lastTenth < 10) || Math.floor(share * 10) > lastTenth) {
      lastTenth = final ? 10 : Math.floor(share * 10);
      process.stderr.write(`${line}\n`);
    }
  };
  draw(0);
  let last = 0;
  return { tick: (done) => draw((last = done)), end: () => draw(last || total, true) };
}

// ---------------------------------------------------------------------------------------------- households

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '建华', '志强'];
/** Hangzhou, Ningbo and Wenzhou are the big three; every city gets some. */
const CITY_WEIGHTS: Record<CityCode, number> = {
  hangzhou: 24, ningbo: 18, wenzhou: 14, jiaxing: 8, huzhou: 6, shaoxing: 8, jinhua: 9, quzhou: 3, zhoushan: 2, taizhou: 6, lishui: 2,
};
const WEIGHTED_CITIES: CityCode[] = ZHEJIANG_CITIES.flatMap((c) => Array<CityCode>(CITY_WEIGHTS[c]).fill(c));

export interface SeededHousehold {
  id: string;
  idNumber: string;
  phone: string;
  city: string;
}

/**
 * Distinct valid resident ID numbers and phone numbers for one run: the ID's region and a random base date
 * (then a day every 999 households) and the phone's prefix vary by run, so two runs on one database seldom meet
 * (if they do, the unique index says so and nothing is written).
 */
function householdMaker() {
  const regions = Object.values(CITY_DIVISION_CODES).map((c) => `${c.slice(0, 4)}${String(2 + randomInt(8)).padStart(2, '0')}`);
  const region = regions[randomInt(regions.length)];
  const baseDay = Date.UTC(1945, 0, 1) + randomInt(15_000) * 86400_000;
  const phonePrefix = `1${[3, 5, 7, 8, 9][randomInt(5)]}${randomInt(10)}${randomInt(10)}`;
  return (i: number, city: string): SeededHousehold => {
    const birth = new Date(baseDay + Math.floor(i / 999) * 86400_000);
    const ymd = `${birth.getUTCFullYear()}${String(birth.getUTCMonth() + 1).padStart(2, '0')}${String(birth.getUTCDate()).padStart(2, '0')}`;
    const body = `${region}${ymd}${String((i % 999) + 1).padStart(3, '0')}`;
    return { id: randomUUID(), idNumber: body + residentIdCheckChar(body), phone: `${phonePrefix}${String(i).padStart(7, '0')}`, city };
  };
}

/**
 * Inserts `count` households as registration would write them (phone and ID number as keyed hashes under
 * `idHashSecret`, the phone masked, the ID's last four), `batch` at a time, all with the password whose argon2id
 * hash is `passwordHash`. `city` names every household's city, or picks one per household. Answers them when
 * `keep` (for the benchmark's tokens and receipts); `onBatch` is told each batch's households first.
 */
export async function insertHouseholds(db: Client, opts: {
  count: number; idHashSecret: string; passwordHash: string; city?: (i: number) => string; keep?: boolean;
  onBatch?: (households: SeededHousehold[], from: number) => Promise<void>; progress?: (done: number) => void; batch?: number;
}): Promise<SeededHousehold[]> {
  const make = householdMaker();
  const kept: SeededHousehold[] = [];
  const batch = opts.batch ?? 20_000;
  // the next batch is made (hashes, arrays) while PostgreSQL writes this one
  let writing: Promise<void> = Promise.resolve();
  for (let from = 0; from < opts.count; from += batch) {
    const hs: SeededHousehold[] = [];
    for (let i = from; i < Math.min(opts.count, from + batch); i++) hs.push(make(i, opts.city ? opts.city(i) : WEIGHTED_CITIES[randomInt(WEIGHTED_CITIES.length)]));
    const params = [
      hs.map((h) => h.id), hs.map((h) => lookupHash(opts.idHashSecret, 'phone', h.phone)), hs.map((h) => maskPhone(h.phone)),
      hs.map((_, k) => `${SURNAMES[(from + k) % SURNAMES.length]}${GIVEN[((from + k) * 7) % GIVEN.length]}`), hs.map((h) => h.city),
      opts.passwordHash, hs.map((h) => hashIdNumber(opts.idHashSecret, normaliseResidentId(h.idNumber))), hs.map((h) => residentIdLast4(h.idNumber)),
    ];
    await writing;
    writing = (async () => {
      await db.query(
        `INSERT INTO users (id, role, phone_hash, phone_masked, password_hash, name, city, id_number_hash, id_number_last4)
         SELECT id, 'household', phone_hash, phone_masked, $6, name, city, id_hash, last4
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $7::text[], $8::text[])
                AS u(id, phone_hash, phone_masked, name, city, id_hash, last4)`,
        params,
      );
      if (opts.onBatch) await opts.onBatch(hs, from);
      opts.progress?.(from + hs.length);
    })();
    writing.catch(() => undefined); // awaited below or at the next batch; not an unhandled rejection meanwhile
    if (opts.keep) kept.push(...hs);
  }
  await writing;
  return kept;
}

// ---------------------------------------------------------------------------------------------- the rest

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CODE_CHARS = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CITY_PREFIX: Record<CityCode, string> = {
  hangzhou: 'HZ', ningbo: 'NB', wenzhou: 'WZ', jiaxing: 'JX', huzhou: 'HU', shaoxing: 'SX', jinhua: 'JH', quzhou: 'QZ', zhoushan: 'ZS', taizhou: 'TZ', lishui: 'LS',
};
const CHAINS = ['苏宁易购', '国美电器', '五星电器', '京东家电', '永乐电器', '百联电器', '银泰家电', '大润发家电'];

function creditCode(city: CityCode): string {
  let tail = '';
  for (let i = 0; i < 9; i++) tail += CREDIT_CHARS[randomInt(CREDIT_CHARS.length)];
  const body = `91${CITY_DIVISION_CODES[city]}${tail}`;
  return body + creditCodeCheckChar(body);
}

/** SQL for `HX-XXXX-XXXX-XXXX` from a 4-symbol run prefix and the integer expression `i` in base 31 (8 symbols). */
function voucherCodeSql(prefix: string, i: string): string {
  const digit = (k: number) => `substr('${CODE_CHARS}', 1 + ((${i})::bigint / ${31 ** k} % 31)::int, 1)`;
  return `'HX-${prefix}-' || ${digit(7)} || ${digit(6)} || ${digit(5)} || ${digit(4)} || '-' || ${digit(3)} || ${digit(2)} || ${digit(1)} || ${digit(0)}`;
}

/** The checklist a clean trade-in records (libs/claims/src/trade-in.service.ts), in its order. */
const CHECKS = JSON.stringify(['retailer_active', 'voucher_owner', 'voucher_open', 'store_city', 'sale_time', 'model_eligible', 'price', 'serial_new',
  'invoice_new', 'receipt', 'household_limit'].map((check) => ({ check, result: 'ok' })));

export interface ScaleOptions {
  claims: number;
  retailers?: number;
  programCode?: string;
  /** the households' password (default: random, printed by the CLI) */
  password?: string;
  /** progress bars on stderr (default true) */
  progress?: boolean;
  /**
   * For a database nothing else is using (the benchmark's own): the plain indexes of `vouchers` and `claims` are
   * dropped for the load and built again after it (a unique one refuses a duplicate then, as it would have during
   * the load), and — when the role may (a superuser) and no trigger of their own fires on insert — foreign keys are
   * not checked row by row (every key is taken from the rows it names, so they hold; the counts are checked after).
   */
  fast?: boolean;
}

export interface ScaleResult {
  programId: string;
  programCode: string;
  claims: number;
  households: number;
  retailers: number;
  stores: number;
  password: string;
  seconds: number;
}

/** Indexes of `tables` that no constraint owns or depends on: what may be dropped for a load and built again. */
async function plainIndexes(db: Client, tables: string[]): Promise<{ name: string; def: string }[]> {
  return (await db.query(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
      WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      ORDER BY 1`,
    [tables],
  )).rows;
}

/** Unique constraints of `tables` that no foreign key leans on: dropped for a load and added again after it. */
async function looseUniques(db: Client, tables: string[]): Promise<{ table: string; name: string; def: string }[]> {
  return (await db.query(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
      WHERE c.conrelid = ANY($1::regclass[]) AND c.contype = 'u'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)
      ORDER BY 1, 2`,
    [tables],
  )).rows;
}

/** Whether this session may skip foreign-key triggers (superuser) and no trigger of the tables' own would be skipped with them. */
async function mayReplicate(db: Client, tables: string[]): Promise<boolean> {
  const [{ su }] = (await db.query(`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`)).rows;
  if (!su) return false;
  const own = (await db.query(
    `SELECT tgname FROM pg_trigger WHERE tgrelid = ANY($1::regclass[]) AND NOT tgisinternal AND (tgtype & 4) <> 0`, [tables])).rows;
  return own.length === 0;
}

@Module({})
class SeedScaleModule {}

/** Seeds the database at `url` (already migrated) with `opts.claims` claims and all they stand on; see the file's comment. */
export async function seedScale(url: string, config: AppConfig, opts: ScaleOptions): Promise<ScaleResult> {
  const started = Date.now();
  const N = opts.claims;
  if (!Number.isSafeInteger(N) || N < 1) throw new Error('--claims must be a positive integer');
  const R = opts.retailers ?? Math.max(5, Math.min(2000, Math.round(N / 500)));
  const tag = randomBytes(3).toString('hex');
  let prefix = '';
  for (let i = 0; i < 4; i++) prefix += CODE_CHARS[randomInt(CODE_CHARS.length)];
  const programCode = opts.programCode ?? `scale-${tag}`;
  const password = opts.password ?? randomBytes(9).toString('base64url');
  const show = opts.progress !== false;
  const bar = (label: string, total: number) => (show ? progressBar(label, total) : { tick: () => undefined, end: () => undefined });
  const rules = DEFAULT_POLICY_RULES;

  const db = new Client({ connectionString: url, application_name: 'huanxin-seed-scale' });
  await db.connect();
  let programId = '';
  let stores = 0;
  try {
    await db.query(`SET synchronous_commit = off`);
    await db.query(`SET maintenance_work_mem = '256MB'`);
    // ---- programme, rules, quotas
    const [program] = (await db.query(
      `INSERT INTO programs (id, code, name, starts_at, ends_at, voucher_validity_days, per_household_limit)
       VALUES (gen_random_uuid(), $1, $2, date_trunc('day', now()) - interval '120 days', date_trunc('day', now()) + interval '245 days', 30, 1)
       RETURNING id, starts_at`,
      [programCode, `浙江省 4K/8K 电视以旧换新（规模数据 ${tag}）`],
    )).rows;
    programId = program.id;
    await db.query(`INSERT INTO policy_versions (program_id, version, effective_from, rules) VALUES ($1, 1, $2, $3)`, [programId, program.starts_at, JSON.stringify(rules)]);
    await db.query(
      `INSERT INTO quotas (program_id, city, daily_vouchers, release_time) SELECT $1, c, 2000, '10:00' FROM unnest($2::text[]) AS c`,
      [programId, ZHEJIANG_CITIES],
    );

    // ---- catalogue: the demo's models, approved; the eligible ones at four prices each, subsidy by the engine
    for (const m of catalogue.models) {
      await db.query(
        `INSERT INTO catalog_models (model_code, gtin, brand, name, category, resolution, energy_grade, screen_inches, reference_price_fen, status, approved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'approved', now()) ON CONFLICT DO NOTHING`,
        [m.modelCode, m.gtin, m.brand, m.name, m.category, m.resolution, m.energyGrade, m.screenInches, m.referencePriceFen],
      );
    }
    const models: { model_code: string; category: string; resolution: Resolution; energy_grade: number; reference_price_fen: string }[] = (await db.query(
      `SELECT model_code, category, resolution, energy_grade, reference_price_fen FROM catalog_models WHERE status = 'approved' AND model_code = ANY($1) ORDER BY model_code`,
      [catalogue.models.map((m) => m.modelCode)],
    )).rows;
    const prices: { model: string; price: number; rateBp: number; capFen: number; amountFen: number; capped: boolean; flagged: boolean }[] = [];
    for (const m of models) {
      const facts = { category: m.category, resolution: m.resolution, energyGrade: m.energy_grade, referencePriceFen: Number(m.reference_price_fen), approved: true };
      for (const ratio of [0.88, 0.97, 1.05, 1.36]) {
        const price = Math.round((facts.referencePriceFen * ratio) / 100) * 100;
        try {
          const s = computeSubsidy(rules, facts, price);
          prices.push({ model: m.model_code, price, rateBp: s.rateBp, capFen: s.capFen, amountFen: s.amountFen, capped: s.capped, flagged: price * 10000 > facts.referencePriceFen * rules.priceFlagRatioBp });
        } catch (err) {
          if (!(err instanceof PolicyViolation)) throw err; // not eligible (FHD, grade 3): not sold under the programme
        }
      }
    }
    if (!prices.length) throw new Error('no eligible catalogue model');
    await db.query(`CREATE TEMP TABLE scale_prices (k int PRIMARY KEY, model_code text, price bigint, rate_bp int, cap_fen bigint, amount bigint, capped boolean, flagged boolean)`);
    await db.query(
      `INSERT INTO scale_prices SELECT ord - 1, m, p, r, c, a, cp, f FROM unnest($1::text[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[], $6::boolean[], $7::boolean[])
         WITH ORDINALITY AS u(m, p, r, c, a, cp, f, ord)`,
      [prices.map((p) => p.model), prices.map((p) => p.price), prices.map((p) => p.rateBp), prices.map((p) => p.capFen), prices.map((p) => p.amountFen),
        prices.map((p) => p.capped), prices.map((p) => p.flagged)],
    );

    // ---- recyclers with keys, certified long ago
    await db.query(`CREATE TEMP TABLE scale_recyclers (k int PRIMARY KEY, id uuid, kid text)`);
    for (let k = 0; k < 6; k++) {
      const id = randomUUID();
      const kid = `scale-${tag}-${k}`;
      await db.query(
        `INSERT INTO recyclers (id, name, credit_code, status, certified_at, created_at) VALUES ($1, $2, $3, 'certified', now() - interval '400 days', now() - interval '400 days')`,
        [id, `浙江再生资源回收 ${tag}-${k + 1}`, creditCode(ZHEJIANG_CITIES[k % ZHEJIANG_CITIES.length])],
      );
      await db.query(`INSERT INTO recycler_certifications (recycler_id, certified_at) VALUES ($1, now() - interval '400 days')`, [id]);
      const { publicKey } = generateKeyPairSync('ed25519');
      const { kty, crv, x } = publicKey.export({ format: 'jwk' });
      await db.query(`INSERT INTO recycler_keys (recycler_id, kid, public_key_jwk, created_at) VALUES ($1, $2, $3, now() - interval '400 days')`, [id, kid, JSON.stringify({ kty, crv, x })]);
      await db.query(`INSERT INTO scale_recyclers VALUES ($1, $2, $3)`, [k, id, kid]);
    }

    // ---- retailers and their stores: every city has some; every fifth retailer has stores in two more cities
    const retailerCities: CityCode[] = Array.from({ length: R }, (_, i) => (i < ZHEJIANG_CITIES.length ? ZHEJIANG_CITIES[i] : WEIGHTED_CITIES[randomInt(WEIGHTED_CITIES.length)]));
    const retailerIds = retailerCities.map(() => randomUUID());
    await db.query(
      `INSERT INTO retailers (id, name, credit_code, city, status, created_at, updated_at)
       SELECT id, name, code, city, 'active', now() - interval '150 days', now() - interval '150 days'
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(id, name, code, city)`,
      [retailerIds, retailerCities.map((c, i) => `${CHAINS[i % CHAINS.length]}（${c} ${tag}-${i + 1}）`), retailerCities.map((c) => creditCode(c)), retailerCities],
    );
    const storeRows: { retailer: string; code: string; name: string; city: string }[] = [];
    const perCity = new Map<string, number>();
    retailerCities.forEach((city, i) => {
      const cities = new Set<string>([city, ...(i % 5 === 4 ? [1, 2].map((d) => ZHEJIANG_CITIES[(ZHEJIANG_CITIES.indexOf(city) + d * 3) % ZHEJIANG_CITIES.length]) : [])]);
      // fewer retailers than cities: they share the cities out, so every household has a store in its city
      if (R < ZHEJIANG_CITIES.length) ZHEJIANG_CITIES.forEach((c, k) => k % R === i && cities.add(c));
      for (const c of cities) {
        const n = (perCity.get(c) ?? 0) + 1;
        perCity.set(c, n);
        storeRows.push({ retailer: retailerIds[i], code: `${CITY_PREFIX[c as CityCode]}-${String(n).padStart(3, '0')}`, name: `${c} 第 ${n} 店`, city: c });
      }
    });
    stores = storeRows.length;
    await db.query(`CREATE TEMP TABLE scale_stores (city text, j int, id uuid, code text, retailer_id uuid, PRIMARY KEY (city, j))`);
    await db.query(
      `WITH s AS (INSERT INTO stores (id, retailer_id, code, name, city, created_at)
                  SELECT gen_random_uuid(), r, c, n, city, now() - interval '150 days' FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(r, c, n, city)
                  RETURNING id, retailer_id, code, city)
       INSERT INTO scale_stores SELECT city, row_number() OVER (PARTITION BY city ORDER BY code) - 1, id, code, retailer_id FROM s`,
      [storeRows.map((s) => s.retailer), storeRows.map((s) => s.code), storeRows.map((s) => s.name), storeRows.map((s) => s.city)],
    );
    await db.query(`CREATE TEMP TABLE scale_city_stores AS SELECT city, count(*)::int AS n FROM scale_stores GROUP BY city`);

    // an auditor, who decided the rejected claims
    const [auditor] = (await db.query(
      `INSERT INTO users (id, role, email, password_hash, name) VALUES (gen_random_uuid(), 'auditor', $1, $2, '规模数据审核员') RETURNING id`,
      [`auditor-${tag}@scale.huanxin.local`, 'x'],
    )).rows;

    // ---- households, one a claim
    const BULK = ['users', 'vouchers', 'claims'];
    const dropped = opts.fast ? await plainIndexes(db, BULK) : [];
    const uniques = opts.fast ? await looseUniques(db, BULK) : [];
    const replica = opts.fast && (await mayReplicate(db, BULK));
    if (replica) await db.query(`SET session_replication_role = replica`);
    for (const ix of dropped) await db.query(`DROP INDEX ${ix.name}`);
    for (const u of uniques) await db.query(`ALTER TABLE ${u.table} DROP CONSTRAINT ${u.name}`);
    try {
      const passwordHash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: config.argon2MemoryKib, timeCost: config.argon2TimeCost, parallelism: 1 });
      await db.query(`CREATE TEMP TABLE scale_households (k int PRIMARY KEY, id uuid, city text)`);
      let b = bar('households', N);
      await insertHouseholds(db, {
        count: N, idHashSecret: config.idHashSecret, passwordHash, progress: b.tick,
        onBatch: async (hs, from) => void (await db.query(
          `INSERT INTO scale_households SELECT $1::int + ord - 1, id, city FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS u(id, city, ord)`,
          [from, hs.map((h) => h.id), hs.map((h) => h.city)],
        )),
      });
      b.end();

      // ---- vouchers and claims, 50,000 a statement, oldest first over the last 90 days
      const P = prices.length;
      const span = 90 * 86400;
      b = bar('claims', N);
      for (let from = 0; from < N; from += 50_000) {
        const to = Math.min(N, from + 50_000) - 1;
        await db.query(
          `WITH x AS MATERIALIZED (
             SELECT g.i, gen_random_uuid() AS claim_id, gen_random_uuid() AS voucher_id, ${voucherCodeSql(prefix, 'g.i')} AS voucher_code,
                    h.id AS household_id, h.city, s.id AS store_id, s.code AS store_code, s.retailer_id, p.*,
                    r.id AS recycler_id, r.kid,
                    date_trunc('day', now()) - interval '90 days' + make_interval(secs => (g.i::float8 * $3 / $4) + 9 * 3600) AS created_at,
                    CASE WHEN g.i % 100 < 91 THEN 'approved' WHEN g.i % 100 < 96 THEN 'pending_review' WHEN g.i % 100 < 99 THEN 'rejected' ELSE 'cancelled' END AS status
               FROM generate_series($1::int, $2::int) AS g(i)
               JOIN scale_households h ON h.k = g.i
               JOIN scale_city_stores cs ON cs.city = h.city
               JOIN scale_stores s ON s.city = h.city AND s.j = (g.i::bigint * 7919) % cs.n
               JOIN scale_prices p ON p.k = (g.i::bigint * 31 + g.i / 7) % $5
               JOIN scale_recyclers r ON r.k = g.i % 6
           ), v AS (
             INSERT INTO vouchers (id, code, program_id, city, household_id, status, reserved_fen, policy_version, issued_at, expires_at, used_at)
             SELECT voucher_id, voucher_code, $6, city, household_id, 'used', cap_fen, 1, created_at - make_interval(days => 1 + i % 9), created_at - make_interval(days => 1 + i % 9) + interval '30 days', created_at
               FROM x
           )
           INSERT INTO claims (id, program_id, city, retailer_id, store_id, household_id, voucher_id, model_code, serial_number, invoice_number,
                               sale_price_fen, sold_at, receipt_issuer, receipt_rid, receipt_kid, receipt_issued_at, policy_version, rate_bp, cap_fen,
                               base_fen, amount_fen, capped, reserved_fen, status, flags, review_reasons, checks, decided_by, decided_at, decision_reason,
                               cancelled_at, cancel_reason, created_at, updated_at, program_code, store_code, voucher_code)
           SELECT claim_id, $6, city, retailer_id, store_id, household_id, voucher_id, model_code, 'SN' || upper($7) || lpad(i::text, 9, '0'),
                  'INV-' || store_code || '-' || lpad(i::text, 9, '0'), price, created_at - make_interval(mins => 2 + i % 40), recycler_id,
                  'R-' || upper($7) || '-' || lpad(i::text, 9, '0'), kid, created_at - make_interval(days => 1 + i % 20, hours => i % 9), 1, rate_bp, cap_fen,
                  price, amount, capped, cap_fen, status,
                  CASE WHEN flagged THEN '{price_above_reference}'::text[] ELSE '{}' END,
                  CASE WHEN status IN ('pending_review', 'rejected') THEN (CASE WHEN flagged THEN '{price_above_reference}'::text[] ELSE '{sample}' END) ELSE '{}' END,
                  $8::jsonb,
                  CASE WHEN status = 'rejected' THEN $9::uuid END, CASE WHEN status = 'rejected' THEN created_at + interval '2 days' END,
                  CASE WHEN status = 'rejected' THEN '回收凭证照片与实物不符' END,
                  CASE WHEN status = 'cancelled' THEN created_at + interval '3 days' END, CASE WHEN status = 'cancelled' THEN '顾客退货' END,
                  created_at, created_at + CASE WHEN status IN ('rejected', 'cancelled') THEN interval '3 days' ELSE interval '0' END,
                  $10, store_code, voucher_code
             FROM x`,
          [from, to, span, N, P, programId, tag, CHECKS, auditor.id, programCode],
        );
        b.tick(to + 1);
      }
      b.end();
      const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM claims WHERE program_id = $1`, [programId])).rows;
      if (n !== N) throw new Error(`seeded ${n} claims of ${N}`);
    } finally {
      if (replica) await db.query(`SET session_replication_role = origin`);
      const rebuild = [...uniques.map((u) => `ALTER TABLE ${u.table} ADD CONSTRAINT ${u.name} ${u.def}`), ...dropped.map((ix) => ix.def)];
      const ib = rebuild.length ? bar('indexes', rebuild.length) : undefined;
      for (const [k, sql] of rebuild.entries()) {
        await db.query(sql);
        ib?.tick(k + 1);
      }
      ib?.end();
    }
    if (replica) {
      // the keys were not checked row by row: check them now, set-based
      const [bad] = (await db.query(
        `SELECT count(*) FILTER (WHERE v.id IS NULL) AS vouchers, count(*) FILTER (WHERE u.id IS NULL) AS households,
                count(*) FILTER (WHERE s.id IS NULL OR s.retailer_id <> c.retailer_id) AS stores, count(*) FILTER (WHERE m.model_code IS NULL) AS models,
                count(*) FILTER (WHERE r.id IS NULL) AS recyclers
           FROM claims c LEFT JOIN vouchers v ON v.id = c.voucher_id LEFT JOIN users u ON u.id = c.household_id LEFT JOIN stores s ON s.id = c.store_id
                LEFT JOIN catalog_models m ON m.model_code = c.model_code LEFT JOIN recyclers r ON r.id = c.receipt_issuer
          WHERE c.program_id = $1`,
        [programId],
      )).rows;
      const broken = Object.entries(bad).filter(([, n]) => Number(n) > 0);
      if (broken.length) throw new Error(`seeded claims with dangling keys: ${broken.map(([k, n]) => `${n} ${k}`).join(', ')}`);
    }
    await db.query(`DROP TABLE scale_households, scale_stores, scale_city_stores, scale_prices, scale_recyclers`);
    const ab = bar('analyze', 1);
    await db.query(`ANALYZE users, vouchers, claims, stores, retailers`);
    ab.tick(1);
    ab.end();
  } catch (err) {
    await db.end().catch(() => undefined);
    throw err;
  }

  // ---- the money, in aggregate: what the vouchers reserved and what became of it, per city and retailer
  const groups: { city: string; retailer_id: string; status: string; n: number; amount: string; reserved: string }[] = (await db.query(
    `SELECT city, retailer_id, status, count(*)::int AS n, sum(amount_fen)::text AS amount, sum(cap_fen)::text AS reserved
       FROM claims WHERE program_id = $1 GROUP BY city, retailer_id, status ORDER BY city, retailer_id, status`,
    [programId],
  )).rows;
  await db.end();
  const app = await NestFactory.createApplicationContext(
    {
      module: SeedScaleModule,
      imports: [
        ConfigModule.forRoot(config), CoreModule,
        DatabaseModule.forRoot({ url, poolSize: 2, statementTimeoutMs: 0, applicationName: 'huanxin-seed-scale' }), LedgerModule,
      ],
    },
    { logger: false },
  );
  try {
    const ledger = app.get(LedgerService);
    const tx = app.get(TransactionService);
    const cities = [...new Set(groups.map((g) => g.city))].sort();
    const sum = (gs: typeof groups, f: (g: (typeof groups)[number]) => string) => gs.reduce((s, g) => s + Number(f(g)), 0);
    const b = show ? progressBar('ledger', groups.length) : { tick: () => undefined, end: () => undefined };
    let done = 0;
    // per city: the grant, every voucher's reservation, and the claims under review or rejected (no retailer's money
    // yet: what they keep stays reserved, a rejection releases it); per city and retailer: the approved claims'
    // reservations committed, and the cancelled ones' amounts given back
    for (const city of cities) {
      const mine = groups.filter((g) => g.city === city);
      const scope = { programId, city, reference: 'seed:scale' };
      const held = mine.filter((g) => g.status === 'pending_review' || g.status === 'rejected');
      const rejected = sum(mine.filter((g) => g.status === 'rejected'), (g) => g.amount);
      const reserved = sum(mine, (g) => g.reserved);
      await tx.run(async (t) => {
        await ledger.grant(t, SYSTEM_ACTOR, { programId, city, amountFen: Math.ceil((reserved * 1.25) / 1_000_000) * 1_000_000, note: 'seed:scale grant' });
        await ledger.reserve(t, SYSTEM_ACTOR, { ...scope, amountFen: reserved });
        if (held.length) await ledger.holdForReview(t, SYSTEM_ACTOR, { ...scope, reservedFen: sum(held, (g) => g.reserved), amountFen: sum(held, (g) => g.amount) });
        if (rejected > 0) await ledger.release(t, SYSTEM_ACTOR, { ...scope, amountFen: rejected });
      });
      b.tick((done += held.length));
      const byRetailer = new Map<string, typeof groups>();
      for (const g of mine) if (g.status === 'approved' || g.status === 'cancelled') byRetailer.set(g.retailer_id, [...(byRetailer.get(g.retailer_id) ?? []), g]);
      const retailers = [...byRetailer];
      for (let k = 0; k < retailers.length; k += 500) {
        await tx.run(async (t) => {
          for (const [retailerId, gs] of retailers.slice(k, k + 500)) {
            await ledger.commit(t, SYSTEM_ACTOR, { ...scope, retailerId, reservedFen: sum(gs, (g) => g.reserved), amountFen: sum(gs, (g) => g.amount) });
            const cancelled = sum(gs.filter((g) => g.status === 'cancelled'), (g) => g.amount);
            if (cancelled > 0) await ledger.uncommit(t, SYSTEM_ACTOR, { ...scope, retailerId, amountFen: cancelled });
          }
        });
        b.tick((done += retailers.slice(k, k + 500).reduce((n, [, gs]) => n + gs.length, 0)));
      }
    }
    b.end();
    const inv = await ledger.checkInvariants(programId);
    if (!inv.balanced) throw new Error(`the seeded ledger does not balance: ${inv.problems.slice(0, 5).join('; ')}`);
  } finally {
    await app.close();
  }
  return { programId, programCode, claims: N, households: N, retailers: R, stores, password, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      claims: { type: 'string' },
      retailers: { type: 'string' },
      program: { type: 'string' },
      fast: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.claims) {
    process.stderr.write('usage: npm run seed:scale -- --claims N [--retailers R] [--program CODE] [--fast: for a database nothing else is using]\n');
    process.exit(values.help ? 0 : 2);
  }
  const claims = Number(values.claims.replace(/[_,]/g, ''));
  const retailers = values.retailers ? Number(values.retailers) : undefined;
  if (retailers !== undefined && (!Number.isSafeInteger(retailers) || retailers < 1)) throw new Error('--retailers must be a positive integer');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const server = await resolveDatabase(config);
  try {
    process.stderr.write(`seed:scale: migrating ${new URL(server.url).pathname.slice(1) || 'the database'} …\n`);
    await runMigrations({ url: server.url });
    const r = await seedScale(server.url, config, { claims, retailers, programCode: values.program, fast: values.fast });
    process.stdout.write(
      `seeded programme ${r.programCode}: ${fmt(r.claims)} claims, ${fmt(r.households)} households (password ${r.password}), `
      + `${fmt(r.retailers)} retailers with ${fmt(r.stores)} stores, in ${fmt(r.seconds, 1)} s\n`,
    );
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`seed:scale failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
    process.exit(1);
  });
}
