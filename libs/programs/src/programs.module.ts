import { Module } from '@nestjs/common';
import { LedgerModule } from '@huanxin/ledger';
import { BudgetsService } from './budgets.service';
import { PolicyVersionsService } from './policy-versions.service';
import { ProgramsRepository } from './programs.repository';
import { ProgramsService } from './programs.service';
import { QuotasService } from './quotas.service';

@Module({
  imports: [LedgerModule],
  providers: [ProgramsRepository, ProgramsService, PolicyVersionsService, BudgetsService, QuotasService],
  exports: [ProgramsRepository, ProgramsService, PolicyVersionsService, BudgetsService, QuotasService],
})
export class ProgramsModule {}
