import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { ApiKeysService, CreatedApiKey } from '@huanxin/auth';
import { Actor, certificationStart, Clock, decodeCursor, DomainError, encodeCursor, isUuid, isValidCreditCode, newId, normaliseCreditCode, Page, pageSize, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, TransactionService, Tx } from '@huanxin/database';
import { recyclerNotFound } from './programme-office';
import { RecyclerKeysRepository } from './recycler-keys.repository';
import { RecyclersRepository } from './recyclers.repository';
import { recyclerView } from './recycling-views';
import type { Recycler, RecyclerStatus, RecyclerSummaryView, RecyclerView } from './recycling.types';

/**
 * The programme office certifies recyclers, gives them API keys and can decertify them. Decertification
 * closes a certification period rather than erasing one, so receipts signed while certified stay valid.
 */
@Injectable()
export class RecyclersService {
  constructor(
    private readonly db: TransactionService,
    private readonly recyclers: RecyclersRepository,
    private readonly keys: RecyclerKeysRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** `certifiedFrom` (issue 13): when certification began outside the platform, the start of its first period; default now. */
  async create(actor: Actor, input: { name: string; creditCode: string; certifiedFrom?: Date }): Promise<RecyclerView> {
    requireAccess(actor, 'programme.manage');
    const creditCode = normaliseCreditCode(input.creditCode);
    if (!isValidCreditCode(creditCode)) {
      throw new DomainError('validation_failed', 'The request has invalid fields', [
        { field: 'creditCode', message: 'creditCode must be a valid 18-character unified social credit code (GB 32100 check character)' },
      ]);
    }
    const id = newId();
    const at = this.clock.now();
    const certifiedFrom = certificationStart(input.certifiedFrom, at);
    try {
      await this.db.run(async (tx) => {
        await this.recyclers.insert(tx, { id, name: input.name, creditCode, at, certifiedFrom });
        await this.audit.append(tx, actor, {
          action: 'recycler.created', subjectType: 'recycler', subjectId: id,
          details: { name: input.name, creditCode, certifiedFrom: toShanghaiIso(certifiedFrom) },
        });
      });
    } catch (err) {
      if (isUniqueViolation(err, 'recyclers_credit_code_key')) throw new DomainError('duplicate', 'A recycler with this credit code already exists');
      throw err;
    }
    const recycler: Recycler = { id, name: input.name, creditCode, status: 'certified', certifiedAt: certifiedFrom, decertifiedAt: null, createdAt: at };
    return recyclerView(recycler, [{ certifiedAt: certifiedFrom, decertifiedAt: null }], []);
  }

  /** Every recycler, certified or not, a page at a time (the programme office's list; keys and periods: `get`). */
  async list(actor: Actor, query: { limit?: number; cursor?: string }): Promise<Page<RecyclerSummaryView>> {
    requireAccess(actor, 'programme.manage');
    const limit = pageSize(query.limit);
    let afterId: string | undefined;
    if (query.cursor !== undefined) {
      afterId = decodeCursor(query.cursor);
      if (!isUuid(afterId) || !(await this.recyclers.findById(afterId))) {
        throw new DomainError('validation_failed', 'The cursor is not valid', [{ field: 'cursor', message: 'cursor must be a nextCursor from a previous page' }]);
      }
    }
    const rows = await this.recyclers.page(limit + 1, afterId);
    const items = rows.slice(0, limit);
    return {
      items: items.map((r) => {
        const { certifications: _c, keys: _k, ...summary } = recyclerView(r, [], []);
        return summary;
      }),
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null,
    };
  }

  async get(actor: Actor, id: string): Promise<RecyclerView> {
    requireAccess(actor, 'programme.manage');
    const r = await this.recyclers.findById(id);
    if (!r) throw recyclerNotFound();
    return recyclerView(r, await this.recyclers.certificationPeriods(id), await this.keys.listFor(id));
  }

  /**
   * Like retailer suspension, idempotent: decertifying a decertified recycler (or recertifying a certified
   * one) answers 200 with the recycler as it is and records nothing, since nothing changed.
   */
  decertify(actor: Actor, id: string, reason: string): Promise<RecyclerView> {
    return this.changeCertification(actor, id, 'decertified', reason);
  }

  recertify(actor: Actor, id: string, reason: string): Promise<RecyclerView> {
    return this.changeCertification(actor, id, 'certified', reason);
  }

  /** A recycler's system key (to revoke receipts): the key is in the answer this once and never in the audit log. */
  async createApiKey(actor: Actor, recyclerId: string): Promise<CreatedApiKey> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      await this.existing(tx, recyclerId);
      const created = await this.apiKeys.create(tx, { recyclerId });
      await this.audit.append(tx, actor, {
        action: 'recycler.api_key_created', subjectType: 'recycler', subjectId: recyclerId, details: { keyId: created.id },
      });
      return created;
    });
  }

  /** Another recycler's key id is 404; revoking a revoked key is 409 `conflict`. */
  async revokeApiKey(actor: Actor, recyclerId: string, keyId: string): Promise<{ id: string; revokedAt: string }> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      await this.existing(tx, recyclerId);
      const key = await this.apiKeys.lockOwned(tx, keyId, { recyclerId });
      if (!key) throw new DomainError('not_found', 'This recycler has no such API key');
      if (key.revokedAt) throw new DomainError('conflict', 'This API key is already revoked');
      await this.apiKeys.revoke(tx, keyId, { recyclerId });
      const revoked = await this.apiKeys.lockOwned(tx, keyId, { recyclerId });
      await this.audit.append(tx, actor, {
        action: 'recycler.api_key_revoked', subjectType: 'recycler', subjectId: recyclerId, details: { keyId },
      });
      return { id: keyId, revokedAt: toShanghaiIso(revoked!.revokedAt!) };
    });
  }

  private async changeCertification(actor: Actor, id: string, to: RecyclerStatus, reason: string): Promise<RecyclerView> {
    requireAccess(actor, 'programme.manage');
    return this.db.run(async (tx) => {
      const r = await this.recyclers.lockById(tx, id, 'update');
      if (!r) throw recyclerNotFound();
      if (r.status !== to) {
        const at = this.clock.now();
        if (to === 'decertified') await this.recyclers.decertify(tx, id, at);
        else await this.recyclers.recertify(tx, id, at);
        await this.audit.append(tx, actor, {
          action: to === 'decertified' ? 'recycler.decertified' : 'recycler.recertified',
          subjectType: 'recycler', subjectId: id, details: { reason },
        });
      }
      const current = (await this.recyclers.lockById(tx, id, 'update'))!; // locked above: this re-reads it
      return recyclerView(current, await this.recyclers.certificationPeriodsInTx(tx, id), await this.keys.listForInTx(tx, id));
    });
  }

  private async existing(tx: Tx, id: string): Promise<Recycler> {
    const r = await this.recyclers.lockById(tx, id, 'share');
    if (!r) throw recyclerNotFound();
    return r;
  }
}
