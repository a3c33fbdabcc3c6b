import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { PayoutRunsService, ReconciliationService } from '@huanxin/settlement';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { CreatePayoutRunDto, ListPayoutRunsQueryDto, PayoutRunDto, PayoutRunPageDto, ReconciliationDto, ReconciliationQueryDto } from './payout-runs.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin')
export class AdminPayoutRunsController {
  constructor(private readonly runs: PayoutRunsService, private readonly reconciliation: ReconciliationService) {}

  @Post('payout-runs')
  @ApiOperation({ summary: "Start a payout run: the programme's approved claims, one payout per retailer, written before the worker calls the gateway" })
  @ApiCreatedResponse({ type: PayoutRunDto })
  @ApiProblems(['not_found', 'programme'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreatePayoutRunDto): Promise<PayoutRunDto> {
    return this.runs.create(actor, dto.programCode);
  }

  @Get('payout-runs')
  @ApiOperation({ summary: 'Payout runs, newest first (keyset paginated), optionally of one programme: status, control totals and payouts counted by state' })
  @ApiOkResponse({ type: PayoutRunPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: ListPayoutRunsQueryDto): Promise<PayoutRunPageDto> {
    return this.runs.list(actor, q);
  }

  @Get('payout-runs/:id')
  @ApiOperation({ summary: 'A payout run and its payouts with their states' })
  @ApiOkResponse({ type: PayoutRunDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<PayoutRunDto> {
    return this.runs.get(actor, id);
  }

  @Get('reconciliation')
  @ApiOperation({ summary: "A run's ledger totals against the gateway's records, every mismatch listed" })
  @ApiOkResponse({ type: ReconciliationDto })
  @ApiProblems('not_found', ['conflict', 'the run was paid through Stripe and no Stripe key is configured'])
  reconcile(@CurrentActor() actor: Actor, @Query() q: ReconciliationQueryDto): Promise<ReconciliationDto> {
    return this.reconciliation.reconcile(actor, q.runId);
  }
}
