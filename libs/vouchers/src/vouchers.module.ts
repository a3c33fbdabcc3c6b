import { Module } from '@nestjs/common';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramFactsRepository } from './program-facts.repository';
import { VouchersRepository } from './vouchers.repository';
import { VouchersService } from './vouchers.service';

@Module({
  imports: [LedgerModule],
  providers: [VouchersService, VouchersRepository, ProgramFactsRepository],
  exports: [VouchersService, VouchersRepository, ProgramFactsRepository],
})
export class VouchersModule {}
