import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsFen, IsGtin13 } from '@huanxin/core';
import { CATEGORY_RE, MODEL_CODE_RE, MODEL_STATUSES, normaliseModelCode } from '@huanxin/catalog';
import type { ModelStatus } from '@huanxin/catalog';
import { RESOLUTIONS } from '@huanxin/policy';
import type { Resolution } from '@huanxin/policy';
import { PageQueryDto } from '../http/pagination.dto';

const NOT_BLANK = /\S/;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateCatalogModelDto {
  @ApiProperty({ example: 'HS-55U6B', description: '1-40 characters of letters, digits, ".", "_" and "-"; stored upper-case' })
  @Transform(({ value }) => (typeof value === 'string' ? normaliseModelCode(value) : value))
  @IsString()
  @Matches(MODEL_CODE_RE, { message: 'modelCode must be 1-40 characters of letters, digits, ".", "_" and "-"' })
  modelCode: string;

  @ApiProperty({ example: '6978470719897', description: 'EAN-13, check digit verified' })
  @IsString()
  @IsGtin13()
  gtin: string;

  @ApiProperty({ example: 'Hisense', maxLength: 60 })
  @Transform(trim)
  @IsString()
  @Length(1, 60)
  @Matches(NOT_BLANK, { message: 'brand must not be blank' })
  brand: string;

  @ApiProperty({ example: 'Hisense 55-inch 4K TV', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @Length(1, 120)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ example: 'tv', description: 'a lower-case word; the policy decides which categories a programme pays (tv)' })
  @IsString()
  @Matches(CATEGORY_RE, { message: 'category must be a lower-case word' })
  category: string;

  @ApiProperty({ enum: RESOLUTIONS })
  @IsIn(RESOLUTIONS)
  resolution: Resolution;

  @ApiProperty({ minimum: 1, maximum: 5, description: 'China energy label grade; 1 is the best' })
  @IsInt()
  @Min(1)
  @Max(5)
  energyGrade: number;

  @ApiProperty({ example: 55, minimum: 1, maximum: 300 })
  @IsInt()
  @Min(1)
  @Max(300)
  screenInches: number;

  @ApiProperty({ example: 475000, description: 'reference street price in fen (positive integer)' })
  @IsFen()
  @Min(1, { message: 'referencePriceFen must be positive' })
  referencePriceFen: number;
}

export class CatalogModelDto {
  @ApiProperty({ example: 'HS-55U6B' }) modelCode: string;
  @ApiProperty({ example: '6978470719897' }) gtin: string;
  @ApiProperty() brand: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'tv' }) category: string;
  @ApiProperty({ enum: RESOLUTIONS }) resolution: Resolution;
  @ApiProperty({ minimum: 1, maximum: 5 }) energyGrade: number;
  @ApiProperty() screenInches: number;
  @ApiProperty({ description: 'fen' }) referencePriceFen: number;
  @ApiProperty({ enum: MODEL_STATUSES }) status: ModelStatus;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2026-11-11T10:00:00+08:00' }) approvedAt: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-11T09:00:00+08:00' }) createdAt: string;
}

export class CatalogModelPageDto {
  @ApiProperty({ type: [CatalogModelDto] }) items: CatalogModelDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** `?status=&limit=&cursor=`: the shared keyset page query plus a status filter. */
export class ListCatalogModelsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MODEL_STATUSES })
  @IsOptional()
  @IsIn(MODEL_STATUSES)
  status?: ModelStatus;
}
