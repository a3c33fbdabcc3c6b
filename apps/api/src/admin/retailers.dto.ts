import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsEmail, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min,
  ValidateNested,
} from 'class-validator';
import { IsCityCode, ZHEJIANG_CITIES } from '@huanxin/core';
import { BANK_ACCOUNT_NUMBER_RE, STRIPE_ACCOUNT_RE } from '@huanxin/retailers';
import { OrganisationDto } from './organisation.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export const STORE_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export class StoreInputDto {
  @ApiProperty({ example: 'HZ-001', description: 'unique within the retailer; the POS sends it as storeCode (exact match)' })
  @IsString()
  @Matches(STORE_CODE_RE, { message: 'code must be 1-40 characters of letters, digits and . _ -, starting with a letter or digit' })
  code: string;

  @ApiProperty({ example: '西湖银泰店' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ZHEJIANG_CITIES })
  @IsCityCode()
  city: string;
}

export class BankAccountDto {
  @ApiProperty({ example: '杭州某某电器有限公司' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  accountName: string;

  @ApiProperty({ example: '6222020200112233445', description: '8-32 digits; stored for payment files only, answered as its last four digits' })
  @IsString()
  @Matches(BANK_ACCOUNT_NUMBER_RE, { message: 'accountNumber must be 8-32 digits' })
  accountNumber: string;

  @ApiProperty({ example: '102331000010', description: 'the receiving bank (e.g. its 12-digit CNAPS code)' })
  @IsString()
  @Matches(/^[A-Za-z0-9]{2,20}$/, { message: 'bankCode must be 2-20 letters or digits' })
  bankCode: string;
}

export class PayoutInputDto {
  @ApiPropertyOptional({ example: 'acct_1QxYzAbCdEfGh', description: 'Stripe Connect account' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(STRIPE_ACCOUNT_RE, { message: 'stripeAccountId must look like acct_ followed by letters and digits' })
  stripeAccountId?: string;

  @ApiPropertyOptional({ type: BankAccountDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BankAccountDto)
  bank?: BankAccountDto;
}

export class CreateRetailerDto extends OrganisationDto {
  @ApiProperty({ enum: ZHEJIANG_CITIES, description: 'where the retailer is registered' })
  @IsCityCode()
  city: string;

  @ApiPropertyOptional({ type: PayoutInputDto, description: 'where payouts go: a Stripe Connect account and/or a bank account' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PayoutInputDto)
  payout?: PayoutInputDto;

  @ApiProperty({ type: [StoreInputDto], minItems: 1, description: 'at least one store; codes unique within the body' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique((s: StoreInputDto | undefined) => s?.code, { message: 'stores must have unique codes' })
  @ValidateNested({ each: true })
  @Type(() => StoreInputDto)
  stores: StoreInputDto[];
}

export class CreateRetailerStaffDto {
  @ApiProperty({ example: 'till-01@retailer.example.cn', description: 'the sign-in name (POST /v1/auth/login)' })
  @IsString()
  @MaxLength(200)
  @IsEmail()
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password: string;

  @ApiProperty({ example: '王五' })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name: string;
}

export class ReasonDto {
  @ApiProperty({ example: 'invoice irregularities under review', description: 'recorded in the audit log' })
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  reason: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

// ---- answers ----

export class StoreDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'HZ-001' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
}

export class BankAccountViewDto {
  @ApiProperty() accountName: string;
  @ApiProperty({ example: '3445', description: 'the account number is never answered in full' }) accountNumberLast4: string;
  @ApiProperty() bankCode: string;
}

export class PayoutViewDto {
  @ApiProperty({ type: String, nullable: true }) stripeAccountId: string | null;
  @ApiProperty({ type: BankAccountViewDto, nullable: true }) bank: BankAccountViewDto | null;
  @ApiProperty({ example: 1, description: '1 as certified, one more at each approved change; each payout records the version it is paid with' }) version: number;
  @ApiProperty({ type: String, nullable: true, description: 'when the last approved change took effect (null: as certified)' }) changedAt: string | null;
}

export class RetailerDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: '91330100MA27XK3Q2L' }) creditCode: string;
  @ApiProperty({ enum: ZHEJIANG_CITIES }) city: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status: 'active' | 'suspended';
  @ApiProperty({ type: String, nullable: true, description: 'the reason given with the last suspension or reinstatement' }) statusReason: string | null;
  @ApiProperty({ type: PayoutViewDto }) payout: PayoutViewDto;
  @ApiProperty({ type: [StoreDto] }) stores: StoreDto[];
  @ApiProperty({ example: '2026-10-01T00:00:00+08:00', description: 'when certification began, outside the platform' }) certifiedFrom: string;
  @ApiProperty({ example: '2026-11-01T09:00:00+08:00' }) createdAt: string;
}

export class RetailerPageDto {
  @ApiProperty({ type: [RetailerDto] }) items: RetailerDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class RetailerStaffDto {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['retailer'] }) role: string;
  @ApiProperty() retailerId?: string;
}

export class ApiKeyCreatedDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'hx_…', description: 'shown this once; send it as X-Api-Key' }) key: string;
}

export class ApiKeyRevokedDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: '2026-11-01T09:00:00+08:00' }) revokedAt: string;
}
