import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { CatalogService } from '@huanxin/catalog';
import type { Actor } from '@huanxin/core';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { CatalogModelDto, CatalogModelPageDto, CreateCatalogModelDto, ListCatalogModelsQueryDto } from './catalog.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/catalog/models')
export class AdminCatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @ApiOperation({ summary: 'Add a model to the catalogue (pending until approved)' })
  @ApiCreatedResponse({ type: CatalogModelDto })
  @ApiProblems(['duplicate', 'modelCode or gtin'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateCatalogModelDto): Promise<CatalogModelDto> {
    return this.catalog.create(actor, dto);
  }

  @Post(':modelCode/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a model; approving an approved model answers it unchanged' })
  @ApiOkResponse({ type: CatalogModelDto })
  @ApiProblems('model_not_found')
  approve(@CurrentActor() actor: Actor, @Param('modelCode') modelCode: string): Promise<CatalogModelDto> {
    return this.catalog.approve(actor, modelCode);
  }

  @Get()
  @ApiOperation({ summary: 'List catalogue models by model code, optionally by status' })
  @ApiOkResponse({ type: CatalogModelPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() query: ListCatalogModelsQueryDto): Promise<CatalogModelPageDto> {
    return this.catalog.list(actor, query);
  }

  @Get(':modelCode')
  @ApiOperation({ summary: 'One catalogue model (model codes match case-insensitively)' })
  @ApiOkResponse({ type: CatalogModelDto })
  @ApiProblems('model_not_found')
  get(@CurrentActor() actor: Actor, @Param('modelCode') modelCode: string): Promise<CatalogModelDto> {
    return this.catalog.get(actor, modelCode);
  }
}
