import { Module } from '@nestjs/common';
import { ClaimSettlementModule } from '@huanxin/claims';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { RetailersModule } from '@huanxin/retailers';
import { BankFileGateway } from './bank/bank-file.gateway';
import { BankFilesRepository } from './bank/bank-files.repository';
import { BankImportService } from './bank/bank-import.service';
import { ClawbacksRepository } from './clawbacks.repository';
import { PayoutLedger } from './payout-ledger.service';
import { PayoutProcessor } from './payout-processor.service';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutRunsService } from './payout-runs.service';
import { PayoutsRepository } from './payouts.repository';
import { ReconciliationService } from './reconciliation.service';
import { RetailerPayoutsService } from './retailer-payouts.service';
import { SettlementJobs } from './settlement-jobs';
import { StripeEventsRepository } from './stripe/stripe-events.repository';
import { StripeWebhooksService } from './stripe/stripe-webhooks.service';
import { StripeGateway } from './stripe/stripe.gateway';

/**
 * Payout runs, gateways (Stripe Connect, ISO 20022 bank files), webhooks, bank imports, reconciliation. Claims,
 * programmes, retailers and the ledger are read and moved through their owners (one owner per table).
 */
@Module({
  imports: [LedgerModule, ClaimSettlementModule, ProgramsModule, RetailersModule],
  providers: [
    PayoutRunsRepository, PayoutsRepository, ClawbacksRepository, BankFilesRepository, StripeEventsRepository,
    PayoutLedger, PayoutRunsService, PayoutProcessor, StripeGateway, BankFileGateway,
    StripeWebhooksService, BankImportService, ReconciliationService, RetailerPayoutsService, SettlementJobs,
  ],
  exports: [PayoutRunsService, PayoutProcessor, StripeWebhooksService, BankImportService, ReconciliationService, RetailerPayoutsService, SettlementJobs],
})
export class SettlementModule {}
