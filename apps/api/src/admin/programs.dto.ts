import { ApiProperty, OmitType, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsDefined, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsCityCode, IsFen, ZHEJIANG_CITIES } from '@huanxin/core';
import { DEFAULT_POLICY_RULES, RESOLUTIONS } from '@huanxin/policy';
import type { PolicyRules } from '@huanxin/policy';
import {
  INSTANT_MESSAGE,
  MAX_DAILY_VOUCHERS,
  MAX_GRANT_FEN,
  MAX_NOTE_LENGTH,
  MAX_PER_HOUSEHOLD_LIMIT,
  MAX_VOUCHER_VALIDITY_DAYS,
  parseInstant,
  PROGRAM_CODE_RE,
  RELEASE_TIME_RE,
} from '@huanxin/programs';

/** RFC 3339 with an offset → Date; anything else is left as it came, for @IsDate to refuse with the message. */
const toInstant = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => parseInstant(obj[key]) ?? obj[key];
const instantMessage = { message: `$property ${INSTANT_MESSAGE}` };
const TIME_EXAMPLE = '2026-11-11T10:00:00+08:00';

// The rules' schema, for OpenAPI only: parsePolicyRules checks them (every field, unknown keys refused)
// and reports each error as `rules.<path>`.

class EligibilityDto {
  @ApiProperty({ example: 'tv' }) category: string;
  @ApiProperty({ enum: RESOLUTIONS, isArray: true, example: ['4K', '8K'] }) resolutions: string[];
  @ApiProperty({ minimum: 1, maximum: 5, example: 2, description: 'grade 1 is the best' }) maxEnergyGrade: number;
}

class RateDto {
  @ApiProperty({ minimum: 1, maximum: 5 }) energyGrade: number;
  @ApiProperty({ minimum: 0, maximum: 10000, description: 'basis points of the sale price' }) rateBp: number;
}

class ResolutionBonusDto {
  @ApiPropertyOptional({ example: 0 }) '4K'?: number;
  @ApiPropertyOptional({ example: 0 }) '8K'?: number;
  @ApiPropertyOptional({ example: 0 }) FHD?: number;
}

class ReceiptWindowDto {
  @ApiProperty({ example: 180 }) daysBeforeSale: number;
  @ApiProperty({ example: 15 }) daysAfterSale: number;
}

class ReceiptRegistrationRuleDto {
  @ApiProperty({ example: true, description: 'receipts must be registered with the platform (POST /v1/recycler/receipts) to be accepted' }) required: boolean;
  @ApiProperty({ example: 24, minimum: 0, maximum: 720, description: 'hours a registration may come after the receipt\'s iat (recyclers offline)' }) graceHours: number;
}

export class PolicyRulesDto {
  @ApiProperty({ type: EligibilityDto }) eligibility: EligibilityDto;
  @ApiProperty({ type: [RateDto] }) rates: RateDto[];
  @ApiProperty({ type: ResolutionBonusDto }) resolutionBonusBp: ResolutionBonusDto;
  @ApiProperty({ example: 200000 }) capFen: number;
  @ApiProperty({ example: 1 }) roundingFen: number;
  @ApiProperty({ enum: ['half_up', 'down'] }) rounding: string;
  @ApiProperty({ type: ReceiptWindowDto }) receiptWindow: ReceiptWindowDto;
  @ApiProperty({ example: 13000 }) priceFlagRatioBp: number;
  @ApiProperty({ example: 50000000 }) maxSalePriceFen: number;
  @ApiProperty({ example: 500 }) reviewSampleBp: number;
  @ApiProperty({ example: 5 }) firstClaimsReviewed: number;
  @ApiProperty({ example: 30 }) storeBurstPerHour: number;
  @ApiPropertyOptional({ example: 15, minimum: 0, maximum: 365, description: 'days after a rejection during which the household or the retailer may appeal it (0: no appeals); absent: 15' })
  appealWithinDays?: number;
  @ApiPropertyOptional({ type: ReceiptRegistrationRuleDto, description: 'receipt transparency (issue 13); absent: not required' })
  receiptRegistration?: ReceiptRegistrationRuleDto;
  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 365, example: 7, description: 'days the recycler has to confirm the set dismantled, from the later of the sale and the receipt\'s issue time; past them the claim is flagged dismantling_unconfirmed and held from payout; null or absent: no deadline' })
  dismantleWithinDays?: number | null;
}

