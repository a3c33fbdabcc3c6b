import { Module } from '@nestjs/common';
import { AuthModule } from '@huanxin/auth';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { LotteryRepository } from './lottery.repository';
import { LotteryService } from './lottery.service';
import { VouchersRepository } from './vouchers.repository';
import { VouchersService } from './vouchers.service';
import { WaitlistRepository } from './waitlist.repository';
import { WaitlistService } from './waitlist.service';

/** Needs `LIVE_CLAIMS` (@huanxin/core) from the process: the claims lib provides it globally (LiveClaimsModule). */
@Module({
  imports: [LedgerModule, ProgramsModule, AuthModule],
  // the lottery and the waitlist (issue 13): other ways of giving out the same vouchers
  providers: [VouchersService, VouchersRepository, LotteryService, LotteryRepository, WaitlistService, WaitlistRepository],
  exports: [VouchersService, VouchersRepository, LotteryService, WaitlistService],
})
export class VouchersModule {}
