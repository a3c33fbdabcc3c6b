import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { IdempotentInTransaction, InTransactionAnswer } from '@huanxin/idempotency';
import type { AnswerInTransaction } from '@huanxin/database';
import { LotteryService, WaitlistService } from '@huanxin/vouchers';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { RequestVoucherDto } from './household.dto';
import { LotteryEntryCreatedDto, LotteryEntryListDto, WaitlistJoinedDto, WaitlistListDto } from './allocation.dto';

/** Allocation by lottery and the waitlist (issue 13, API.md "Allocation: lottery and waitlist"). */
@ApiTags('household')
@ApiAuth()
@Roles('household')
@Controller('v1/household')
export class HouseholdAllocationController {
  constructor(private readonly lottery: LotteryService, private readonly waitlist: WaitlistService) {}

  @Post('lottery-entries')
  @IdempotentInTransaction({ claimFirst: false, duplicateCodes: ['already_entered'] })
  @ApiOperation({ summary: "Enter tomorrow's draw of the household's city (lottery cities, during the entry window)" })
  @ApiCreatedResponse({ type: LotteryEntryCreatedDto })
  @ApiProblems('not_found', 'not_a_lottery_city', 'entry_window_closed', 'already_entered', 'voucher_already_open', 'household_limit_reached', 'program_not_active')
  enter(@CurrentActor() actor: Actor, @Body() dto: RequestVoucherDto, @InTransactionAnswer() answer?: AnswerInTransaction): Promise<LotteryEntryCreatedDto> {
    return this.lottery.enter(actor, dto.programCode, answer);
  }

  @Get('lottery-entries')
  @ApiOperation({ summary: "The household's draw entries: entered, won (with the voucher), not drawn (carried into the next draw)" })
  @ApiOkResponse({ type: LotteryEntryListDto })
  @ApiProblems()
  listEntries(@CurrentActor() actor: Actor): Promise<LotteryEntryListDto> {
    return this.lottery.listMine(actor);
  }

  @Post('waitlist')
  @IdempotentInTransaction({ claimFirst: false, duplicateCodes: ['already_waitlisted'] })
  @ApiOperation({ summary: "Join today's waitlist of the household's city after it sold out (first-come cities)" })
  @ApiCreatedResponse({ type: WaitlistJoinedDto })
  @ApiProblems('not_found', 'allocation_by_lottery', 'quota_not_exhausted', 'already_waitlisted', 'voucher_already_open', 'household_limit_reached', 'program_not_active')
  joinWaitlist(@CurrentActor() actor: Actor, @Body() dto: RequestVoucherDto, @InTransactionAnswer() answer?: AnswerInTransaction): Promise<WaitlistJoinedDto> {
    return this.waitlist.join(actor, dto.programCode, answer);
  }

  @Get('waitlist')
  @ApiOperation({ summary: "The household's place on the waitlist, or the voucher it was given" })
  @ApiOkResponse({ type: WaitlistListDto })
  @ApiProblems()
  myWaitlist(@CurrentActor() actor: Actor): Promise<WaitlistListDto> {
    return this.waitlist.mine(actor);
  }
}
