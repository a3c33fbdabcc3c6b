import { Module } from '@nestjs/common';
import { AuthModule } from '@huanxin/auth';
import { CatalogModule } from '@huanxin/catalog';
import { ClaimsModule } from '@huanxin/claims';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { RetailersModule } from '@huanxin/retailers';
import { AppealReviewService } from './appeal-review.service';
import { ReviewService } from './review.service';

@Module({
  imports: [LedgerModule, ClaimsModule, ProgramsModule, RetailersModule, CatalogModule, AuthModule],
  providers: [ReviewService, AppealReviewService],
  exports: [ReviewService, AppealReviewService],
})
export class ReviewModule {}
