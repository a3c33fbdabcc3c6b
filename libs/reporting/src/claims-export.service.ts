import { Injectable } from '@nestjs/common';
import { pipeline, type Readable } from 'node:stream';
import { Actor, requireAccess } from '@huanxin/core';
import { ClaimFilterInput, resolveClaimFilter } from '@huanxin/claims';
import { ProgramsRepository } from '@huanxin/programs';
import { CsvCrlf } from './csv';
import { ReportsRepository } from './reports.repository';

/**
 * GET /v1/auditor/exports/claims.csv: PostgreSQL writes the CSV (`COPY … TO STDOUT WITH (FORMAT csv, HEADER)`,
 * every column formatted in SQL: claims-csv.columns.ts), and its bytes stream to the response as they come, at
 * the client's pace, through one transform that only adds the CR of each record end and the BOM (csv.ts). Node
 * never decodes a row: memory stays flat however many claims there are and however slow the client is.
 *
 * The COPY holds one pooled connection for as long as the download takes, bounded by the statement timeout.
 * How it ends:
 * - the last byte: the connection goes back to the pool;
 * - the client goes away: Nest destroys the stream, the connection is closed under the COPY (copy-out.ts);
 * - the database fails mid-stream (an error, the statement timeout, the connection lost): the response is cut
 *   off without HTTP's end of body (no terminating chunk), so no client takes the part for the whole file.
 *   A failure before the first byte is an ordinary problem+json answer (503 when the database is unreachable).
 */
@Injectable()
export class ClaimsExportService {
  constructor(private readonly repo: ReportsRepository, private readonly programs: ProgramsRepository) {}

  /** Validates, and starts the COPY, before the first byte: a bad filter or a failing statement is a proper answer. */
  async claimsCsv(actor: Actor, input: ClaimFilterInput): Promise<Readable> {
    requireAccess(actor, 'claims.review');
    const resolved = resolveClaimFilter(input);
    const filter = resolved.programCode ? { ...resolved, programId: (await this.programs.idByCode(resolved.programCode)) ?? null } : resolved;
    const copy = await this.repo.claimsCsv(filter);
    // pipeline: the transform's failure or destruction (the client gone) reaches the COPY, and the COPY's the
    // transform, which is what the response reads (the error handler is Nest's: see the controller)
    return pipeline(copy, new CsvCrlf(), () => undefined);
  }
}
