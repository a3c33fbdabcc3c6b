import { Module } from '@nestjs/common';
import { AuthModule } from '@huanxin/auth';
import { RetailersRepository } from './retailers.repository';
import { RetailersService } from './retailers.service';
import { PayoutDetailsChangesRepository } from './payout-details-changes.repository';
import { PayoutDetailsService } from './payout-details.service';

/**
 * Certified retailers and their stores. Other modules import it for `RetailersRepository` look-ups. Imports what
 * RetailersService needs (AuthModule), so processes without the API's modules (worker, scripts) can load it.
 */
@Module({
  imports: [AuthModule],
  providers: [RetailersRepository, RetailersService, PayoutDetailsChangesRepository, PayoutDetailsService],
  exports: [RetailersRepository, RetailersService, PayoutDetailsService],
})
export class RetailersModule {}
