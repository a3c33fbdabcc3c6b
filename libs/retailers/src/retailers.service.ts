import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { ApiKeysService, AuthService, CreatedApiKey, StaffUser, UsersRepository } from '@huanxin/auth';
import { Actor, certificationStart, Clock, decodeCursor, DomainError, encodeCursor, FieldError, isCityCode, isUuid, isValidCreditCode, newId, normaliseCreditCode, Page, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { retailerView, storeView } from './retailer-views';
import type { NewRetailer, NewStore, PayoutDetailsChangeView, Retailer, RetailerStatus, RetailerView, RevokedApiKey, Store, StoreView } from './retailer.types';
import { RetailersRepository } from './retailers.repository';
import { PayoutDetailsChangesRepository } from './payout-details-changes.repository';
import { payoutDetailsChangeView } from './payout-details-views';

export const STRIPE_ACCOUNT_RE = /^acct_[A-Za-z0-9]+$/;
export const BANK_ACCOUNT_NUMBER_RE = /^\d{8,32}$/;

export interface NewStaff {
  email: string;
  password: string;
  name: string;
}

/** The domain's own check of a new retailer, so a caller other than the HTTP DTO (a seed script) cannot skip it. */
export function checkNewRetailer(input: NewRetailer): FieldError[] {
  const errors: FieldError[] = [];
  if (!isValidCreditCode(normaliseCreditCode(input.creditCode))) {
    errors.push({ field: 'creditCode', message: 'creditCode must be a valid 18-character unified social credit code (GB 32100 check character)' });
  }
  if (!isCityCode(input.city)) errors.push({ field: 'city', message: 'city must be one of the eleven city codes' });
  if (!input.stores.length) errors.push({ field: 'stores', message: 'stores must contain at least one store' });
  const seen = new Set<string>();
  input.stores.forEach((s, i) => {
    if (!isCityCode(s.city)) errors.push({ field: `stores[${i}].city`, message: 'city must be one of the eleven city codes' });
    if (seen.has(s.code)) errors.push({ field: `stores[${i}].code`, message: 'store codes must be unique within the retailer' });
    seen.add(s.code);
  });
  const { payout } = input;
  if (payout) {
    if (!payout.stripeAccountId && !payout.bank) errors.push({ field: 'payout', message: 'payout needs a stripeAccountId or a bank account' });
    if (payout.stripeAccountId !== undefined && !STRIPE_ACCOUNT_RE.test(payout.stripeAccountId)) {
      errors.push({ field: 'payout.stripeAccountId', message: 'stripeAccountId must look like acct_…' });
    }
    if (payout.bank && !BANK_ACCOUNT_NUMBER_RE.test(payout.bank.accountNumber)) {
      errors.push({ field: 'payout.bank.accountNumber', message: 'accountNumber must be 8-32 digits' });
    }
  }
  return errors;
}

/**
 * The programme office certifies retailers: the retailer and its stores, staff accounts, POS API keys, and
 * suspension. Every change appends its audit event in the same transaction; key material and bank account
 * numbers never reach the audit log.
 */
@Injectable()
export class RetailersService {
  constructor(
    private readonly db: TransactionService,
    private readonly retailers: RetailersRepository,
    private readonly payoutChanges: PayoutDetailsChangesRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly apiKeys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: NewRetailer): Promise<RetailerView> {
    requireAccess(actor, 'programme.manage');
    const errors = checkNewRetailer(input);
    if (errors.length) throw new DomainError('validation_failed', 'The request has invalid fields', errors);
    const now = this.clock.now();
    const certifiedFrom = certificationStart(input.certifiedFrom, now);
    const id = newId();
    const creditCode = normaliseCreditCode(input.creditCode);
    const bank = input.payout?.bank;
    const retailer: Retailer = {
      id, name: input.name, creditCode, city: input.city, status: 'active', statusReason: null,
      stripeAccountId: input.payout?.stripeAccountId ?? null,
      // Store exactly what a payment needs and nothing else that came in the body.
      bank: bank ? { accountName: bank.accountName, accountNumberLast4: bank.accountNumber.slice(-4), bankCode: bank.bankCode } : null,
      payoutDetailsVersion: 1, payoutDetailsChangedAt: null,
      certifiedFrom, createdAt: now,
    };
    const stores: Store[] = input.stores.map((s) => ({ id: newId(), retailerId: id, code: s.code, name: s.name, city: s.city }));
    try {
      await this.db.run(async (tx) => {
        await this.retailers.insert(tx, {
          id, name: input.name, creditCode, city: input.city, stripeAccountId: retailer.stripeAccountId,
          bank: bank ? { accountName: bank.accountName, accountNumber: bank.accountNumber, bankCode: bank.bankCode } : null,
          certifiedFrom, createdAt: now,
        });
        for (const s of stores) await this.retailers.insertStore(tx, s);
        await this.audit.append(tx, actor, {
          action: 'retailer.created', subjectType: 'retailer', subjectId: id,
          details: {
            name: input.name, creditCode, city: input.city,
            stores: stores.map((s) => ({ id: s.id, code: s.code, city: s.city })),
            payoutMethods: [...(retailer.stripeAccountId ? ['stripe'] : []), ...(bank ? ['bank'] : [])],
            certifiedFrom: toShanghaiIso(certifiedFrom),
          },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'retailers_credit_code_key')) {
        throw new DomainError('duplicate', 'A retailer with this credit code already exists');
      }
      throw err;
    }
    return retailerView(retailer, stores);
  }

  async list(actor: Actor, query: { limit?: number; cursor?: string }): Promise<Page<RetailerView>> {
    requireAccess(actor, 'programme.manage');
    const limit = query.limit ?? 50;
    let afterId: string | undefined;
    if (query.cursor !== undefined) {
      afterId = decodeCursor(query.cursor);
      if (!isUuid(afterId) || !(await this.retailers.findById(afterId))) {
        throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'cursor must be a nextCursor from a previous page' }]);
      }
    }
    const rows = await this.retailers.page(limit + 1, afterId);
    const items = rows.slice(0, limit);
    const stores = await this.retailers.storesOf(this.db.manager, items.map((r) => r.id));
    return {
      items: items.map((r) => retailerView(r, stores.filter((s) => s.retailerId === r.id))),
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<RetailerView & { pendingPayoutChange: PayoutDetailsChangeView | null }> {
    requireAccess(actor, 'programme.manage');
    const r = await this.retailers.findById(id);
    if (!r) throw notFound();
    const [pending] = await this.payoutChanges.pendingOf([r.id]);
    return {
      ...retailerView(r, await this.retailers.storesOf(this.db.manager, [r.id])),
      pendingPayoutChange: pending ? payoutDetailsChangeView(actor, pending, r.name, await this.users.staffNames([pending.proposedBy]), r) : null,
    };
  }

  /** The calling retailer's own stores (staff or POS key): what its till may sell from. */
  async myStores(actor: Actor): Promise<StoreView[]> {
    requireAccess(actor, 'till.use');
    return (await this.retailers.storesOf(this.db.manager, [actor.retailerId!])).map((s) => ({ id: s.id, code: s.code, name: s.name, city: s.city }));
  }

  /** Extension: a store opened after certification. Its code must be new for this retailer (409 duplicate). */
  async addStore(actor: Actor, retailerId: string, input: NewStore): Promise<StoreView> {
    requireAccess(actor, 'programme.manage');
    if (!isCityCode(input.city)) {
      throw new DomainError('validation_failed', 'The request has invalid fields', [{ field: 'city', message: 'city must be one of the eleven city codes' }]);
    }
    const store: Store = { id: newId(), retailerId, code: input.code, name: input.name, city: input.city };
    try {
      await this.db.run(async (tx) => {
        await this.existing(tx, retailerId);
        await this.retailers.insertStore(tx, store);
        await this.audit.append(tx, actor, {
          action: 'retailer.store_added', subjectType: 'retailer', subjectId: retailerId,
          details: { storeId: store.id, code: store.code, city: store.city },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'stores_retailer_id_code_key')) {
        throw new DomainError('duplicate', `This retailer already has a store with code ${input.code}`);
      }
      throw err;
    }
    return storeView(store);
  }

  /** A staff account of the retailer (role `retailer`); AuthService records `user.created` with the retailer id. */
  async addStaff(actor: Actor, retailerId: string, input: NewStaff): Promise<StaffUser> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      await this.existing(tx, retailerId);
      return this.auth.createStaff(tx, actor, { ...input, role: 'retailer', retailerId });
    });
  }

  /** A POS API key: the key is in the answer this once and never in the audit log. */
  async createApiKey(actor: Actor, retailerId: string): Promise<CreatedApiKey> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      await this.existing(tx, retailerId);
      const created = await this.apiKeys.create(tx, { retailerId });
      await this.audit.append(tx, actor, {
        action: 'retailer.api_key_created', subjectType: 'retailer', subjectId: retailerId, details: { keyId: created.id },
      });
      return created;
    });
  }

  /** Another retailer's key id is 404; revoking a revoked key is 409 `conflict` (nothing left to change). */
  async revokeApiKey(actor: Actor, retailerId: string, keyId: string): Promise<RevokedApiKey> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      await this.existing(tx, retailerId);
      const key = await this.apiKeys.lockOwned(tx, keyId, { retailerId });
      if (!key) throw new DomainError('not_found', 'This retailer has no such API key');
      if (key.revokedAt) throw new DomainError('conflict', 'This API key is already revoked');
      await this.apiKeys.revoke(tx, keyId, { retailerId });
      const revoked = await this.apiKeys.lockOwned(tx, keyId, { retailerId });
      await this.audit.append(tx, actor, {
        action: 'retailer.api_key_revoked', subjectType: 'retailer', subjectId: retailerId, details: { keyId },
      });
      return { id: keyId, revokedAt: toShanghaiIso(revoked!.revokedAt!) };
    });
  }

  /**
   * Suspending a suspended retailer (or reinstating an active one) is idempotent: 200 with the retailer as it
   * is, the first reason kept, and no second audit event. A retry after a lost answer must not read as a
   * conflict, and there is no state change to record.
   */
  suspend(actor: Actor, retailerId: string, reason: string): Promise<RetailerView> {
    return this.changeStatus(actor, retailerId, 'suspended', reason);
  }

  reinstate(actor: Actor, retailerId: string, reason: string): Promise<RetailerView> {
    return this.changeStatus(actor, retailerId, 'active', reason);
  }

  private async changeStatus(actor: Actor, retailerId: string, to: RetailerStatus, reason: string): Promise<RetailerView> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      const r = await this.retailers.lockById(tx, retailerId, 'update');
      if (!r) throw notFound();
      let current = r;
      if (r.status !== to) {
        await this.retailers.setStatus(tx, retailerId, to, reason, this.clock.now());
        await this.audit.append(tx, actor, {
          action: to === 'suspended' ? 'retailer.suspended' : 'retailer.reinstated',
          subjectType: 'retailer', subjectId: retailerId, details: { reason, from: r.status },
        });
        current = { ...r, status: to, statusReason: reason };
      }
      return retailerView(current, await this.retailers.storesOf(tx, [retailerId]));
    });
  }

  /** The retailer, share-locked so it cannot change status under this transaction; 404 if unknown. */
  private async existing(tx: Tx, retailerId: string): Promise<Retailer> {
    const r = await this.retailers.lockById(tx, retailerId, 'share');
    if (!r) throw notFound();
    return r;
  }
}

function notFound(): DomainError {
  return new DomainError('not_found', 'No retailer with this id');
}

