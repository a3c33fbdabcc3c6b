import { Module } from '@nestjs/common';
import { ProgramsModule } from '@huanxin/programs';
import { ReceiptsModule } from '@huanxin/recycling';
import { ClaimDismantlingRepository } from './claim-dismantling.repository';
import { DismantlingService } from './dismantling.service';

/** The dismantling deadline (issue 13): the worker's check and the auditor's release. */
@Module({
  imports: [ProgramsModule, ReceiptsModule],
  providers: [ClaimDismantlingRepository, DismantlingService],
  exports: [DismantlingService],
})
export class ClaimDismantlingModule {}
