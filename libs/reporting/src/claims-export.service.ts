import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { Actor } from '@huanxin/core';
import { assertAuditor, ClaimFilter, ClaimFilterInput, ClaimKey, maskPhone, resolveClaimFilter } from '@huanxin/review';
import { CSV_BOM, csvField, csvLine } from './csv';
import { ExportRow, ReportsRepository } from './reports.repository';

/** Rows read per query; one batch is the most the export ever holds in memory. */
export const EXPORT_BATCH = 1000;

/**
 * The columns of claims.csv. No ID number ever (the database holds only a keyed hash and the last four
 * digits, and the export leaves even those out); the phone number is masked (138****0001).
 */
const COLUMNS: [header: string, value: (r: ExportRow) => string][] = [
  ['claim_id', (r) => r.id],
  ['created_at', (r) => r.created_at],
  ['status', (r) => r.status],
  ['program_code', (r) => csvField(r.program_code, true)],
  ['city', (r) => r.city],
  ['retailer_id', (r) => r.retailer_id],
  ['retailer_name', (r) => csvField(r.retailer_name, true)],
  ['store_code', (r) => csvField(r.store_code, true)],
  ['household_id', (r) => r.household_id],
  ['household_phone', (r) => csvField(maskPhone(r.phone))],
  ['voucher_code', (r) => csvField(r.voucher_code, true)],
  ['model_code', (r) => csvField(r.model_code, true)],
  ['resolution', (r) => r.resolution],
  ['energy_grade', (r) => String(r.energy_grade)],
  ['serial_number', (r) => csvField(r.serial_number, true)],
  ['invoice_number', (r) => csvField(r.invoice_number, true)],
  ['sale_price_fen', (r) => r.sale_price_fen],
  ['sold_at', (r) => r.sold_at],
  ['subsidy_fen', (r) => r.amount_fen],
  ['rate_bp', (r) => String(r.rate_bp)],
  ['capped', (r) => String(r.capped)],
  ['policy_version', (r) => String(r.policy_version)],
  ['flags', (r) => csvField(r.flags.join(';'))],
  ['review_reasons', (r) => csvField(r.review_reasons.join(';'))],
  ['decided_at', (r) => r.decided_at ?? ''],
  ['decision_reason', (r) => csvField(r.decision_reason, true)],
  ['cancel_reason', (r) => csvField(r.cancel_reason, true)],
];

export const EXPORT_HEADER = COLUMNS.map(([h]) => h);

/**
 * GET /v1/auditor/exports/claims.csv: streamed from PostgreSQL in keyset batches of EXPORT_BATCH rows, oldest
 * first. The next batch is read only when the response has taken the previous one (the readable's
 * backpressure), so memory stays flat however many claims there are and however slow the client is;
 * no connection or transaction is held between batches, so a slow download never starves the pool
 * (a server-side cursor would hold both for as long as the client takes). The export ends at the last
 * claim that matched when it began.
 */
@Injectable()
export class ClaimsExportService {
  constructor(private readonly repo: ReportsRepository) {}

  /** Validates and finds the end before the first byte, so a bad filter is a proper problem+json answer. */
  async claimsCsv(actor: Actor, input: ClaimFilterInput): Promise<Readable> {
    assertAuditor(actor);
    const filter = resolveClaimFilter(input);
    const end = await this.repo.lastKey(filter);
    return Readable.from(this.lines(filter, end), { objectMode: false });
  }

  private async *lines(filter: ClaimFilter, end: ClaimKey | undefined): AsyncGenerator<string> {
    yield CSV_BOM + csvLine(EXPORT_HEADER);
    if (!end) return;
    let after: ClaimKey | undefined;
    for (;;) {
      const rows = await this.repo.exportBatch(filter, end, EXPORT_BATCH, after);
      if (rows.length === 0) return;
      let chunk = '';
      for (const r of rows) chunk += csvLine(COLUMNS.map(([, value]) => value(r)));
      yield chunk;
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1];
      after = { createdKey: last.created_key, id: last.id };
    }
  }
}
