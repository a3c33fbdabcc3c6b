import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQueryDto } from '../http/pagination.dto';

const PAYOUT_STATUSES = ['pending', 'sent', 'paid', 'failed'];

export class CreatePayoutRunDto {
  @ApiProperty({ example: 'zj-tv-2026', description: "the programme whose approved claims to pay" })
  @IsString()
  @Length(1, 64)
  programCode: string;
}

export class ReconciliationQueryDto {
  @ApiProperty({ description: 'the payout run to reconcile' })
  @IsUUID('all', { message: 'runId must be a payout run id' })
  runId: string;
}

export class PayoutSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() retailerId: string;
  @ApiProperty({ example: 239960, description: 'what the retailer receives: grossFen − nettedFen' }) amountFen: number;
  @ApiProperty({ example: 2 }) claimCount: number;
  @ApiProperty({ enum: PAYOUT_STATUSES, description: 'pending: written, gateway not yet called; sent: bank file written; paid; failed (claims back to approved)' }) status: string;
  @ApiProperty({ example: 239960, description: 'the claims of the payout' }) grossFen: number;
  @ApiProperty({ example: 0, description: 'open clawbacks kept back, less credits given back (negative when the credits are larger)' }) nettedFen: number;
  @ApiProperty({ nullable: true, type: String, description: 'Stripe transfer id, or the EndToEndId of the bank file' }) reference: string | null;
  @ApiProperty({ nullable: true, type: String }) failureCode: string | null;
  @ApiProperty({ nullable: true, type: String }) failureReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'where it is paid, as recorded when it was created: the connected account, or the bank account as ****1234' }) destination: string | null;
  @ApiProperty({ nullable: true, type: Number, description: "the retailer's payout-details version the payout was created under and is paid with (null: written before versions were recorded)" }) payoutDetailsVersion: number | null;
}

export class HeldRetailerDto {
  @ApiProperty() retailerId: string;
  @ApiProperty({ enum: ['retailer_suspended', 'no_payout_account', 'account_capability_lost', 'account_payouts_failing'] }) reason: string;
  @ApiProperty() claimCount: number;
  @ApiProperty() amountFen: number;
}

export class ReversalSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the earlier payout whose transfer is reversed' }) payoutId: string;
  @ApiProperty() retailerId: string;
  @ApiProperty() amountFen: number;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) reference: string | null;
  @ApiProperty({ nullable: true, type: String }) failureReason: string | null;
}

export class PayoutCountsDto {
  @ApiProperty() pending: number;
  @ApiProperty() sent: number;
  @ApiProperty() paid: number;
  @ApiProperty() failed: number;
}

export class PayoutRunDto {
  @ApiProperty() id: string;
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ['stripe', 'bank-file'] }) gateway: string;
  @ApiProperty({ enum: ['created', 'processing', 'completed'] }) status: string;
  @ApiProperty({ enum: ['manual', 'schedule'] }) trigger: string;
  @ApiProperty({ description: 'control total: payouts written' }) payoutCount: number;
  @ApiProperty({ description: 'control total: claims in them' }) claimCount: number;
  @ApiProperty() grossFen: number;
  @ApiProperty() nettedFen: number;
  @ApiProperty({ description: 'control total: grossFen − nettedFen, the sum of the payouts' }) totalFen: number;
  @ApiProperty({ type: PayoutCountsDto }) counts: PayoutCountsDto;
  @ApiProperty({ type: [PayoutSummaryDto], description: 'one per retailer with something to pay' }) payouts: PayoutSummaryDto[];
  @ApiProperty({ type: [HeldRetailerDto], description: 'retailers with approved claims held back, and why' }) held: HeldRetailerDto[];
  @ApiProperty({ type: [ReversalSummaryDto], description: 'Stripe: clawbacks that could not be netted, reversed from earlier transfers' }) reversals: ReversalSummaryDto[];
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) completedAt: string | null;
}

/** `?programCode=&limit=&cursor=`: the shared keyset page query plus a programme filter. */
export class ListPayoutRunsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'zj-tv-2026', description: "only this programme's runs (an unknown code: an empty page)" })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  programCode?: string;
}

export class PayoutRunSummaryDto extends OmitType(PayoutRunDto, ['payouts', 'held', 'reversals'] as const) {
  @ApiProperty({ example: 0, description: 'retailers with approved claims held back by the run (GET /v1/admin/payout-runs/{id} says who and why)' }) heldCount: number;
}

export class PayoutRunPageDto {
  @ApiProperty({ type: [PayoutRunSummaryDto], description: 'newest first' }) items: PayoutRunSummaryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ReconciliationMismatchDto {
  @ApiProperty({ enum: ['missing_at_gateway', 'unknown_at_gateway', 'duplicate_at_gateway', 'amount_differs', 'failed_but_paid_at_gateway', 'file_control_total_differs'] }) kind: string;
  @ApiProperty({ nullable: true, type: String }) payoutId: string | null;
  @ApiProperty({ nullable: true, type: String }) retailerId: string | null;
  @ApiProperty({ nullable: true, type: String }) reference: string | null;
  @ApiProperty() ledgerFen: number;
  @ApiProperty() gatewayFen: number;
  @ApiProperty() detail: string;
}

export class OpenPayoutDto {
  @ApiProperty() payoutId: string;
  @ApiProperty() retailerId: string;
  @ApiProperty({ enum: PAYOUT_STATUSES }) status: string;
  @ApiProperty() amountFen: number;
}

export class ReconciliationDto {
  @ApiProperty() runId: string;
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ['stripe', 'bank-file'] }) gateway: string;
  @ApiProperty({ description: "net paid per the ledger's movements naming the run's payouts" }) ledgerPaidFen: number;
  @ApiProperty({ description: 'net paid per the gateway: transfers less reversals, or imported bank records' }) gatewayPaidFen: number;
  @ApiProperty({ description: 'payouts whose ledger and gateway figures agree' }) matched: number;
  @ApiProperty({ type: [OpenPayoutDto], description: 'payouts still on their way (no bank statement yet)' }) open: OpenPayoutDto[];
  @ApiProperty({ type: [ReconciliationMismatchDto] }) mismatches: ReconciliationMismatchDto[];
  @ApiProperty() balanced: boolean;
  @ApiProperty() checkedAt: string;
}
