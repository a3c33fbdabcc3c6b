import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { Actor } from '@huanxin/core';
import { assertAuditor, ClaimFilter, ClaimFilterInput, ClaimKey, resolveClaimFilter } from '@huanxin/review';
import { CLAIMS_CSV_HEADER } from './claims-csv.columns';
import { CSV_BOM, csvLine } from './csv';
import { ReportsRepository } from './reports.repository';

/** Claims read per query; one batch is the most the export ever holds in memory. */
export const EXPORT_BATCH = 1000;

/** Characters per chunk written to the response (16 Ki: well under V8's large-object threshold even in UTF-16). */
const PIECE_CHARS = 16 * 1024;

/**
 * GET /v1/auditor/exports/claims.csv: streamed from PostgreSQL in keyset batches of EXPORT_BATCH claims, oldest
 * first, each claim one CSV line built by the database (see csv.ts and claims-csv.columns.ts). The next batch
 * is read only when the response has taken the previous one (the readable's backpressure), so memory stays
 * flat however many claims there are and however slow the client is. No connection or transaction is held
 * between batches, so a slow download never starves the pool (a server-side cursor — pg-cursor is not
 * installed, and DECLARE … FETCH would need one connection and one open transaction for the whole download —
 * would hold both as long as the client takes). The export ends at the last claim that matched when it began.
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
    yield CSV_BOM + csvLine(CLAIMS_CSV_HEADER);
    let after: ClaimKey | undefined;
    while (end) {
      // The batch's rows go out of scope before the first yield: while the response drains, only its text is held.
      const batch = await this.batch(filter, end, after);
      for (const piece of batch.pieces) yield piece;
      if (batch.count < EXPORT_BATCH) return;
      after = batch.last;
    }
  }

  /**
   * A batch's lines joined into pieces of at most ~PIECE_CHARS characters. Not one string per batch: a string
   * that large lands in V8's large-object space, which only a full collection frees, and the heap would
   * swell by the export's size before one ran.
   */
  private async batch(filter: ClaimFilter, end: ClaimKey, after: ClaimKey | undefined): Promise<{ pieces: string[]; count: number; last?: ClaimKey }> {
    const rows = await this.repo.exportBatch(filter, end, EXPORT_BATCH, after);
    const pieces: string[] = [];
    let piece = '';
    for (const r of rows) {
      piece += r.line;
      if (piece.length >= PIECE_CHARS) {
        pieces.push(piece);
        piece = '';
      }
    }
    if (piece) pieces.push(piece);
    const last = rows[rows.length - 1];
    return { pieces, count: rows.length, last: last && { createdKey: last.created_key, id: last.id } };
  }
}
