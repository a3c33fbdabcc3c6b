import { DEFAULT_POLICY_RULES } from '@huanxin/policy';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { Client } from 'pg';
import { AuthService } from '@huanxin/auth';
import { CatalogService } from '@huanxin/catalog';
import { Actor, ANONYMOUS_ACTOR, SYSTEM_ACTOR } from '@huanxin/core';
import { TransactionService } from '@huanxin/database';
import { BudgetsService, ProgramsService, QuotasService } from '@huanxin/programs';
import { RecyclerKeysService, RecyclersService } from '@huanxin/recycling';
import { RetailersService } from '@huanxin/retailers';
import { startStripeMock, StripeMock } from '../../test/support/stripe-mock';
import { CapturedLog, SimNode } from './sim-node';
import { creditCode, gtin } from './sim-ids';

/** POLICY.md's version 1, with review decided by the simulator's own choices (no random sample, no first-claims rule). */
export const SIM_RULES = { ...DEFAULT_POLICY_RULES, reviewSampleBp: 0, firstClaimsReviewed: 0, storeBurstPerHour: 1_000_000 };

/** The catalogue the simulated shops sell from; the last one is not eligible (FHD). */
export const SIM_MODELS = [
  { modelCode: 'SIM-4K-G1', resolution: '4K', energyGrade: 1, referencePriceFen: 500000 },
  { modelCode: 'SIM-4K-G2', resolution: '4K', energyGrade: 2, referencePriceFen: 400000 },
  { modelCode: 'SIM-8K-G1', resolution: '8K', energyGrade: 1, referencePriceFen: 1200000 },
  { modelCode: 'SIM-8K-G2', resolution: '8K', energyGrade: 2, referencePriceFen: 900000 },
  { modelCode: 'SIM-FHD-G1', resolution: 'FHD', energyGrade: 1, referencePriceFen: 300000 },
] as const;
export type SimModel = (typeof SIM_MODELS)[number];

/**
 * The run's database is its own and thrown away afterwards: its commits need not wait for the disk (as the
 * test suite's embedded server runs with synchronous_commit=off), which takes the WAL flush out of the time
 * a city's ledger lock is held. Set on the database, so every node's sessions get it.
 */
async function fastCommits(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const [{ db }] = (await c.query(`SELECT current_database() AS db`)).rows;
    await c.query(`ALTER DATABASE "${String(db).replace(/"/g, '""')}" SET synchronous_commit = off`);
  } finally {
    await c.end();
  }
}

/** Time 0 of every run: a fixed instant (09:00 in Shanghai), so day boundaries fall alike on every replay. */
export const SIM_T0 = Date.parse('2030-06-01T01:00:00Z');
const DAY = 86400_000;

export interface SimRetailer {
  n: number;
  id: string;
  actor: Actor;
  stores: { code: string; city: string }[];
  stripeAccount: string;
  /** Whether its connected account can receive transfers (the simulator turns it off to make Stripe refuse). */
  transfersActive: boolean;
}

export interface SimRecycler {
  id: string;
  kid: string;
  privateKey: KeyLike;
}

export interface WorldOptions {
  databaseUrl: string;
  cities: string[];
  retailers: number;
  initialGrantFen: number;
  dailyVouchers: number;
  voucherValidityDays: number;
  poolSize: number;
  log: CapturedLog;
}

/**
 * Everything the actors act on: the Stripe mock, three platform nodes on one database, and a programme set up
 * through the admin services — cities with budgets and quotas, certified retailers with stores, payout details
 * (a connected account at the mock and a bank account), recyclers with registered keys, catalogue models.
 *
 * Nodes: `stripe` makes payout runs through Stripe Connect, `bank` through ISO 20022 bank files (a payout
 * gateway is a deployment setting); both serve every other call, as two API replicas would. `worker` only
 * runs the payout processor when the simulator means to kill it mid-transaction: a pause after each gateway
 * call (PAYOUT_DEBUG_DELAY_MS) gives it a crash window, and its connections carry their own name.
 */
