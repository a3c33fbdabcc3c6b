import type { Type } from '@nestjs/common';
import { CatalogModule } from '@huanxin/catalog';
import { LedgerModule } from '@huanxin/ledger';
import { ProgramsModule } from '@huanxin/programs';
import { ClaimDismantlingModule, ClaimsModule, LiveClaimsModule } from '@huanxin/claims';
import { ReceiptsModule } from '@huanxin/recycling';
import { VouchersModule } from '@huanxin/vouchers';
import { HouseholdController } from './household/household.controller';
import { HouseholdAllocationController } from './household/allocation.controller';
import { PublicDrawsController } from './public/draws.controller';
import { PublicController } from './public/public.controller';
import { RecyclerController } from './recycler/recycler.controller';
import { RetailerClaimsController } from './retailer/retailer-claims.controller';
import { TillController } from './retailer/till.controller';
import { RecyclingModule } from '@huanxin/recycling';
import { RetailersModule } from '@huanxin/retailers';
import { AdminRecyclersController } from './admin/recyclers.controller';
import { AdminRetailersController } from './admin/retailers.controller';
import { AdminPayoutDetailsChangesController } from './admin/payout-details-changes.controller';
import { AdminUsersController } from './admin/users.controller';
import { AdminCatalogController } from './admin/catalog.controller';
import { AdminProgramsController } from './admin/programs.controller';
import { ReviewModule } from '@huanxin/review';
import { ReportingModule } from '@huanxin/reporting';
import { AuditorAppealsController } from './auditor/auditor-appeals.controller';
import { AuditorClaimsController } from './auditor/auditor-claims.controller';
import { AuditorReportsController } from './auditor/auditor-reports.controller';
import { AuditController } from './audit/audit.controller';
import { SettlementModule } from '@huanxin/settlement';
import { AdminPayoutRunsController } from './admin/payout-runs.controller';
import { RetailerPayoutsController } from './retailer/payouts.controller';
import { StripeWebhooksController } from './webhooks/stripe-webhooks.controller';

/** Domain modules and role-facing controllers, one line each, so the app's surface reads in one place. */
export const DOMAIN_MODULES: Type[] = [
  CatalogModule,
  LedgerModule,
  ProgramsModule,
  VouchersModule,
  ClaimsModule,
  ClaimDismantlingModule,
  LiveClaimsModule,
  ReceiptsModule,
  RetailersModule,
  RecyclingModule,
  ReviewModule,
  ReportingModule,
  SettlementModule,
];
export const ROLE_CONTROLLERS: Type[] = [
  HouseholdController,
  HouseholdAllocationController,
  PublicDrawsController,
  RetailerClaimsController,
  TillController,
  RecyclerController,
  PublicController,
  AdminRetailersController,
  AdminPayoutDetailsChangesController,
  AdminRecyclersController,
  AdminUsersController,
  AdminCatalogController,
  AdminProgramsController,
  AuditorClaimsController,
  AuditorAppealsController,
  AuditorReportsController,
  AuditController,
  AdminPayoutRunsController,
  RetailerPayoutsController,
  StripeWebhooksController,
];
