import type { AnswerInTransaction } from '@huanxin/database';
import { IdempotentInTransaction, InTransactionAnswer } from '@huanxin/idempotency';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ClaimAppealsService, ClaimsService } from '@huanxin/claims';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { VouchersService } from '@huanxin/vouchers';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';
import { RateLimit } from '../http/rate-limit';
import { AppealFiledDto, AppealRequestDto, PartyClaimPageDto } from '../retailer/party-claim.dto';
import { RequestVoucherDto, VoucherDto, VoucherListDto } from './household.dto';

@ApiTags('household')
@ApiAuth()
@Roles('household')
@Controller('v1/household')
export class HouseholdController {
  constructor(private readonly vouchers: VouchersService, private readonly claims: ClaimsService, private readonly appeals: ClaimAppealsService) {}

  @Post('vouchers')
  // no claim row first: a household's second open voucher is refused by a unique index anyway, and most of a
  // rush is refused — it then writes nothing at all (IdempotencyMode.claimFirst)
  @IdempotentInTransaction({ claimFirst: false, duplicateCodes: ['voucher_already_open'] })
  @RateLimit('voucher')
  @ApiOperation({ summary: "Take a voucher from today's quota of the household's city" })
  @ApiCreatedResponse({ type: VoucherDto })
  @ApiProblems('not_found', 'quota_exhausted', 'budget_exhausted', 'voucher_already_open', 'household_limit_reached', 'program_not_active', 'rate_limited', 'allocation_by_lottery')
  request(@CurrentActor() actor: Actor, @Body() dto: RequestVoucherDto, @InTransactionAnswer() answer?: AnswerInTransaction): Promise<VoucherDto> {
    return this.vouchers.issue(actor, dto.programCode, answer);
  }

  @Post('vouchers/:code/give-up')
  @HttpCode(200)
  @ApiOperation({ summary: "Give up the household's open voucher: its reservation goes back to the city's pool, for the waitlist or the next draw" })
  @ApiOkResponse({ type: VoucherDto })
  @ApiProblems('voucher_not_found', 'voucher_used', 'voucher_expired')
  giveUp(@CurrentActor() actor: Actor, @Param('code') code: string): Promise<VoucherDto> {
    return this.vouchers.giveUp(actor, code);
  }

  @Get('vouchers')
  @ApiOperation({ summary: "The household's vouchers" })
  @ApiOkResponse({ type: VoucherListDto })
  @ApiProblems()
  listVouchers(@CurrentActor() actor: Actor): Promise<VoucherListDto> {
    return this.vouchers.listMine(actor);
  }

  @Get('claims')
  @ApiOperation({ summary: "The household's claims with status and subsidy" })
  @ApiOkResponse({ type: PartyClaimPageDto })
  @ApiProblems()
  listClaims(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<PartyClaimPageDto> {
    return this.claims.list(actor, q);
  }

  @Post('claims/:id/appeal')
  @ApiOperation({ summary: "Appeal the rejection of the household's claim: once per claim (by the household or its retailer), within the policy's appealWithinDays" })
  @ApiCreatedResponse({ type: AppealFiledDto })
  @ApiProblems('not_found', 'claim_not_rejected', 'appeal_exists', 'appeal_window_closed')
  appeal(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: AppealRequestDto): Promise<AppealFiledDto> {
    return this.appeals.file(actor, id, dto.reason);
  }
}
