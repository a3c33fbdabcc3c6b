import { Module } from '@nestjs/common';
import { CatalogModule } from '@huanxin/catalog';
import { LedgerModule } from '@huanxin/ledger';
import { RetailersModule } from '@huanxin/retailers';
import { ReceiptsModule } from '@huanxin/recycling';
import { VouchersModule } from '@huanxin/vouchers';
import { ClaimsRepository } from './claims.repository';
import { ClaimsService } from './claims.service';
import { TradeInService } from './trade-in.service';

@Module({
  imports: [LedgerModule, VouchersModule, ReceiptsModule, RetailersModule, CatalogModule],
  providers: [ClaimsRepository, ClaimsService, TradeInService],
  exports: [ClaimsRepository, ClaimsService, TradeInService],
})
export class ClaimsModule {}
