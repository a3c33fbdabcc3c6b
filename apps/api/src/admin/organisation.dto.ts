import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { IsCreditCode, normaliseCreditCode } from '@huanxin/core';

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
}
