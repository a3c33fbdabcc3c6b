import { IdempotentWithoutSecrets } from '@huanxin/idempotency';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '@huanxin/auth';
import { ParseIdPipe } from '@huanxin/core';
import type { Actor } from '@huanxin/core';
import { RecyclerKeysService, RecyclersService } from '@huanxin/recycling';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';
import { CreateRecyclerDto, RecyclerDto, RecyclerKeyDto, RecyclerPageDto, RegisterRecyclerKeyDto, RevokedRecyclerKeyDto, RevokeRecyclerKeyDto } from './recyclers.dto';
import { ApiKeyCreatedDto, ApiKeyRevokedDto, ReasonDto } from './retailers.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/recyclers')
export class AdminRecyclersController {
  constructor(
    private readonly recyclers: RecyclersService,
    private readonly keys: RecyclerKeysService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Certify a recycler' })
  @ApiCreatedResponse({ type: RecyclerDto })
  @ApiProblems(['duplicate', 'credit code already certified'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateRecyclerDto): Promise<RecyclerDto> {
    return this.recyclers.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Every recycler, certified or not, in the order they were first certified' })
  @ApiOkResponse({ type: RecyclerPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<RecyclerPageDto> {
    return this.recyclers.list(actor, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A recycler with its certification periods and keys' })
  @ApiOkResponse({ type: RecyclerDto })
  @ApiProblems('not_found')
  get(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<RecyclerDto> {
    return this.recyclers.get(actor, id);
  }

  @Post(':id/keys')
  @ApiOperation({ summary: 'Register an Ed25519 public key the recycler signs receipts with' })
  @ApiCreatedResponse({ type: RecyclerKeyDto })
  @ApiProblems('not_found', ['duplicate', 'kid already registered for this recycler'])
  registerKey(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: RegisterRecyclerKeyDto): Promise<RecyclerKeyDto> {
    return this.keys.register(actor, id, dto);
  }

  @Post(':id/keys/:kid/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a signing key: retired (earlier receipts stay valid) or compromised (none do)' })
  @ApiOkResponse({ type: RevokedRecyclerKeyDto })
  @ApiProblems('not_found', ['conflict', 'already revoked; only retired → compromised is allowed'])
  revokeKey(
    @CurrentActor() actor: Actor,
    @Param('id', ParseIdPipe) id: string,
    @Param('kid') kid: string,
    @Body() dto: RevokeRecyclerKeyDto,
  ): Promise<RevokedRecyclerKeyDto> {
    return this.keys.revoke(actor, id, kid, dto.reason);
  }

  @Post(':id/api-keys')
  @IdempotentWithoutSecrets('key')
  @ApiOperation({ summary: 'Issue an API key for the recycler\'s system; the key is shown this once' })
  @ApiCreatedResponse({ type: ApiKeyCreatedDto })
  @ApiProblems('not_found')
  createApiKey(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string): Promise<ApiKeyCreatedDto> {
    return this.recyclers.createApiKey(actor, id);
  }

  @Post(':id/api-keys/:keyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a recycler API key' })
  @ApiOkResponse({ type: ApiKeyRevokedDto })
  @ApiProblems('not_found', ['conflict', 'already revoked'])
  revokeApiKey(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Param('keyId', ParseIdPipe) keyId: string): Promise<ApiKeyRevokedDto> {
    return this.recyclers.revokeApiKey(actor, id, keyId);
  }

  @Post(':id/decertify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decertify a recycler; receipts it signed while certified stay valid. Idempotent' })
  @ApiOkResponse({ type: RecyclerDto })
  @ApiProblems('not_found')
  decertify(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ReasonDto): Promise<RecyclerDto> {
    return this.recyclers.decertify(actor, id, dto.reason);
  }

  @Post(':id/recertify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Certify a decertified recycler again (a new certification period). Idempotent' })
  @ApiOkResponse({ type: RecyclerDto })
  @ApiProblems('not_found')
  recertify(@CurrentActor() actor: Actor, @Param('id', ParseIdPipe) id: string, @Body() dto: ReasonDto): Promise<RecyclerDto> {
    return this.recyclers.recertify(actor, id, dto.reason);
  }
}
