import { Module } from '@nestjs/common';
import { AuthModule } from '@huanxin/auth';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { VouchersRepository } from './vouchers.repository';
import { VouchersService } from './vouchers.service';

/** Needs `LIVE_CLAIMS` (@huanxin/core) from the process: the claims lib provides it globally (LiveClaimsModule). */
@Module({
  imports: [LedgerModule, ProgramsModule, AuthModule],
  providers: [VouchersService, VouchersRepository],
  exports: [VouchersService, VouchersRepository],
})
export class VouchersModule {}
