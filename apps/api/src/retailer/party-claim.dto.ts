import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { MAX_APPEAL_REASON_LENGTH } from '@huanxin/claims';
import { ClaimDto } from './trade-in.dto';

/** `POST /v1/household/claims/{id}/appeal`, `POST /v1/retailer/claims/{id}/appeal` */
export class AppealRequestDto {
  @ApiProperty({
    example: '回收单据上的日期是回收商系统时区错误所致，附件为回收商说明', maxLength: MAX_APPEAL_REASON_LENGTH,
    description: 'why the rejection is wrong; stored as given, shown to the auditors (not to the other party), never logged',
  })
  @IsString()
  @Length(1, MAX_APPEAL_REASON_LENGTH)
  reason: string;
}

export class AppealFiledDto {
  @ApiProperty() appealId: string;
  @ApiProperty({ enum: ['open'] }) status: 'open';
}

export class PartyAppealDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['open', 'upheld', 'dismissed'] }) status: string;
  @ApiProperty({ enum: ['household', 'retailer'], description: 'who filed it (one appeal per claim, whoever was first)' }) appellant: string;
  @ApiProperty({ nullable: true, type: String, description: "the appellant's reason; null when the other party filed it" }) reason: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ description: 'when the claim was rejected' }) rejectedAt: string;
  @ApiProperty({ nullable: true, type: String, description: "the rejection's reason (an upheld appeal replaces the claim's own decision)" }) rejectionReason: string | null;
  @ApiProperty({ nullable: true, type: String }) decidedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: "the deciding auditor's reason" }) decisionReason: string | null;
}

/** A claim as its household or retailer sees it: with the appeal against its rejection. */
export class PartyClaimDto extends ClaimDto {
  @ApiProperty({ type: PartyAppealDto, nullable: true }) appeal: PartyAppealDto | null;
  @ApiProperty({ nullable: true, type: String, description: "a rejected claim not yet appealed: until when it may be (the policy's appealWithinDays after the rejection)" })
  appealableUntil: string | null;
}

export class PartyClaimPageDto {
  @ApiProperty({ type: [PartyClaimDto] }) items: PartyClaimDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
