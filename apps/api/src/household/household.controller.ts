import { IdempotentInTransaction } from '@huanxin/idempotency';
import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ClaimsService } from '@huanxin/claims';
import type { Actor } from '@huanxin/core';
import { VouchersService } from '@huanxin/vouchers';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';
import { RateLimit } from '../http/rate-limit';
import { ClaimPageDto } from '../retailer/trade-in.dto';
import { RequestVoucherDto, VoucherDto, VoucherListDto } from './household.dto';

@ApiTags('household')
@ApiAuth()
@Roles('household')
@Controller('v1/household')
export class HouseholdController {
  constructor(private readonly vouchers: VouchersService, private readonly claims: ClaimsService) {}

  @Post('vouchers')
  // no claim row first: a household's second open voucher is refused by a unique index anyway, and most of a
  // rush is refused — it then writes nothing at all (IdempotencyMode.claimFirst)
  @IdempotentInTransaction({ claimFirst: false, duplicateCodes: ['voucher_already_open'] })
  @RateLimit('voucher')
  @ApiOperation({ summary: "Take a voucher from today's quota of the household's city" })
  @ApiCreatedResponse({ type: VoucherDto })
  @ApiProblems('not_found', 'quota_exhausted', 'budget_exhausted', 'voucher_already_open', 'household_limit_reached', 'program_not_active', 'rate_limited')
  request(@CurrentActor() actor: Actor, @Body() dto: RequestVoucherDto): Promise<VoucherDto> {
    return this.vouchers.issue(actor, dto.programCode);
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
  @ApiOkResponse({ type: ClaimPageDto })
  @ApiProblems()
  listClaims(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<ClaimPageDto> {
    return this.claims.list(actor, q);
  }
}
