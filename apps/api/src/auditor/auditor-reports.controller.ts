import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { ClaimsExportService, ReportsService } from '@huanxin/reporting';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { csvFile } from '../http/csv-file';
import { DismantlingQueryDto, DismantlingReportDto, LedgerQueryDto, LedgerReportDto, SummaryQueryDto, SummaryReportDto } from './reports.dto';
import { ClaimFilterQueryDto } from './review.dto';

@ApiTags('auditor')
@ApiAuth()
@Roles('auditor')
@Controller('v1/auditor')
export class AuditorReportsController {
  constructor(private readonly reports: ReportsService, private readonly exports: ClaimsExportService) {}

  @Get('reports/summary')
  @ApiOperation({ summary: 'Claims, subsidy and payouts by city, retailer or day, with the 4K/8K split, the grade-1 share and rejection reasons' })
  @ApiOkResponse({ type: SummaryReportDto })
  @ApiProblems('not_found')
  summary(@CurrentActor() actor: Actor, @Query() q: SummaryQueryDto): Promise<SummaryReportDto> {
    return this.reports.summary(actor, q);
  }

  @Get('reports/dismantling')
  @ApiOperation({ summary: 'Recyclers by dismantling confirmation rate and median delay in a programme (worst first)' })
  @ApiOkResponse({ type: DismantlingReportDto })
  @ApiProblems('not_found')
  dismantling(@CurrentActor() actor: Actor, @Query() q: DismantlingQueryDto): Promise<DismantlingReportDto> {
    return this.reports.dismantling(actor, q);
  }

  @Get('exports/claims.csv')
  @ApiOperation({
    summary: 'Claims as CSV, with the filters of the claim list, streamed',
    description: 'UTF-8 with a byte order mark (for Excel), RFC 4180 quoting, CRLF line ends, a header row. Phone numbers are masked '
      + "and ID numbers never appear. Free text that Excel would run as a formula is prefixed with '. The export ends at the last "
      + 'claim that matched when it started. A failure after the first bytes cuts the transfer off (no end of the chunked body): '
      + 'a download that did not end normally is incomplete.',
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'the CSV file', content: { 'text/csv': { schema: { type: 'string' } } } })
  @ApiProblems()
  async claimsCsv(@CurrentActor() actor: Actor, @Query() q: ClaimFilterQueryDto): Promise<StreamableFile> {
    return csvFile(await this.exports.claimsCsv(actor, q), 'claims.csv');
  }

  @Get('ledger')
  @ApiOperation({ summary: "Each city's budget position and whether the programme's ledger balances" })
  @ApiOkResponse({ type: LedgerReportDto })
  @ApiProblems('not_found')
  ledger(@CurrentActor() actor: Actor, @Query() q: LedgerQueryDto): Promise<LedgerReportDto> {
    return this.reports.ledgerReport(actor, q.programCode);
  }
}
