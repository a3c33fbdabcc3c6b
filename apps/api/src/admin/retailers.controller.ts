import { IdempotentWithoutSecrets } from '@huanxin/idempotency';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { PayoutDetailsService, RetailersService } from '@huanxin/retailers';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PayoutDetailsChangeCreatedDto, ProposePayoutDetailsDto, RetailerDetailDto } from './payout-details.dto';
import {
  ApiKeyCreatedDto, ApiKeyRevokedDto, CreateRetailerDto, CreateRetailerStaffDto, ListQueryDto, ReasonDto, RetailerDto, RetailerPageDto,
  RetailerStaffDto, StoreDto, StoreInputDto,
} from './retailers.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/retailers')
export class AdminRetailersController {
  constructor(
    private readonly retailers: RetailersService,
    private readonly payoutDetails: PayoutDetailsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Certify a retailer with its stores and payout details' })
  @ApiCreatedResponse({ type: RetailerDto })
  @ApiProblems(['duplicate', 'credit code already certified'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateRetailerDto): Promise<RetailerDto> {
    return this.retailers.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List retailers in certification order (keyset paginated)' })
  @ApiOkResponse({ type: RetailerPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() query: ListQueryDto): Promise<RetailerPageDto> {
    return this.retailers.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A retailer with its stores and the payout-details change waiting for approval, if any' })
  @ApiOkResponse({ type: RetailerDetailDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<RetailerDetailDto> {
    return this.retailers.get(actor, id);
  }

  @Post(':id/payout-details')
  @ApiOperation({
    summary: 'Propose new payout details (Stripe account and/or bank account); nothing changes until another admin approves',
    description: 'One pending change a retailer at a time. The bank account number is stored sealed and answered as its last four digits.',
  })
  @ApiCreatedResponse({ type: PayoutDetailsChangeCreatedDto })
  @ApiProblems('not_found', ['payout_details_change_pending', 'a change for this retailer already waits for approval'])
  proposePayoutDetails(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ProposePayoutDetailsDto): Promise<PayoutDetailsChangeCreatedDto> {
    return this.payoutDetails.propose(actor, id, dto);
  }

  @Post(':id/stores')
  @ApiOperation({ summary: 'Add a store to a retailer' })
  @ApiCreatedResponse({ type: StoreDto })
  @ApiProblems('not_found', ['duplicate', 'store code already used by this retailer'])
  addStore(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: StoreInputDto): Promise<StoreDto> {
    return this.retailers.addStore(actor, id, dto);
  }

  @Post(':id/staff')
  @ApiOperation({ summary: 'Create a staff account (role retailer) that signs in with its e-mail' })
  @ApiCreatedResponse({ type: RetailerStaffDto })
  @ApiProblems('not_found', 'email_taken')
  addStaff(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: CreateRetailerStaffDto): Promise<RetailerStaffDto> {
    return this.retailers.addStaff(actor, id, dto);
  }

  @Post(':id/api-keys')
  @IdempotentWithoutSecrets('key')
  @ApiOperation({ summary: 'Issue a POS API key; the key is shown this once' })
  @ApiCreatedResponse({ type: ApiKeyCreatedDto })
  @ApiProblems('not_found')
  createApiKey(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<ApiKeyCreatedDto> {
    return this.retailers.createApiKey(actor, id);
  }

  @Post(':id/api-keys/:keyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a POS API key' })
  @ApiOkResponse({ type: ApiKeyRevokedDto })
  @ApiProblems('not_found', ['conflict', 'already revoked'])
  revokeApiKey(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Param('keyId', ParseIdPipe) keyId: string): Promise<ApiKeyRevokedDto> {
    return this.retailers.revokeApiKey(actor, id, keyId);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a retailer (its trade-ins are refused); idempotent' })
  @ApiOkResponse({ type: RetailerDto })
  @ApiProblems('not_found')
  suspend(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ReasonDto): Promise<RetailerDto> {
    return this.retailers.suspend(actor, id, dto.reason);
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstate a suspended retailer; idempotent' })
  @ApiOkResponse({ type: RetailerDto })
  @ApiProblems('not_found')
  reinstate(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ReasonDto): Promise<RetailerDto> {
    return this.retailers.reinstate(actor, id, dto.reason);
  }
}
