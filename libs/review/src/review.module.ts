import { Module } from '@nestjs/common';
import { ClaimsModule } from '@huanxin/claims';
import { LedgerModule } from '@huanxin/ledger';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [LedgerModule, ClaimsModule],
  providers: [ReviewRepository, ReviewService],
  exports: [ReviewService],
})
export class ReviewModule {}
