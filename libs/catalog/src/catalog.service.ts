import { Injectable } from '@nestjs/common';
import { AuditService } from '@huanxin/audit-log';
import { Actor, Clock, decodeCursor, DomainError, encodeCursor, FieldError, isValidGtin13, pageSize, toShanghaiIso, requireAccess } from '@huanxin/core';
import { isUniqueViolation, pgConstraint, TransactionService, Tx } from '@huanxin/database';
import { ModelFacts, RESOLUTIONS } from '@huanxin/policy';
import { CatalogRepository } from './catalog.repository';

import {
  CatalogModel,
  CatalogModelView,
  CATEGORY_RE,
  MODEL_CODE_RE,
  MODEL_STATUSES,
  ModelListQuery,
  NewCatalogModel,
  Page,
} from './catalog.types';

/** Model codes are matched case-insensitively by storing them upper-case ("hs-55u6b" is HS-55U6B). */
export function normaliseModelCode(code: string): string {
  return code.trim().toUpperCase();
}

export function catalogModelView(m: CatalogModel): CatalogModelView {
  return {
    modelCode: m.modelCode,
    gtin: m.gtin,
    brand: m.brand,
    name: m.name,
    category: m.category,
    resolution: m.resolution,
    energyGrade: m.energyGrade,
    screenInches: m.screenInches,
    referencePriceFen: m.referencePriceFen,
    status: m.status,
    approvedAt: m.approvedAt ? toShanghaiIso(m.approvedAt) : null,
    createdAt: toShanghaiIso(m.createdAt),
  };
}

/** What the policy engine needs to know about a model (`checkEligibility`, `computeSubsidy`). */
export function modelFacts(m: CatalogModel): ModelFacts {
  return { category: m.category, resolution: m.resolution, energyGrade: m.energyGrade, referencePriceFen: m.referencePriceFen, approved: m.status === 'approved' };
}

/** The DTO checks the same on the way in; this keeps the promise for callers that are not HTTP (seeds, CLIs). */
function check(m: NewCatalogModel): FieldError[] {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  if (!MODEL_CODE_RE.test(m.modelCode)) bad('modelCode', 'modelCode must be 1-40 characters of letters, digits, ".", "_" and "-"');
  if (!isValidGtin13(m.gtin)) bad('gtin', 'gtin must be a 13-digit GTIN (EAN-13 check digit)');
  if (!m.brand?.trim()) bad('brand', 'brand must not be empty');
  if (!m.name?.trim()) bad('name', 'name must not be empty');
  if (!CATEGORY_RE.test(m.category)) bad('category', 'category must be a lower-case word');
  if (!RESOLUTIONS.includes(m.resolution)) bad('resolution', `resolution must be one of ${RESOLUTIONS.join(', ')}`);
  if (!Number.isInteger(m.energyGrade) || m.energyGrade < 1 || m.energyGrade > 5) bad('energyGrade', 'energyGrade must be an integer from 1 to 5');
  if (!Number.isInteger(m.screenInches) || m.screenInches < 1 || m.screenInches > 300) bad('screenInches', 'screenInches must be an integer from 1 to 300');
  if (!Number.isSafeInteger(m.referencePriceFen) || m.referencePriceFen <= 0) bad('referencePriceFen', 'referencePriceFen must be a positive integer amount in fen');
  return errors;
}

/**
 * The catalogue of models a retailer may sell under a programme. A model is created `pending` and paid
 * on only once approved; whether it qualifies (category, resolution, energy grade) is the policy's call,
 * per version, not the catalogue's.
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly db: TransactionService,
    private readonly models: CatalogRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: NewCatalogModel): Promise<CatalogModelView> {
    requireAccess(actor, 'programme.manage');
    const m: NewCatalogModel = { ...input, modelCode: normaliseModelCode(input.modelCode ?? ''), brand: input.brand?.trim(), name: input.name?.trim() };
    const errors = check(m);
    if (errors.length) throw new DomainError('validation_failed', 'The model has invalid fields', errors);
    try {
      const created = await this.db.run(async (tx) => {
        const row = await this.models.insert(tx, m, this.clock.now());
        await this.audit.append(tx, actor, {
          action: 'catalog.model_created',
          subjectType: 'catalog_model',
          subjectId: row.modelCode,
          details: {
            gtin: row.gtin, brand: row.brand, name: row.name, category: row.category, resolution: row.resolution,
            energyGrade: row.energyGrade, screenInches: row.screenInches, referencePriceFen: row.referencePriceFen,
          },
        });
        return row;
      });
      return catalogModelView(created);
    } catch (err) {
      if (isUniqueViolation(err)) {
        const gtin = (pgConstraint(err) ?? '').includes('gtin');
        throw new DomainError('duplicate', gtin ? `A model with GTIN ${m.gtin} is already in the catalogue` : `Model ${m.modelCode} is already in the catalogue`, [
          gtin ? { field: 'gtin', message: 'gtin is already in the catalogue' } : { field: 'modelCode', message: 'modelCode is already in the catalogue' },
        ]);
      }
      throw err;
    }
  }

  /** Approving an approved model answers it unchanged (and records nothing): the call is safe to repeat. */
  async approve(actor: Actor, modelCode: string): Promise<CatalogModelView> {
    requireAccess(actor, 'programme.manage');
    const code = normaliseModelCode(modelCode);
    const model = await this.db.run(async (tx) => {
      const approved = await this.models.approve(tx, code, this.clock.now());
      if (!approved) return this.models.find(tx, code);
      await this.audit.append(tx, actor, { action: 'catalog.model_approved', subjectType: 'catalog_model', subjectId: approved.modelCode, details: {} });
      return approved;
    });
    if (!model) throw new DomainError('model_not_found', `No model ${code} in the catalogue`);
    return catalogModelView(model);
  }

  async get(actor: Actor, modelCode: string): Promise<CatalogModelView> {
    requireAccess(actor, 'programme.manage');
    const model = await this.find(this.db.manager, modelCode);
    if (!model) throw new DomainError('model_not_found', `No model ${normaliseModelCode(modelCode)} in the catalogue`);
    return catalogModelView(model);
  }

  async list(actor: Actor, query: ModelListQuery): Promise<Page<CatalogModelView>> {
    requireAccess(actor, 'programme.manage');
    if (query.status !== undefined && !MODEL_STATUSES.includes(query.status)) {
      throw new DomainError('validation_failed', 'Unknown status', [{ field: 'status', message: `status must be one of ${MODEL_STATUSES.join(', ')}` }]);
    }
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.models.list({ status: query.status, after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items: items.map(catalogModelView), nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].modelCode) : null };
  }

  /**
   * The till's model picker: approved models by GTIN (a scanned barcode) or by part of the code, brand or name.
   * Retailer staff and POS keys; at most 20 answers, the exact GTIN first.
   */
  async searchApproved(actor: Actor, q: string): Promise<CatalogModelView[]> {
    requireAccess(actor, 'catalogue.search');
    const term = q.trim();
    if (term.length < 1 || term.length > 64) {
      throw new DomainError('validation_failed', 'q must be 1 to 64 characters', [{ field: 'q', message: 'q must be 1 to 64 characters' }]);
    }
    return (await this.models.searchApproved(term, 20)).map(catalogModelView);
  }

  /** For other domains (claims): the model by code, any case, or undefined, read in `tx`. */
  find(tx: Tx, modelCode: string): Promise<CatalogModel | undefined> {
    return this.models.find(tx, normaliseModelCode(modelCode));
  }
}