export class CreateProgramDto {
  @ApiProperty({ example: 'zj-tv-2026', description: '2-40 characters of a-z, 0-9 and "-"' })
  @IsString()
  @Matches(PROGRAM_CODE_RE, { message: 'code must be 2-40 characters of a-z, 0-9 and "-"' })
  code: string;

  @ApiProperty({ example: '浙江省 4K/8K 电视以旧换新', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ type: String, format: 'date-time', example: TIME_EXAMPLE, description: 'RFC 3339 with offset; whole seconds' })
  @Transform(toInstant)
  @IsDate(instantMessage)
  startsAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2027-11-11T00:00:00+08:00', description: 'after startsAt' })
  @Transform(toInstant)
  @IsDate(instantMessage)
  endsAt: Date;

  @ApiProperty({ example: 30, minimum: 1, maximum: MAX_VOUCHER_VALIDITY_DAYS })
  @IsInt()
  @Min(1)
  @Max(MAX_VOUCHER_VALIDITY_DAYS)
  voucherValidityDays: number;

  @ApiProperty({ example: 1, minimum: 1, maximum: MAX_PER_HOUSEHOLD_LIMIT })
  @IsInt()
  @Min(1)
  @Max(MAX_PER_HOUSEHOLD_LIMIT)
  perHouseholdLimit: number;

  @ApiProperty({ type: PolicyRulesDto, example: DEFAULT_POLICY_RULES, description: 'POLICY.md; becomes version 1, in force from startsAt' })
  @IsDefined()
  rules: unknown;
}

export class PublishPolicyVersionDto {
  @ApiProperty({ type: String, format: 'date-time', example: TIME_EXAMPLE, description: 'after the latest version\'s and not in the past' })
  @Transform(toInstant)
  @IsDate(instantMessage)
  effectiveFrom: Date;

  @ApiProperty({ type: PolicyRulesDto, example: DEFAULT_POLICY_RULES })
  @IsDefined()
  rules: unknown;
}

export class PolicyVersionSummaryDto {
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ format: 'date-time', example: TIME_EXAMPLE }) effectiveFrom: string;
}

export class PolicyVersionDto extends PolicyVersionSummaryDto {
  @ApiProperty({ type: PolicyRulesDto }) rules: PolicyRules;
}

export class ProgramDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'zj-tv-2026' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time', example: TIME_EXAMPLE }) startsAt: string;
  @ApiProperty({ format: 'date-time', example: TIME_EXAMPLE }) endsAt: string;
  @ApiProperty() voucherValidityDays: number;
  @ApiProperty() perHouseholdLimit: number;
  @ApiProperty({ format: 'date-time', example: TIME_EXAMPLE }) createdAt: string;
  @ApiProperty({ type: [PolicyVersionSummaryDto] }) policyVersions: PolicyVersionSummaryDto[];
}

