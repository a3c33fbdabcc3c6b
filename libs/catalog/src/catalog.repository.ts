import { Injectable } from '@nestjs/common';
import { fenFromDb } from '@huanxin/core';
import { queryPrepared, TransactionService, Tx } from '@huanxin/database';
import type { Resolution } from '@huanxin/policy';
import type { CatalogModel, ModelStatus, NewCatalogModel } from './catalog.types';

interface ModelRow {
  model_code: string;
  gtin: string;
  brand: string;
  name: string;
  category: string;
  resolution: Resolution;
  energy_grade: number;
  screen_inches: number;
  reference_price_fen: string;
  status: ModelStatus;
  approved_at: Date | null;
  created_at: Date;
}

const COLUMNS = `model_code, gtin, brand, name, category, resolution, energy_grade, screen_inches,
  reference_price_fen::text AS reference_price_fen, status, approved_at, created_at`;

function toModel(r: ModelRow): CatalogModel {
  return {
    modelCode: r.model_code,
    gtin: r.gtin,
    brand: r.brand,
    name: r.name,
    category: r.category,
    resolution: r.resolution,
    energyGrade: Number(r.energy_grade),
    screenInches: Number(r.screen_inches),
    referencePriceFen: fenFromDb(r.reference_price_fen),
    status: r.status,
    approvedAt: r.approved_at,
    createdAt: r.created_at,
  };
}

/** Catalogue models, keyed by their (upper-case) model code. */
@Injectable()
export class CatalogRepository {
  constructor(private readonly db: TransactionService) {}

  async insert(tx: Tx, m: NewCatalogModel, createdAt: Date): Promise<CatalogModel> {
    const rows: ModelRow[] = await tx.query(
      `INSERT INTO catalog_models (model_code, gtin, brand, name, category, resolution, energy_grade, screen_inches,
                                   reference_price_fen, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)
       RETURNING ${COLUMNS}`,
      [m.modelCode, m.gtin, m.brand, m.name, m.category, m.resolution, m.energyGrade, m.screenInches, m.referencePriceFen, createdAt],
    );
    return toModel(rows[0]);
  }

  /** Approves a pending model; undefined when there is no pending model of that code. */
  async approve(tx: Tx, modelCode: string, at: Date): Promise<CatalogModel | undefined> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [rows]: [ModelRow[], number] = await tx.query(
      `UPDATE catalog_models SET status = 'approved', approved_at = $2
        WHERE model_code = $1 AND status = 'pending'
        RETURNING ${COLUMNS}`,
      [modelCode, at],
    );
    return rows[0] ? toModel(rows[0]) : undefined;
  }

  /** Models by code, for lists that show them (one query for a page). */
  async findMany(modelCodes: string[]): Promise<Map<string, CatalogModel>> {
    const rows: ModelRow[] = modelCodes.length
      ? await this.db.manager.query(`SELECT ${COLUMNS} FROM catalog_models WHERE model_code = ANY($1::text[])`, [[...new Set(modelCodes)]])
      : [];
    return new Map(rows.map((r) => [r.model_code, toModel(r)]));
  }

  /** `tx`: the transaction to read in, or `TransactionService.manager` for the pool, always said by the caller. */
  async find(tx: Tx, modelCode: string): Promise<CatalogModel | undefined> {
    const rows: ModelRow[] = await queryPrepared(tx, `SELECT ${COLUMNS} FROM catalog_models WHERE model_code = $1`, [modelCode]);
    return rows[0] ? toModel(rows[0]) : undefined;
  }

  /** Keyset page by model code; fetches one extra row to know whether there is a next page. */
  /** Approved models whose GTIN is `q` exactly, or whose code, brand or name contains it (case-insensitive). */
  async searchApproved(q: string, limit: number): Promise<CatalogModel[]> {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows: ModelRow[] = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM catalog_models
        WHERE status = 'approved' AND (gtin = $1 OR model_code ILIKE $2 OR brand ILIKE $2 OR name ILIKE $2)
        ORDER BY (gtin = $1) DESC, brand, name, model_code
        LIMIT $3`,
      [q, like, limit],
    );
    return rows.map(toModel);
  }

  async list(q: { status?: ModelStatus; after?: string; limit: number }): Promise<CatalogModel[]> {
    const rows: ModelRow[] = await this.db.manager.query(
      `SELECT ${COLUMNS} FROM catalog_models
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR model_code > $2)
        ORDER BY model_code
        LIMIT $3`,
      [q.status ?? null, q.after ?? null, q.limit],
    );
    return rows.map(toModel);
  }
}
