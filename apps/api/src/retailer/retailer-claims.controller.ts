import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ClaimAppealsService, ClaimsService, TradeInService } from '@huanxin/claims';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import type { AnswerInTransaction } from '@huanxin/database';
import { IdempotencyRequired, IdempotentInTransaction, InTransactionAnswer, NotIdempotent } from '@huanxin/idempotency';
import { ApiAuth, ApiProblems, ProblemDeclaration } from '../http/api-docs';
import { AppealFiledDto, AppealRequestDto, PartyClaimDto, PartyClaimPageDto } from './party-claim.dto';
import { CancelClaimDto, ClaimListQueryDto, TradeInDto, TradeInQuoteDto, TradeInResultDto } from './trade-in.dto';

/** Every refusal of the trade-in checklist (DESIGN.md): a submission and a quote answer the same ones. */
const TRADE_IN_PROBLEMS: ProblemDeclaration[] = [
  'receipt_malformed',
  'voucher_not_found', 'model_not_found', ['not_found', 'no such store for this retailer'],
  'voucher_used', 'serial_already_subsidised', 'invoice_duplicate', 'receipt_already_used', 'household_limit_reached',
  ['budget_exhausted', "the pool cannot cover what a later policy's higher cap adds to the voucher's reservation"],
  'voucher_expired', 'voucher_not_owned', 'retailer_not_active', 'store_not_in_city', 'model_not_eligible', 'sale_outside_program',
  'sale_in_future', 'price_invalid', 'receipt_signature_invalid', 'receipt_key_unknown', 'receipt_key_revoked', 'recycler_not_certified',
  'receipt_revoked', 'receipt_wrong_category', 'receipt_holder_mismatch', 'receipt_outside_window',
  ['receipt_not_registered', "the policy requires receipts registered with the platform (receiptRegistration), within its graceHours"],
];

@ApiTags('retailer')
@ApiAuth()
@Roles('retailer')
@Controller('v1/retailer')
export class RetailerClaimsController {
  constructor(private readonly tradeIns: TradeInService, private readonly claims: ClaimsService, private readonly appeals: ClaimAppealsService) {}

  @Post('trade-ins')
  @IdempotentInTransaction()
  @IdempotencyRequired()
  @ApiOperation({ summary: 'Submit a trade-in at the till; answers with the discount to apply' })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'retries with the same key return the same answer' })
  @ApiCreatedResponse({ type: TradeInResultDto })
  @ApiProblems(...TRADE_IN_PROBLEMS, 'idempotency_in_progress')
  submit(@CurrentActor() actor: Actor, @Body() dto: TradeInDto, @InTransactionAnswer() answer?: AnswerInTransaction): Promise<TradeInResultDto> {
    return this.tradeIns.submit(actor, dto, answer);
  }

  @Post('trade-ins/quote')
  @HttpCode(200)
  @NotIdempotent()
  @ApiOperation({ summary: 'Every check of a trade-in and its subsidy, changing nothing: what the till shows before the sale is confirmed' })
  @ApiOkResponse({ type: TradeInQuoteDto })
  @ApiProblems(...TRADE_IN_PROBLEMS)
  quote(@CurrentActor() actor: Actor, @Body() dto: TradeInDto): Promise<TradeInQuoteDto> {
    return this.tradeIns.quote(actor, dto);
  }

  @Get('claims')
  @ApiOperation({ summary: "The retailer's own claims, newest first" })
  @ApiOkResponse({ type: PartyClaimPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: ClaimListQueryDto): Promise<PartyClaimPageDto> {
    return this.claims.list(actor, q);
  }

  @Get('claims/:id')
  @ApiOperation({ summary: "One of the retailer's claims; another retailer's is 404" })
  @ApiOkResponse({ type: PartyClaimDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<PartyClaimDto> {
    return this.claims.get(actor, id);
  }

  @Post('claims/:id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'The TV came back: cancel before payout, or turn into a clawback after' })
  @ApiOkResponse({ type: PartyClaimDto })
  @ApiProblems('not_found', 'claim_not_cancellable')
  cancel(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: CancelClaimDto): Promise<PartyClaimDto> {
    return this.claims.cancel(actor, id, dto.reason);
  }

  @Post('claims/:id/appeal')
  @ApiOperation({ summary: "Appeal the rejection of one of the retailer's claims: once per claim (by the retailer or the household), within the policy's appealWithinDays" })
  @ApiCreatedResponse({ type: AppealFiledDto })
  @ApiProblems('not_found', 'claim_not_rejected', 'appeal_exists', 'appeal_window_closed')
  appeal(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: AppealRequestDto): Promise<AppealFiledDto> {
    return this.appeals.file(actor, id, dto.reason);
  }
}
