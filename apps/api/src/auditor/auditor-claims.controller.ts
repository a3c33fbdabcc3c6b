import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { DismantlingService } from '@huanxin/claims';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { ReviewService } from '@huanxin/review';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { ClawbackDto, DecisionDto, ReviewClaimDetailDto, ReviewClaimPageDto, ReviewListQueryDto } from './review.dto';

class DismantlingReleasedDto {
  @ApiProperty() claimId: string;
  @ApiProperty({ enum: ['released'] }) dismantling: 'released';
}

@ApiTags('auditor')
@ApiAuth()
@Roles('auditor')
@Controller('v1/auditor/claims')
export class AuditorClaimsController {
  constructor(private readonly review: ReviewService, private readonly dismantling: DismantlingService) {}

  @Post(':id/dismantling-release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Let a claim held for unconfirmed dismantling (flag dismantling_unconfirmed) go to payout, with a reason' })
  @ApiOkResponse({ type: DismantlingReleasedDto })
  @ApiProblems('not_found', ['conflict', 'the claim is not held for dismantling'])
  releaseDismantling(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ClawbackDto): Promise<DismantlingReleasedDto> {
    return this.dismantling.release(actor, id, dto.reason);
  }

  @Get()
  @ApiOperation({ summary: 'Claims by status, city, retailer, flag, programme and period; the review queue is status=pending_review' })
  @ApiOkResponse({ type: ReviewClaimPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: ReviewListQueryDto): Promise<ReviewClaimPageDto> {
    return this.review.list(actor, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A claim with every check that ran, its flags, its audit history and its ledger movements' })
  @ApiOkResponse({ type: ReviewClaimDetailDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<ReviewClaimDetailDto> {
    return this.review.get(actor, id);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve (reserved → payable to the retailer) or reject (budget released) a claim pending review, once' })
  @ApiOkResponse({ type: ReviewClaimDetailDto })
  @ApiProblems('not_found', 'claim_already_decided')
  decide(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: DecisionDto): Promise<ReviewClaimDetailDto> {
    return this.review.decide(actor, id, dto.decision, dto.reason);
  }

  @Post(':id/clawback')
  @HttpCode(200)
  @ApiOperation({ summary: 'Claw back a paid claim: the retailer owes its amount (receivable), the pool gets it back' })
  @ApiOkResponse({ type: ReviewClaimDetailDto })
  @ApiProblems('not_found', 'claim_not_paid')
  clawBack(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ClawbackDto): Promise<ReviewClaimDetailDto> {
    return this.review.clawBack(actor, id, dto.reason);
  }
}
