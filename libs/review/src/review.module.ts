import { Module } from '@nestjs/common';
import { LedgerModule } from '@huanxin/ledger';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [LedgerModule],
  providers: [ReviewRepository, ReviewService],
  exports: [ReviewService],
})
export class ReviewModule {}
