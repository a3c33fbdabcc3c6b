import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { Actor, requireAccess } from '@huanxin/core';
import { ClaimFilter, ClaimFilterInput, ClaimKey, resolveClaimFilter } from '@huanxin/claims';
import { CLAIMS_CSV_HEADER } from './claims-csv.columns';
import { CSV_BOM, csvLine } from './csv';
import { ReportsRepository } from './reports.repository';
import { ProgramsRepository } from '@huanxin/programs';

/** Claims read per query; one batch is the most the export ever holds in memory. */
export const EXPORT_BATCH = 1000;

/**
 * GET /v1/auditor/exports/claims.csv: streamed from PostgreSQL in keyset batches of EXPORT_BATCH claims, oldest
 * first, each claim one CSV line built by the database (csv.ts, claims-csv.columns.ts). The next batch is read
 * only when the response has taken the previous one (the readable's backpressure), so memory stays flat however
 * many claims there are and however slow the client is.
 *
 * Why keyset batches and not a server-side cursor: pg-cursor and pg-query-stream are not installed, and a
 * DECLARE … FETCH cursor would hold one pooled connection and one open transaction for as long as the client
 * takes to download; batches hold neither between queries. The export ends at the last claim that matched when
 * it began, so claims arriving meanwhile cannot keep it going.
 */
@Injectable()
export class ClaimsExportService {
  constructor(private readonly repo: ReportsRepository, private readonly programs: ProgramsRepository) {}

  /** Validates and finds the end before the first byte, so a bad filter is a proper problem+json answer. */
  async claimsCsv(actor: Actor, input: ClaimFilterInput): Promise<Readable> {
    requireAccess(actor, 'claims.review');
    const resolved = resolveClaimFilter(input);
    const filter = resolved.programCode ? { ...resolved, programId: (await this.programs.idByCode(resolved.programCode)) ?? null } : resolved;
    const end = await this.repo.lastKey(filter);
    return Readable.from(this.chunks(filter, end), { objectMode: false });
  }

  /**
   * One Buffer a batch. The batch's lines are copied out of the JS heap as soon as they arrive: text held in
   * strings while the response drains lives long enough for V8 to pretenure it, and a 100,000-claim export then
   * left tens of MiB of garbage in the old generation; a Buffer's bytes live outside the heap and go with it.
   */
  private async *chunks(filter: ClaimFilter, end: ClaimKey | undefined): AsyncGenerator<Buffer> {
    yield Buffer.from(CSV_BOM + csvLine(CLAIMS_CSV_HEADER), 'utf8');
    let after: ClaimKey | undefined;
    while (end) {
      const rows = await this.repo.exportBatch(filter, end, EXPORT_BATCH, after);
      if (rows.length === 0) return;
      let size = 0;
      for (const r of rows) size += Buffer.byteLength(r.line, 'utf8');
      const chunk = Buffer.allocUnsafe(size);
      let at = 0;
      for (const r of rows) at += chunk.write(r.line, at, 'utf8');
      const count = rows.length;
      const last = rows[count - 1];
      after = { createdKey: last.created_key, id: last.id };
      rows.length = 0;
      yield chunk;
      if (count < EXPORT_BATCH) return;
    }
  }
}
