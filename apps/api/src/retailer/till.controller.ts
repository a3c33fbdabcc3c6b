import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { CurrentActor, Roles } from '@huanxin/auth';
import { CatalogService } from '@huanxin/catalog';
import type { Actor } from '@huanxin/core';
import { RetailersService } from '@huanxin/retailers';
import { CatalogModelDto } from '../admin/catalog.dto';
import { ApiAuth, ApiProblems } from '../http/api-docs';

class TillStoreDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() city: string;
}

class TillStoreListDto {
  @ApiProperty({ type: [TillStoreDto] }) items: TillStoreDto[];
}

class CatalogSearchQueryDto {
  @ApiProperty({ description: 'a GTIN (scanned barcode), or part of the model code, brand or name', minLength: 1, maxLength: 64 })
  @IsString()
  @Length(1, 64)
  q: string;
}

class CatalogSearchDto {
  @ApiPropertyOptional({ type: [CatalogModelDto], description: 'approved models only, at most 20, an exact GTIN first' }) items: CatalogModelDto[];
}

/** What the till reads besides claims: its own stores and the approved catalogue. */
@ApiTags('retailer')
@ApiAuth()
@Roles('retailer')
@Controller('v1/retailer')
export class TillController {
  constructor(private readonly retailers: RetailersService, private readonly catalog: CatalogService) {}

  @Get('stores')
  @ApiOperation({ summary: "The retailer's own stores" })
  @ApiOkResponse({ type: TillStoreListDto })
  @ApiProblems()
  async stores(@CurrentActor() actor: Actor): Promise<TillStoreListDto> {
    return { items: (await this.retailers.myStores(actor)).map(({ code, name, city }) => ({ code, name, city })) };
  }

  @Get('catalog')
  @ApiOperation({ summary: 'Approved models by GTIN or by part of their code, brand or name (the till\'s model picker)' })
  @ApiOkResponse({ type: CatalogSearchDto })
  @ApiProblems()
  async searchCatalog(@CurrentActor() actor: Actor, @Query() q: CatalogSearchQueryDto): Promise<CatalogSearchDto> {
    return { items: await this.catalog.searchApproved(actor, q.q) };
  }
}
