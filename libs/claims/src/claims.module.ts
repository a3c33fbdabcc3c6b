import { Module } from '@nestjs/common';
import { CatalogModule } from '@huanxin/catalog';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { RetailersModule } from '@huanxin/retailers';
import { ReceiptsModule } from '@huanxin/recycling';
import { VouchersModule } from '@huanxin/vouchers';
import { ClaimAppealsRepository } from './claim-appeals.repository';
import { ClaimAppealsService } from './claim-appeals.service';
import { ClaimSettlementModule } from './claim-settlement.module';
import { ClaimsRepository } from './claims.repository';
import { ClaimsService } from './claims.service';
import { TradeInService } from './trade-in.service';

@Module({
  imports: [LedgerModule, ProgramsModule, VouchersModule, ReceiptsModule, RetailersModule, CatalogModule, ClaimSettlementModule],
  providers: [ClaimsRepository, ClaimsService, TradeInService, ClaimAppealsRepository, ClaimAppealsService],
  exports: [ClaimAppealsRepository, ClaimAppealsService, ClaimsRepository, ClaimSettlementModule, ClaimsService, TradeInService],
})
export class ClaimsModule {}