export class ProgramPageDto {
  @ApiProperty({ type: [ProgramDto] }) items: ProgramDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class QuotaDto {
  @ApiProperty({ example: 'zj-tv-2026' }) programCode: string;
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
  @ApiProperty({ example: 200 }) dailyVouchers: number;
  @ApiProperty({ example: '10:00', description: 'HH:MM, Asia/Shanghai' }) releaseTime: string;
  @ApiPropertyOptional({ enum: ['lottery'], description: 'present for a lottery city only (absent: first come)' }) allocation?: 'lottery';
  @ApiPropertyOptional({ example: '08:00', description: 'lottery: entry window opens (the day before the draw)' }) entryOpens?: string;
  @ApiPropertyOptional({ example: '20:00', description: 'lottery: entry window closes' }) entryCloses?: string;
}

export class CityBudgetDto {
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
  @ApiProperty({ description: 'fen granted to the city in total' }) grantedFen: number;
  @ApiProperty({ description: 'fen free for new vouchers' }) availableFen: number;
  @ApiProperty({ description: 'fen held by open vouchers' }) reservedFen: number;
  @ApiProperty({ description: 'fen owed to retailers' }) payableFen: number;
  @ApiProperty({ description: 'fen paid to retailers' }) paidFen: number;
  @ApiProperty({ description: 'fen retailers owe back after clawbacks, less credits owed back to them (may be negative)' }) receivableFen: number;
}

export class ProgramDetailDto extends OmitType(ProgramDto, ['policyVersions'] as const) {
  @ApiProperty({ type: [PolicyVersionDto], description: 'oldest first' }) policyVersions: PolicyVersionDto[];
  @ApiProperty({ type: [QuotaDto] }) quotas: QuotaDto[];
  @ApiProperty({ type: [CityBudgetDto], description: 'the ledger position of each city that has been granted a budget' }) budgets: CityBudgetDto[];
}

export class GrantBudgetDto {
  @ApiProperty({ enum: ZHEJIANG_CITIES })
  @IsCityCode()
  city: string;

  @ApiProperty({ example: 50000000, minimum: 1, maximum: MAX_GRANT_FEN, description: 'positive fen; reductions are their own call' })
  @IsFen()
  @Min(1, { message: 'amountFen must be positive: a grant adds budget, reductions are their own call' })
  @Max(MAX_GRANT_FEN)
  amountFen: number;

  @ApiPropertyOptional({ maxLength: MAX_NOTE_LENGTH, example: '2026 provincial allocation, first tranche' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NOTE_LENGTH)
  note?: string;
}

export class BudgetGrantDto {
  @ApiProperty({ description: 'the ledger transaction id' }) id: string;
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
  @ApiProperty() amountFen: number;
  @ApiProperty({ type: String, nullable: true }) note: string | null;
  @ApiProperty({ format: 'date-time', example: TIME_EXAMPLE }) createdAt: string;
}

export class SetQuotaDto {
  @ApiProperty({ example: 200, minimum: 0, maximum: MAX_DAILY_VOUCHERS, description: '0 stops issuing in the city' })
  @IsInt()
  @Min(0)
  @Max(MAX_DAILY_VOUCHERS)
  dailyVouchers: number;

  @ApiProperty({ example: '10:00', description: 'HH:MM, 00:00-23:59, Asia/Shanghai' })
  @IsString()
  @Matches(RELEASE_TIME_RE, { message: 'releaseTime must be HH:MM from 00:00 to 23:59' })
  releaseTime: string;

  @ApiPropertyOptional({ enum: ['first_come', 'lottery'], description: 'first_come (the default) or lottery: a daily draw at releaseTime for the entries of the day before' })
  @IsOptional()
  @IsIn(['first_come', 'lottery'])
  allocation?: 'first_come' | 'lottery';

  @ApiPropertyOptional({ example: '08:00', description: 'lottery only: entries open at HH:MM (Asia/Shanghai) the day before the draw' })
  @IsOptional()
  @IsString()
  @Matches(RELEASE_TIME_RE, { message: 'entryOpens must be HH:MM from 00:00 to 23:59' })
  entryOpens?: string;

  @ApiPropertyOptional({ example: '20:00', description: 'lottery only: entries close at HH:MM (Asia/Shanghai), after entryOpens' })
  @IsOptional()
  @IsString()
  @Matches(RELEASE_TIME_RE, { message: 'entryCloses must be HH:MM from 00:00 to 23:59' })
  entryCloses?: string;
}

export class ProgramCodeParamsDto {
  @ApiProperty({ example: 'zj-tv-2026' })
  @IsString()
  code: string;
}

export class QuotaParamsDto extends ProgramCodeParamsDto {
  @ApiProperty({ enum: ZHEJIANG_CITIES })
  @IsCityCode()
  city: string;
}
