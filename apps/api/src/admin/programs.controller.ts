import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { BudgetsService, PolicyVersionsService, ProgramsService, QuotasService } from '@huanxin/programs';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';
import {
  BudgetGrantDto,
  CreateProgramDto,
  GrantBudgetDto,
  PolicyVersionDto,
  ProgramDetailDto,
  ProgramDto,
  ProgramPageDto,
  PublishPolicyVersionDto,
  QuotaDto,
  QuotaParamsDto,
  SetQuotaDto,
} from './programs.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/programs')
export class AdminProgramsController {
  constructor(
    private readonly programs: ProgramsService,
    private readonly policyVersions: PolicyVersionsService,
    private readonly budgets: BudgetsService,
    private readonly quotas: QuotasService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a programme; its rules become policy version 1, in force from startsAt' })
  @ApiCreatedResponse({ type: ProgramDto })
  @ApiProblems(['duplicate', 'code'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateProgramDto): Promise<ProgramDto> {
    return this.programs.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List programmes by code' })
  @ApiOkResponse({ type: ProgramPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto): Promise<ProgramPageDto> {
    return this.programs.list(actor, query);
  }

  @Get(':code')
  @ApiOperation({ summary: 'A programme with its policy versions (rules included), quotas and city budgets' })
  @ApiOkResponse({ type: ProgramDetailDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<ProgramDetailDto> {
    return this.programs.get(actor, code);
  }

  @Post(':code/policy-versions')
  @ApiOperation({ summary: 'Publish a policy version; earlier versions stay in force for sales before effectiveFrom' })
  @ApiCreatedResponse({ type: PolicyVersionDto })
  @ApiProblems('not_found', ['policy_version_conflict', 'effectiveFrom in the past, not after the latest version, or after the programme ends'])
  publish(@CurrentActor() actor: Actor, @Param('code') code: string, @Body() dto: PublishPolicyVersionDto): Promise<PolicyVersionDto> {
    return this.policyVersions.publish(actor, code, dto);
  }

  @Post(':code/budgets')
  @ApiOperation({ summary: 'Grant budget into a city\'s pool (positive amounts only; reductions are their own call)' })
  @ApiCreatedResponse({ type: BudgetGrantDto })
  @ApiProblems('not_found')
  grant(@CurrentActor() actor: Actor, @Param('code') code: string, @Body() dto: GrantBudgetDto): Promise<BudgetGrantDto> {
    return this.budgets.grant(actor, code, dto);
  }

  @Put(':code/quotas/:city')
  @ApiOperation({ summary: 'Set a city\'s daily voucher quota and release time (Asia/Shanghai)' })
  @ApiOkResponse({ type: QuotaDto })
  @ApiProblems('not_found')
  setQuota(@CurrentActor() actor: Actor, @Param() params: QuotaParamsDto, @Body() dto: SetQuotaDto): Promise<QuotaDto> {
    return this.quotas.set(actor, params.code, params.city, dto);
  }
}
