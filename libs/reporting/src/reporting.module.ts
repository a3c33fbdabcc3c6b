import { Module } from '@nestjs/common';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { ClaimsExportService } from './claims-export.service';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';

@Module({
  imports: [LedgerModule, ProgramsModule],
  providers: [ReportsRepository, ReportsService, ClaimsExportService],
  exports: [ReportsService, ClaimsExportService],
})
export class ReportingModule {}
