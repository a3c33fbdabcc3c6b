import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { PayoutDetailsService } from '@huanxin/retailers';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { ListPayoutDetailsChangesQueryDto, PayoutDetailsChangeDto, PayoutDetailsChangePageDto, RejectPayoutDetailsChangeDto } from './payout-details.dto';

/** The four-eyes queue of payout-details changes: an admin other than the proposer approves or rejects. */
@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/payout-details-changes')
export class AdminPayoutDetailsChangesController {
  constructor(private readonly payoutDetails: PayoutDetailsService) {}

  @Get()
  @ApiOperation({ summary: 'Payout-details changes, oldest proposal first (keyset paginated); ?status=pending is the approvals queue' })
  @ApiOkResponse({ type: PayoutDetailsChangePageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: ListPayoutDetailsChangesQueryDto): Promise<PayoutDetailsChangePageDto> {
    return this.payoutDetails.list(actor, q);
  }

  @Get(':changeId')
  @ApiOperation({ summary: 'A payout-details change (the bank account masked)' })
  @ApiOkResponse({ type: PayoutDetailsChangeDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('changeId', ParseIdPipe) changeId: string): Promise<PayoutDetailsChangeDto> {
    return this.payoutDetails.get(actor, changeId);
  }

  @Post(':changeId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: "Approve another admin's proposal: the retailer's payout details change now, in the same transaction; the next payout run uses them" })
  @ApiOkResponse({ type: PayoutDetailsChangeDto })
  @ApiProblems('not_found', ['four_eyes_required', "you proposed it, your account is younger than the proposal, or it and the proposer's are one lineage (one made the other, directly or through admins it made)"], ['change_already_decided', 'approved or rejected already'])
  approve(@CurrentActor() actor: Actor, @Param('changeId', ParseIdPipe) changeId: string): Promise<PayoutDetailsChangeDto> {
    return this.payoutDetails.approve(actor, changeId);
  }

  @Post(':changeId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: "Reject another admin's proposal (optional reason); nothing changes" })
  @ApiOkResponse({ type: PayoutDetailsChangeDto })
  @ApiProblems('not_found', ['four_eyes_required', 'you proposed it'], ['change_already_decided', 'approved or rejected already'])
  reject(@CurrentActor() actor: Actor, @Param('changeId', ParseIdPipe) changeId: string, @Body() dto: RejectPayoutDetailsChangeDto): Promise<PayoutDetailsChangeDto> {
    return this.payoutDetails.reject(actor, changeId, dto.reason);
  }
}
