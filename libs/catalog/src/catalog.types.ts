import type { Fen } from '@huanxin/core';
import type { Resolution } from '@huanxin/policy';

export type ModelStatus = 'pending' | 'approved';
export const MODEL_STATUSES: readonly ModelStatus[] = ['pending', 'approved'];

/** modelCode after normalisation (upper case): 1-40 of A-Z 0-9 . _ - */
export const MODEL_CODE_RE = /^[A-Z0-9._-]{1,40}$/;
/** Any lower-case word; only the policy decides which categories a programme pays (POLICY.md: `tv`). */
export const CATEGORY_RE = /^[a-z][a-z_]{0,29}$/;

/** What the programme office sends (POST /v1/admin/catalog/models). */
export interface NewCatalogModel {
  modelCode: string;
  gtin: string;
  brand: string;
  name: string;
  category: string;
  resolution: Resolution;
  energyGrade: number;
  screenInches: number;
  referencePriceFen: Fen;
}

/** A catalogue model as the domain sees it. */
export interface CatalogModel extends NewCatalogModel {
  status: ModelStatus;
  approvedAt: Date | null;
  createdAt: Date;
}

/** API answer: times as RFC 3339 in Asia/Shanghai. */
export interface CatalogModelView extends NewCatalogModel {
  status: ModelStatus;
  approvedAt: string | null;
  createdAt: string;
}

export interface ModelListQuery {
  status?: ModelStatus;
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
