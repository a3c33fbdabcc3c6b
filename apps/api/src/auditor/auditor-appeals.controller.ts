import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { AppealReviewService } from '@huanxin/review';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { AppealDecisionDto, AppealListQueryDto, AuditorAppealDetailDto, AuditorAppealPageDto } from './appeals.dto';

@ApiTags('auditor')
@ApiAuth()
@Roles('auditor')
@Controller('v1/auditor/appeals')
export class AuditorAppealsController {
  constructor(private readonly appeals: AppealReviewService) {}

  @Get()
  @ApiOperation({ summary: 'Appeals against rejections, by status and city; the queue is status=open' })
  @ApiOkResponse({ type: AuditorAppealPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: AppealListQueryDto): Promise<AuditorAppealPageDto> {
    return this.appeals.list(actor, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An appeal with the rejection it contests and its claim (checks, history, ledger movements)' })
  @ApiOkResponse({ type: AuditorAppealDetailDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<AuditorAppealDetailDto> {
    return this.appeals.get(actor, id);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Uphold (the claim is approved: its amount reserved again and made payable, as an approval) or dismiss an appeal, once; not by the auditor who rejected the claim' })
  @ApiOkResponse({ type: AuditorAppealDetailDto })
  @ApiProblems(
    'not_found', 'same_auditor', 'appeal_already_decided', 'claim_not_rejected',
    ['budget_exhausted', "the city's pool can no longer cover the claim: nothing changes, the appeal stays open"],
    ['household_limit_reached', 'the household has reached its limit with other claims since the rejection'],
    ['serial_already_subsidised', 'another claim took the TV since the rejection'],
    ['receipt_already_used', 'another claim took the receipt since the rejection'],
    ['invoice_duplicate', 'another claim took the invoice number since the rejection'],
  )
  decide(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: AppealDecisionDto): Promise<AuditorAppealDetailDto> {
    return this.appeals.decide(actor, id, dto.decision, dto.reason);
  }
}
