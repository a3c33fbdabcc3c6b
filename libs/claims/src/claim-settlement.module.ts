import { Module } from '@nestjs/common';
import { ClaimSettlementRepository } from './claim-settlement.repository';

/**
 * The claims side of settlement alone (ClaimSettlementRepository: set-based reads and moves for payout runs),
 * so the settlement library and the processes that run it (worker, payouts:import) need not load trade-ins,
 * vouchers and recycling with ClaimsModule. ClaimsModule imports and exports it too.
 */
@Module({ providers: [ClaimSettlementRepository], exports: [ClaimSettlementRepository] })
export class ClaimSettlementModule {}
