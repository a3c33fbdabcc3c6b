import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { PayoutDetailsService } from '@huanxin/retailers';
import { RetailerPayoutsService } from '@huanxin/settlement';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';
import { RetailerPayoutDetailsDto, RetailerPayoutPageDto } from './payouts.dto';

@ApiTags('retailer')
@ApiAuth()
@Roles('retailer')
@Controller('v1/retailer')
export class RetailerPayoutsController {
  constructor(
    private readonly payouts: RetailerPayoutsService,
    private readonly details: PayoutDetailsService,
  ) {}

  @Get('payouts')
  @ApiOperation({ summary: "The retailer's payouts, newest first, each with its claims, the clawbacks netted and its totals" })
  @ApiOkResponse({ type: RetailerPayoutPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<RetailerPayoutPageDto> {
    return this.payouts.list(actor, q);
  }

  @Get('payout-details')
  @ApiOperation({ summary: 'Where the retailer is paid (masked), since when, and whether a change waits for approval' })
  @ApiOkResponse({ type: RetailerPayoutDetailsDto })
  @ApiProblems('not_found')
  payoutDetails(@CurrentActor() actor: Actor): Promise<RetailerPayoutDetailsDto> {
    return this.details.notice(actor);
  }
}
