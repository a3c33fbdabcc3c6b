import { Module } from '@nestjs/common';
import { LedgerModule } from '@huanxin/ledger';
import { BankFileGateway } from './bank/bank-file.gateway';
import { BankImportService } from './bank/bank-import.service';
import { PayoutLedger } from './payout-ledger.service';
import { PayoutProcessor } from './payout-processor.service';
import { PayoutRunsRepository } from './payout-runs.repository';
import { PayoutRunsService } from './payout-runs.service';
import { ReconciliationService } from './reconciliation.service';
import { RetailerPayoutsService } from './retailer-payouts.service';
import { SettlementJobs } from './settlement-jobs';
import { StripeWebhooksService } from './stripe/stripe-webhooks.service';
import { StripeGateway } from './stripe/stripe.gateway';

/** Payout runs, gateways (Stripe Connect, ISO 20022 bank files), webhooks, bank imports, reconciliation. */
@Module({
  imports: [LedgerModule],
  providers: [
    PayoutRunsRepository, PayoutLedger, PayoutRunsService, PayoutProcessor, StripeGateway, BankFileGateway,
    StripeWebhooksService, BankImportService, ReconciliationService, RetailerPayoutsService, SettlementJobs,
  ],
  exports: [PayoutRunsService, PayoutProcessor, StripeWebhooksService, BankImportService, ReconciliationService, RetailerPayoutsService, SettlementJobs],
})
export class SettlementModule {}
