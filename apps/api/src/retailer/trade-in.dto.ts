import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsResidentId, RFC3339_RE } from '@huanxin/core';
import { Transform } from 'class-transformer';
import { normaliseResidentId } from '@huanxin/core';
import { CLAIM_STATUSES, type ClaimStatus } from '@huanxin/claims';
import { PageQueryDto } from '../http/pagination.dto';

export class TradeInDto {
  @ApiProperty({ example: 'HX-7K3M-9QF2-XD4P' })
  @IsString()
  @Length(4, 40)
  voucherCode: string;

  @ApiProperty({ example: '330106199003070014', description: "the household's ID number, shown in person; never stored" })
  @Transform(({ value }) => (typeof value === 'string' ? normaliseResidentId(value) : value))
  @IsString()
  @IsResidentId()
  householdIdNumber: string;

  @ApiProperty({ example: 'HZ-001' })
  @IsString()
  @Length(1, 40)
  storeCode: string;

  @ApiProperty({ example: 'HS-55U6B' })
  @IsString()
  @Length(1, 40)
  modelCode: string;

  @ApiProperty({ example: 'SN1234567890', description: 'compared trimmed and upper-cased' })
  @IsString()
  @Length(3, 64)
  @Matches(/^[\x21-\x7e ]+$/, { message: 'serialNumber must be printable ASCII' })
  serialNumber: string;

  @ApiProperty({ example: 599900, description: 'final sale price in fen' })
  @IsInt()
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  salePriceFen: number;

  @ApiProperty({ example: 'INV-2026-000123' })
  @IsString()
  @Length(1, 64)
  invoiceNumber: string;

  @ApiProperty({ example: '2026-11-11T10:30:00+08:00' })
  @IsString()
  @Matches(RFC3339_RE, { message: 'soldAt must be an RFC 3339 time with an offset' })
  soldAt: string;

  @ApiProperty({ description: 'compact JWS signed by the recycler (API.md "Recycling receipts")' })
  @IsString()
  @MaxLength(8192)
  recyclingReceipt: string;
}

export class SubsidyDto {
  @ApiProperty({ example: 599900 }) baseFen: number;
  @ApiProperty({ example: 2000 }) rateBp: number;
  @ApiProperty({ example: 200000 }) capFen: number;
  @ApiProperty({ example: 119980 }) amountFen: number;
  @ApiProperty() capped: boolean;
}

export class TradeInResultDto {
  @ApiProperty() claimId: string;
  @ApiProperty({ enum: ['approved', 'pending_review'] }) status: 'approved' | 'pending_review';
  @ApiProperty({ type: SubsidyDto }) subsidy: SubsidyDto;
  @ApiProperty({ example: 479920 }) payableByCustomerFen: number;
  @ApiProperty({ example: 1 }) policyVersion: number;
  @ApiProperty({ type: [String], example: [] }) flags: string[];
}

export class TradeInQuoteDto {
  @ApiProperty({ enum: ['approved', 'pending_review'], description: 'what the submission would be answered now' }) status: 'approved' | 'pending_review';
  @ApiProperty({ type: SubsidyDto }) subsidy: SubsidyDto;
  @ApiProperty({ example: 479920 }) payableByCustomerFen: number;
  @ApiProperty({ example: 1 }) policyVersion: number;
  @ApiProperty({ type: [String], example: [] }) flags: string[];
}

export class ClaimDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['pending_review', 'approved', 'rejected', 'cancelled', 'in_payout', 'paid', 'payout_failed', 'clawed_back'] }) status: string;
  @ApiProperty() programCode: string;
  @ApiProperty() city: string;
  @ApiProperty() retailerId: string;
  @ApiProperty() storeCode: string;
  @ApiProperty() voucherCode: string;
  @ApiProperty() modelCode: string;
  @ApiProperty() serialNumber: string;
  @ApiProperty() invoiceNumber: string;
  @ApiProperty() salePriceFen: number;
  @ApiProperty() soldAt: string;
  @ApiProperty({ type: SubsidyDto }) subsidy: SubsidyDto;
  @ApiProperty() payableByCustomerFen: number;
  @ApiProperty() policyVersion: number;
  @ApiProperty({ type: [String] }) flags: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) cancelReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'when the claim was decided (approved or rejected)' }) decidedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: "the decision's reason (a rejection's is shown to the household)" }) decisionReason: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelledAt: string | null;
  @ApiProperty({ description: 'the last change of status (for a paid claim: when it was paid)' }) updatedAt: string;
}

export class ClaimListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CLAIM_STATUSES, description: 'only claims in this state' })
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;
}

export class ClaimPageDto {
  @ApiProperty({ type: [ClaimDto] }) items: ClaimDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class CancelClaimDto {
  @ApiProperty({ example: 'customer returned the TV' })
  @IsString()
  @Length(1, 500)
  reason: string;
}