export class World {
  programCode = '';
  programId = '';
  admin!: Actor;
  auditors: Actor[] = [];
  retailers: SimRetailer[] = [];
  recyclers: SimRecycler[] = [];
  now = SIM_T0;
  voucherValidityMs = 0;

  private constructor(
    readonly mock: StripeMock,
    readonly stripe: SimNode,
    readonly bank: SimNode,
    readonly worker: SimNode,
    readonly cities: string[],
    private readonly dataDir: string,
  ) {}

  get nodes(): SimNode[] {
    return [this.stripe, this.bank, this.worker];
  }

  /** The API replicas, for ordinary calls. */
  get apis(): SimNode[] {
    return [this.stripe, this.bank];
  }

  static async start(opts: WorldOptions): Promise<World> {
    await fastCommits(opts.databaseUrl);
    const mock = await startStripeMock();
    const dataDir = mkdtempSync(join(tmpdir(), 'huanxin-sim-'));
    const tag = randomBytes(4).toString('hex');
    const auditKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      MIGRATE_ON_START: 'false',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      DB_POOL_SIZE: String(opts.poolSize),
      TOKEN_REVOCATION_POLL_MS: '60000',
      // secrets of this run only; every node must share them (the ID-number hash above all)
      JWT_SECRET: randomBytes(32).toString('hex'),
      ID_HASH_SECRET: randomBytes(32).toString('hex'),
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      AUDIT_SIGNING_KEY: auditKey,
      STRIPE_SECRET_KEY: 'sk_test_simulation',
      STRIPE_API_HOST: mock.host,
      STRIPE_API_PORT: String(mock.port),
      STRIPE_API_PROTOCOL: 'http',
      // no SDK retries: every injected fault reaches the processor, which must retry with the same key itself
      STRIPE_MAX_NETWORK_RETRIES: '0',
      STRIPE_TIMEOUT_MS: '100',
      PAYOUT_RETRY_DELAY_MS: '0',
      PAYOUT_FILE_DIR: join(dataDir, 'payout-files'),
    };
    const start = (name: string, extra: Record<string, string>) =>
      SimNode.start(name, `hx-sim-${name}-${tag}`, { ...env, ...extra }, opts.databaseUrl, opts.log);
    const stripe = await start('stripe', { PAYOUT_GATEWAY: 'stripe' });
    const bank = await start('bank', { PAYOUT_GATEWAY: 'bank-file' });
    const worker = await start('worker', { PAYOUT_GATEWAY: 'stripe', PAYOUT_DEBUG_DELAY_MS: '25', PAYOUT_STRIPE_BATCH: '4', DB_POOL_SIZE: '3' });
    const w = new World(mock, stripe, bank, worker, opts.cities, dataDir);
    try {
      await w.setUp(opts);
    } catch (err) {
      await w.close();
      throw err;
    }
    return w;
  }

  /** Moves every node's injected clock to `at` (ms). */
  setTime(at: number): void {
    this.now = at;
    for (const n of this.nodes) n.clock.set(new Date(at));
  }

  private async setUp(opts: WorldOptions): Promise<void> {
    // the programme office's set-up happens four days before time 0, so receipts signed since are in period
    this.setTime(SIM_T0 - 4 * DAY);
    this.voucherValidityMs = opts.voucherValidityDays * DAY;
    const node = this.stripe;
    const auth = node.get(AuthService);
    const tx = node.get(TransactionService);
    const staff = async (role: 'admin' | 'auditor', n: number): Promise<Actor> => {
      const u = await tx.run((t) => auth.createStaff(t, SYSTEM_ACTOR, {
        email: `${role}${n}@sim.example.gov.cn`, password: `sim-${role}-password-${n}`, name: `${role} ${n}`, role,
      }));
      return { kind: 'user', id: u.id, role };
    };
    this.admin = await staff('admin', 0);
    this.auditors = [await staff('auditor', 1), await staff('auditor', 2)];

    this.programCode = `sim-${randomBytes(3).toString('hex')}`;
    const program = await node.get(ProgramsService).create(this.admin, {
      code: this.programCode, name: '模拟以旧换新', startsAt: new Date(this.now), endsAt: new Date(SIM_T0 + 400 * DAY),
      voucherValidityDays: opts.voucherValidityDays, perHouseholdLimit: 1, rules: SIM_RULES,
    });
    this.programId = program.id;
    for (const city of this.cities) {
      await node.get(QuotasService).set(this.admin, this.programCode, city, { dailyVouchers: opts.dailyVouchers, releaseTime: '00:00' });
    }

    const catalog = node.get(CatalogService);
    for (const [i, m] of SIM_MODELS.entries()) {
      await catalog.create(this.admin, {
        modelCode: m.modelCode, gtin: gtin(i + 1), brand: 'Hisense', name: `模拟 ${m.resolution} 电视`, category: 'tv',
        resolution: m.resolution, energyGrade: m.energyGrade, screenInches: 65, referencePriceFen: m.referencePriceFen,
      });
      await catalog.approve(this.admin, m.modelCode);
    }

    const retailersService = node.get(RetailersService);
    for (let i = 0; i < opts.retailers; i++) {
      const cities = [this.cities[i % this.cities.length]];
      if (i % 2 === 1 && this.cities.length > 1) cities.push(this.cities[(i + 1) % this.cities.length]);
      const stripeAccount = this.mock.addAccount(`acct_sim${i}`);
      const created = await retailersService.create(this.admin, {
        name: `模拟电器 ${i}`, creditCode: creditCode(100 + i), city: cities[0],
        payout: { stripeAccountId: stripeAccount, bank: { accountName: `模拟电器 ${i}`, accountNumber: `62220202${String(i).padStart(8, '0')}`, bankCode: '102331000010' } },
        stores: cities.map((city, k) => ({ code: `S${i}-${k}`, name: `门店 ${i}-${k}`, city })),
      });
      const key = await retailersService.createApiKey(this.admin, created.id);
      this.retailers.push({
        n: i, id: created.id, actor: { kind: 'api_key', id: key.id, role: 'retailer', retailerId: created.id },
        stores: created.stores.map((s) => ({ code: s.code, city: s.city })), stripeAccount, transfersActive: true,
      });
    }

    for (let i = 0; i < 2; i++) {
      const r = await node.get(RecyclersService).create(this.admin, { name: `模拟回收 ${i}`, creditCode: creditCode(200 + i) });
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const { kty, crv, x } = await exportJWK(publicKey);
      const kid = `sim-key-${i}`;
      await node.get(RecyclerKeysService).register(this.admin, r.id, { kid, publicKeyJwk: { kty, crv, x } });
      this.recyclers.push({ id: r.id, kid, privateKey });
    }

    for (const city of this.cities) {
      await node.get(BudgetsService).grant(this.admin, this.programCode, { city, amountFen: opts.initialGrantFen, note: 'initial grant' });
    }
    this.setTime(SIM_T0);
  }

  /** A household registered through the auth service, as POST /v1/auth/register does. */
  async register(node: SimNode, input: { phone: string; idNumber: string; city: string }): Promise<Actor & { id: string }> {
    const h = await node.get(AuthService).register(ANONYMOUS_ACTOR, { ...input, password: `sim-pw-${input.phone}`, name: '模拟住户' });
    return { kind: 'user', id: h.id, role: 'household', city: input.city };
  }

  async close(): Promise<void> {
    for (const n of [this.worker, this.bank, this.stripe]) {
      try {
        await n?.close();
      } catch {
        // closing is best effort: the database is dropped next anyway
      }
    }
    await this.mock.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
