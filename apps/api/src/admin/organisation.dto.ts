import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsOptional, IsString, Length } from 'class-validator';
import { IsCreditCode, normaliseCreditCode } from '@huanxin/core';
import { INSTANT_MESSAGE, parseInstant } from '@huanxin/programs';

/** What every certified organisation (retailer, recycler) is registered with. */
export class OrganisationDto {
  @ApiProperty({ example: '杭州某某有限公司' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: '91330100MA27XK3Q2L', description: '18-character unified social credit code (GB 32100 check character); trimmed and upper-cased' })
  @Transform(({ value }) => (typeof value === 'string' ? normaliseCreditCode(value) : value))
  @IsString()
  @IsCreditCode()
  creditCode: string;

  @ApiPropertyOptional({
    type: String, format: 'date-time', example: '2026-10-01T00:00:00+08:00',
    description: 'when certification began, outside the platform (RFC 3339); default now; not in the future',
  })
  @IsOptional()
  @Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => parseInstant(obj[key]) ?? obj[key])
  @IsDate({ message: `$property ${INSTANT_MESSAGE}` })
  certifiedFrom?: Date;
}
