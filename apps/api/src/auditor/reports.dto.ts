import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ZHEJIANG_CITIES } from '@huanxin/core';
import type { SummaryGroupBy } from '@huanxin/reporting';
import { TIME_BOUND_RE } from '@huanxin/claims';

export class SummaryQueryDto {
  @ApiProperty({ example: 'zj-tv-2026' })
  @IsString()
  @Length(1, 64)
  programCode: string;

  @ApiPropertyOptional({ example: '2026-11-01', description: 'from (inclusive): a Shanghai date or an RFC 3339 time; on when claims were submitted' })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'from must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: 'to: a Shanghai date (that day included) or an RFC 3339 time (exclusive)' })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'to must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  to?: string;

  @ApiPropertyOptional({ enum: ['city', 'retailer', 'day'], default: 'city', description: 'day: the Asia/Shanghai calendar day of submission' })
  @IsOptional()
  @IsIn(['city', 'retailer', 'day'])
  groupBy?: SummaryGroupBy;
}

export class RejectionCountDto {
  @ApiProperty({ example: '发票与型号不符', description: "the auditor's reason, trimmed" }) reason: string;
  @ApiProperty({ example: 3 }) count: number;
}

/**
 * The figures of a summary row. Populations: `claims`, the 4K/8K counts and `grade1Claims` count every claim
 * submitted in the period; the subsidy amounts count claims whose subsidy stands (pending review, approved,
 * in payout, paid, payout failed — not rejected, cancelled or clawed back); `paidFen` counts paid claims.
 * Rejection reasons are a per-row array (not a map) so that they keep an order and a schema.
 */
export class SummaryFiguresDto {
  @ApiProperty({ description: 'claims submitted in the period, whatever became of them' }) claims: number;
  @ApiProperty({ description: 'subsidy on claims that stand: not rejected, cancelled or clawed back' }) subsidyFen: number;
  @ApiProperty({ description: 'subsidy on paid claims (clawed-back claims are not counted)' }) paidFen: number;
  @ApiProperty({ description: 'claims on 4K models' }) claims4k: number;
  @ApiProperty({ description: 'claims on 8K models' }) claims8k: number;
  @ApiProperty({ description: 'subsidyFen on 4K models' }) subsidy4kFen: number;
  @ApiProperty({ description: 'subsidyFen on 8K models' }) subsidy8kFen: number;
  @ApiProperty({ description: 'claims on energy-grade-1 models' }) grade1Claims: number;
  @ApiProperty({ description: 'grade1Claims / claims in basis points, rounded half up (0 when there are no claims)' }) grade1ShareBp: number;
  @ApiProperty({ description: 'claims rejected by an auditor' }) rejectedClaims: number;
  @ApiProperty({ type: [RejectionCountDto], description: 'rejected claims by reason, most frequent first' }) rejections: RejectionCountDto[];
}

export class SummaryRowDto extends SummaryFiguresDto {
  @ApiProperty({ example: 'hangzhou', description: 'city code, retailer id or Shanghai date (YYYY-MM-DD)' }) key: string;
  @ApiProperty({ example: 'hangzhou', description: "what a person reads: city code, retailer's name, date" }) label: string;
}

export class SummaryReportDto {
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ['city', 'retailer', 'day'] }) groupBy: string;
  @ApiProperty({ nullable: true, type: String, description: 'the period as applied (inclusive)' }) from: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the period as applied (exclusive)' }) to: string | null;
  @ApiProperty({ type: [SummaryRowDto] }) rows: SummaryRowDto[];
  @ApiProperty({ type: SummaryFiguresDto, description: 'all rows together' }) totals: SummaryFiguresDto;
}

export class LedgerQueryDto {
  @ApiProperty({ example: 'zj-tv-2026' })
  @IsString()
  @Length(1, 64)
  programCode: string;
}

export class CityBalancesDto {
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
  @ApiProperty() grantedFen: number;
  @ApiProperty() availableFen: number;
  @ApiProperty() reservedFen: number;
  @ApiProperty({ description: 'owed to the city’s retailers' }) payableFen: number;
  @ApiProperty() paidFen: number;
  @ApiProperty({ description: 'owed by retailers after clawbacks, less credits owed back to them (negative: the programme owes more than it is owed)' }) receivableFen: number;
  @ApiProperty({ description: 'available + reserved + payable + paid − receivable = granted' }) balanced: boolean;
}

export class LedgerReportDto {
  @ApiProperty() programCode: string;
  @ApiProperty({ description: 'every city balanced and every ledger invariant holds' }) balanced: boolean;
  @ApiProperty({ type: [CityBalancesDto] }) cities: CityBalancesDto[];
  @ApiProperty({ type: [String], description: 'what the invariant check found wrong; empty when balanced' }) problems: string[];
}

export class DismantlingQueryDto {
  @ApiProperty({ example: 'zj-tv-2026' })
  @IsString()
  @Length(1, 64)
  programCode: string;

  @ApiPropertyOptional({ example: '2026-11-01', description: 'from (inclusive), on when claims were submitted' })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'from must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-30', description: 'to: a Shanghai date (included) or an RFC 3339 time (exclusive)' })
  @IsOptional()
  @Matches(TIME_BOUND_RE, { message: 'to must be a date (YYYY-MM-DD) or an RFC 3339 time' })
  to?: string;
}

export class DismantlingRowDto {
  @ApiProperty() recyclerId: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: "the programme's live claims whose receipt this recycler issued" }) claims: number;
  @ApiProperty({ description: 'of those, receipts confirmed dismantled' }) confirmed: number;
  @ApiProperty({ description: 'confirmed / claims in basis points, rounded half up' }) confirmationRateBp: number;
  @ApiProperty({ description: 'of those, claims held from payout (dismantling_unconfirmed)' }) held: number;
  @ApiProperty({ type: Number, nullable: true, description: 'median hours from the later of sale and receipt issue to the confirmation (platform clock)' })
  medianDelayHours: number | null;
}

export class DismantlingReportDto {
  @ApiProperty() programCode: string;
  @ApiProperty({ type: String, nullable: true }) from: string | null;
  @ApiProperty({ type: String, nullable: true }) to: string | null;
  @ApiProperty({ type: [DismantlingRowDto], description: 'worst confirmation rate first, then the longest median delay' }) rows: DismantlingRowDto[];
}
