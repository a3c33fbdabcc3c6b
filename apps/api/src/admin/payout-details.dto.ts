import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PAYOUT_DETAILS_CHANGE_STATUSES } from '@huanxin/retailers';
import { PageQueryDto } from '../http/pagination.dto';
import { BankAccountViewDto, PayoutInputDto, RetailerDto } from './retailers.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** POST /v1/admin/retailers/{id}/payout-details: at least one of the two; what is not sent is kept. */
export class ProposePayoutDetailsDto extends PayoutInputDto {}

export class PayoutDetailsChangeCreatedDto {
  @ApiProperty() changeId: string;
  @ApiProperty({ enum: ['pending_approval'] }) status: 'pending_approval';
}

export class RejectPayoutDetailsChangeDto {
  @ApiPropertyOptional({ example: 'the retailer did not ask for this; confirmed by phone', description: 'recorded with the decision and in the audit log' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  reason?: string;
}

export class ListPayoutDetailsChangesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PAYOUT_DETAILS_CHANGE_STATUSES, description: 'pending_approval (alias: pending) for the approvals queue' })
  @IsOptional()
  @Transform(({ value }) => (value === 'pending' ? 'pending_approval' : value))
  @IsIn(PAYOUT_DETAILS_CHANGE_STATUSES as unknown as string[], { message: 'status must be pending, pending_approval, approved or rejected' })
  status?: 'pending_approval' | 'approved' | 'rejected';

  @ApiPropertyOptional({ description: "one retailer's changes" })
  @IsOptional()
  @IsUUID('all', { message: 'retailerId must be a retailer id' })
  retailerId?: string;
}

export class PayoutDetailsDto {
  @ApiProperty({ nullable: true, type: String }) stripeAccountId: string | null;
  @ApiProperty({ nullable: true, type: BankAccountViewDto }) bank: BankAccountViewDto | null;
}

export class PayoutDetailsChangeDto {
  @ApiProperty() changeId: string;
  @ApiProperty() retailerId: string;
  @ApiProperty({ nullable: true, type: String }) retailerName: string | null;
  @ApiProperty({ enum: PAYOUT_DETAILS_CHANGE_STATUSES }) status: 'pending_approval' | 'approved' | 'rejected';
  @ApiProperty({ type: PayoutDetailsDto, description: 'what the change sets; a null part is kept as it is' }) proposed: PayoutDetailsDto;
  @ApiProperty({ type: PayoutDetailsDto, nullable: true, description: 'what it replaces: for a pending change the details in force now; for an approved one what it replaced; null when rejected' }) previous: PayoutDetailsDto | null;
  @ApiProperty({ nullable: true, type: Number, description: 'the payout-details version the approval made' }) version: number | null;
  @ApiProperty({ description: 'the admin who proposed it (user id)' }) proposedBy: string;
  @ApiProperty({ nullable: true, type: String }) proposedByName: string | null;
  @ApiProperty({ description: 'you proposed it: another admin must approve or reject it' }) proposedByYou: boolean;
  @ApiProperty({ example: '2026-11-20T15:04:00+08:00' }) proposedAt: string;
  @ApiProperty({ nullable: true, type: String }) decidedBy: string | null;
  @ApiProperty({ nullable: true, type: String }) decidedByName: string | null;
  @ApiProperty({ nullable: true, type: String }) decidedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the reason given with a rejection' }) reason: string | null;
}

export class PayoutDetailsChangePageDto {
  @ApiProperty({ type: [PayoutDetailsChangeDto] }) items: PayoutDetailsChangeDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

/** GET /v1/admin/retailers/{id}: the retailer, and the change of its payout details waiting for a second admin. */
export class RetailerDetailDto extends RetailerDto {
  @ApiProperty({ type: PayoutDetailsChangeDto, nullable: true, description: 'the payout-details change waiting for a second admin, or null' })
  pendingPayoutChange: PayoutDetailsChangeDto | null;
}
