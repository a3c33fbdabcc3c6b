import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { APPEAL_STATUSES, type AppealStatus } from '@huanxin/claims';
import { IsCityCode, ZHEJIANG_CITIES } from '@huanxin/core';
import { PageQueryDto } from '../http/pagination.dto';
import { ReviewClaimDetailDto } from './review.dto';

export class AppealListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: APPEAL_STATUSES, description: 'the queue is status=open' })
  @IsOptional()
  @IsIn(APPEAL_STATUSES)
  status?: AppealStatus;

  @ApiPropertyOptional({ enum: ZHEJIANG_CITIES })
  @IsOptional()
  @IsCityCode()
  city?: string;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc', description: 'desc: newest first; asc: oldest first, to work the queue in arrival order' })
  @IsOptional()
  @IsIn(['desc', 'asc'])
  order?: 'asc' | 'desc';
}

export class AppealDecisionDto {
  @ApiProperty({ enum: ['uphold', 'dismiss'], description: 'uphold: the claim is approved, with the money movements of an approval; dismiss: it stays rejected' })
  @IsIn(['uphold', 'dismiss'])
  decision: 'uphold' | 'dismiss';

  @ApiProperty({ example: '回收商已确认单据日期错误，原驳回理由不成立', description: 'recorded on the appeal, on the claim when upheld, and in the audit log' })
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class StaffRefDto {
  @ApiProperty() id: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
}

export class AppealRejectionDto {
  @ApiProperty({ type: StaffRefDto, nullable: true, description: 'the auditor who rejected the claim: another auditor decides the appeal' }) by: StaffRefDto | null;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

export class AppealDecisionViewDto {
  @ApiProperty({ type: StaffRefDto }) by: StaffRefDto;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

export class AuditorAppealDto {
  @ApiProperty() id: string;
  @ApiProperty() claimId: string;
  @ApiProperty({ enum: APPEAL_STATUSES }) status: string;
  @ApiProperty() city: string;
  @ApiProperty() programCode: string;
  @ApiProperty() retailerId: string;
  @ApiProperty() retailerName: string;
  @ApiProperty({ enum: ['household', 'retailer'] }) appellant: string;
  @ApiProperty({ description: "the appellant's reason, as given" }) reason: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ description: "the claim's status now (rejected while the appeal is open)" }) claimStatus: string;
  @ApiProperty({ description: "the claim's subsidy, fen: what upholding moves to the retailer's payable" }) amountFen: number;
  @ApiProperty({ type: AppealRejectionDto, description: 'the rejection appealed against' }) rejection: AppealRejectionDto;
  @ApiProperty({ type: AppealDecisionViewDto, nullable: true }) decision: AppealDecisionViewDto | null;
  @ApiProperty({ description: 'open, and not rejected by the asking auditor: whether they may decide it' }) decidableByMe: boolean;
}

export class AuditorAppealPageDto {
  @ApiProperty({ type: [AuditorAppealDto] }) items: AuditorAppealDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditorAppealDetailDto extends AuditorAppealDto {
  @ApiProperty({ type: ReviewClaimDetailDto, description: 'the claim with its checks, history (the appeal and its decision included) and ledger movements' })
  claim: ReviewClaimDetailDto;
}
