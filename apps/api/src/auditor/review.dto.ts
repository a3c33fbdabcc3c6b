import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import type { ClaimStatus } from '@huanxin/claims';
import { IsCityCode, ZHEJIANG_CITIES } from '@huanxin/core';
import { CLAIM_STATUSES, TIME_BOUND_RE } from '@huanxin/claims';
import { PageQueryDto } from '../http/pagination.dto';
import { ClaimDto } from '../retailer/trade-in.dto';

const TIME_BOUND = 'a Shanghai date (YYYY-MM-DD: the whole day) or an RFC 3339 time; on when the claim was submitted';

/** The filters of API.md's auditor list, shared by the list and the CSV export. */
export class ClaimFilterQueryDto {
  @ApiPropertyOptional({ enum: CLAIM_STATUSES })
  @IsOptional()
  @IsIn(CLAIM_STATUSES)
  status?: ClaimStatus;

  @ApiPropertyOptional({ enum: ZHEJIANG_CITIES })
  @IsOptional()
  @IsCityCode()
  city?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  retailerId?: string;

  @ApiPropertyOptional({ example: 'price_above_reference', description: 'claims carrying this risk flag (POLICY.md)' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]{0,39}$/, { message: 'flag must be a flag name such as price_above_reference' })
  flag?: string;

  @ApiPropertyOptional({ example: 'zj-tv-2026' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  programCode?: string;

  @ApiPropertyOptional({ example: '2026-11-01', description: `from (inclusive): ${TIME_BOUND}` })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'from must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: `to: ${TIME_BOUND}; a date includes that day, a time is exclusive` })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'to must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  to?: string;
}

export class ReviewListQueryDto extends IntersectionType(ClaimFilterQueryDto, PageQueryDto) {
  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc', description: 'desc: newest first; asc: oldest first, to work a queue in arrival order' })
  @IsOptional()
  @IsIn(['desc', 'asc'])
  order?: 'asc' | 'desc';
}

export class DecisionDto {
  @ApiProperty({ enum: ['approve', 'reject'] })
  @IsIn(['approve', 'reject'])
  decision: 'approve' | 'reject';

  @ApiProperty({ example: '发票与型号不符', description: 'recorded on the claim and in the audit log; reports count rejections by it' })
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class ClawbackDto {
  @ApiProperty({ example: '回收单据伪造' })
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class DecisionViewDto {
  @ApiProperty({ nullable: true, type: String, description: "the deciding auditor's user id" }) decidedBy: string | null;
  @ApiProperty({ nullable: true, type: String }) decidedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

export class ReviewClaimDto extends ClaimDto {
  @ApiProperty() retailerName: string;
  @ApiProperty({ enum: ['4K', '8K', 'FHD'] }) resolution: string;
  @ApiProperty({ example: 1 }) energyGrade: number;
  @ApiProperty({ type: [String], description: 'why the claim went to review: its flags, first_claims, sample; empty if approved automatically' })
  reviewReasons: string[];
  @ApiProperty({ type: DecisionViewDto, nullable: true, description: "the auditor's decision; null while pending and for claims approved automatically" })
  decision: DecisionViewDto | null;
}

export class ReviewClaimPageDto {
  @ApiProperty({ type: [ReviewClaimDto] }) items: ReviewClaimDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class HouseholdRefDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: '138****0001', description: 'masked' }) phone: string;
  @ApiProperty({ nullable: true, type: String, example: '1234', description: 'the ID number is never stored; only its last four digits' })
  idNumberLast4: string | null;
}

export class ReceiptRefDto {
  @ApiProperty({ description: 'recycler id' }) issuer: string;
  @ApiProperty() rid: string;
  @ApiProperty({ description: "the receipt's issue time: its registration with the platform when registered, else its iat" }) issuedAt: string;
  @ApiProperty({
    enum: ['held', 'confirmed', 'released'], nullable: true,
    description: 'held: past the policy\'s dismantleWithinDays unconfirmed, kept out of payout (flag dismantling_unconfirmed); confirmed: the recycler confirmed the set dismantled (by the deadline, or ending a hold); released: an auditor let a held claim go; null: not judged (no deadline, or not reached)',
  })
  dismantling: 'held' | 'confirmed' | 'released' | null;
}

export class CheckDto {
  @ApiProperty({ example: 'receipt' }) check: string;
  @ApiProperty({ example: 'ok', description: 'ok, or what passed with a remark (e.g. after_sale)' }) result: string;
}

export class HistoryEventDto {
  @ApiProperty() id: string;
  @ApiProperty() at: string;
  @ApiProperty({ example: 'claim.submitted' }) action: string;
  @ApiProperty({ example: 'claim' }) subjectType: string;
  @ApiProperty({ nullable: true, type: String }) subjectId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) actor: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}

export class MovementEntryDto {
  @ApiProperty({ enum: ['granted', 'available', 'reserved', 'payable', 'paid', 'receivable'] }) account: string;
  @ApiProperty({ nullable: true, type: String }) retailerId: string | null;
  @ApiProperty({ description: 'signed fen' }) amountFen: number;
}

export class MovementDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'commit' }) kind: string;
  @ApiProperty({ nullable: true, type: String }) reference: string | null;
  @ApiProperty({ nullable: true, type: String }) note: string | null;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
  @ApiProperty() at: string;
  @ApiProperty({ type: [MovementEntryDto] }) entries: MovementEntryDto[];
}

export class ReviewClaimDetailDto extends ReviewClaimDto {
  @ApiProperty({ type: HouseholdRefDto }) household: HouseholdRefDto;
  @ApiProperty({ type: ReceiptRefDto }) receipt: ReceiptRefDto;
  @ApiProperty({ type: [CheckDto], description: 'every check the trade-in passed, in the order they ran' }) checks: CheckDto[];
  @ApiProperty({ type: [HistoryEventDto], description: "the claim's audit events and its voucher's, in order" }) history: HistoryEventDto[];
  @ApiProperty({ type: [MovementDto], description: 'ledger movements referring to the claim or its voucher, in order' }) ledgerMovements: MovementDto[];
}
