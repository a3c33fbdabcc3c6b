import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDate, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { INSTANT_MESSAGE, parseInstant } from '@huanxin/programs';
import { MAX_DISMANTLE_EVIDENCE, ReceiptRegistrationsService, ReceiptRevocationsService } from '@huanxin/recycling';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { PageQueryDto } from '../http/pagination.dto';

class RevokeReceiptDto {
  @ApiPropertyOptional({ example: 'issued to the wrong household' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  reason?: string;
}

class ReceiptRevocationDto {
  @ApiProperty() recyclerId: string;
  @ApiProperty() rid: string;
  @ApiProperty() revokedAt: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

class RevokedReceiptDto {
  @ApiProperty({ example: 'R-2026-000123' }) rid: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-11T10:00:00+08:00' }) revokedAt: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

class RevokedReceiptPageDto {
  @ApiProperty({ type: [RevokedReceiptDto] }) items: RevokedReceiptDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class RegisterReceiptDto {
  @ApiProperty({ description: 'the compact JWS the recycler issued (API.md "Recycling receipts")' })
  @IsString()
  @MaxLength(16384)
  receipt: string;
}

class ReceiptRegistrationDto {
  @ApiProperty({ description: 'the recycler (the receipt\'s iss)' }) iss: string;
  @ApiProperty({ example: 'R-2026-000123' }) rid: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-11T10:00:00.123+08:00', description: "the platform's clock: the receipt's issue time from now on" })
  registeredAt: string;
  @ApiProperty({ description: "compact JWS (EdDSA, typ hx-receipt-timestamp+jwt) by the platform's audit key (GET /v1/audit/public-key) over {iss, rid, receiptHash, registeredAt}; receiptHash = hex SHA-256 of the receipt" })
  timestampToken: string;
}

class RegisteredReceiptDto {
  @ApiProperty() rid: string;
  @ApiProperty() kid: string;
  @ApiProperty({ description: 'hex SHA-256 of the registered receipt' }) receiptHash: string;
  @ApiProperty({ format: 'date-time' }) registeredAt: string;
  @ApiProperty({ enum: ['registered', 'used', 'dismantled', 'revoked'], description: 'revoked, else dismantled, else used in a live claim, else registered' })
  status: 'registered' | 'used' | 'dismantled' | 'revoked';
  @ApiProperty() usedInClaim: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) dismantledAt: string | null;
  @ApiProperty({ nullable: true, type: String }) dismantleEvidence: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt: string | null;
}

class RegisteredReceiptPageDto {
  @ApiProperty({ type: [RegisteredReceiptDto] }) items: RegisteredReceiptDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class ConfirmDismantledDto {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-12T15:00:00+08:00', description: 'when the set was dismantled; not in the future' })
  @Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => parseInstant(obj[key]) ?? obj[key])
  @IsDate({ message: `$property ${INSTANT_MESSAGE}` })
  dismantledAt: Date;

  @ApiPropertyOptional({ maxLength: MAX_DISMANTLE_EVIDENCE, example: 'sha256:9f2c…', description: 'free: a photo hash, a weight' })
  @IsOptional()
  @IsString()
  @Length(1, MAX_DISMANTLE_EVIDENCE)
  evidence?: string;
}

class DismantledDto {
  @ApiProperty() iss: string;
  @ApiProperty() rid: string;
  @ApiProperty({ format: 'date-time' }) dismantledAt: string;
  @ApiProperty({ format: 'date-time' }) confirmedAt: string;
  @ApiProperty({ nullable: true, type: String }) evidence: string | null;
}

@ApiTags('recycler')
@ApiAuth()
@Roles('recycler')
@Controller('v1/recycler')
export class RecyclerController {
  constructor(
    private readonly revocations: ReceiptRevocationsService,
    private readonly registrations: ReceiptRegistrationsService,
  ) {}

  @Post('receipts')
  @ApiOperation({ summary: "Register a receipt as it is issued; the platform's clock becomes its issue time (recycler API key)" })
  @ApiCreatedResponse({ type: ReceiptRegistrationDto, description: 'registered now' })
  @ApiOkResponse({ type: ReceiptRegistrationDto, description: 'this very receipt was registered before: the first answer' })
  @ApiProblems(
    'receipt_malformed', 'receipt_signature_invalid', 'receipt_key_unknown', 'receipt_key_revoked', 'recycler_not_certified',
    'receipt_revoked', ['receipt_rid_conflict', 'another receipt with the same (iss, rid) is registered'],
  )
  async register(@CurrentActor() actor: Actor, @Body() dto: RegisterReceiptDto, @Res({ passthrough: true }) res: Response): Promise<ReceiptRegistrationDto> {
    const { created, registration } = await this.registrations.register(actor, dto.receipt);
    res.status(created ? 201 : 200);
    return registration;
  }

  @Get('receipts')
  @ApiOperation({ summary: "The calling recycler's registered receipts, newest first, with their state (recycler API key)" })
  @ApiOkResponse({ type: RegisteredReceiptPageDto })
  @ApiProblems()
  listRegistered(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<RegisteredReceiptPageDto> {
    return this.registrations.listOwn(actor, q);
  }

  @Post('receipts/:rid/dismantled')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm the collected set dismantled, once (recycler API key)' })
  @ApiOkResponse({ type: DismantledDto })
  @ApiProblems('not_found', 'already_confirmed')
  confirmDismantled(@CurrentActor() actor: Actor, @Param('rid') rid: string, @Body() dto: ConfirmDismantledDto): Promise<DismantledDto> {
    return this.registrations.confirmDismantled(actor, rid.slice(0, 200), dto);
  }

  @Get('receipts/revoked')
  @ApiOperation({ summary: "The calling recycler's own receipt revocations, newest first (recycler API key)" })
  @ApiOkResponse({ type: RevokedReceiptPageDto })
  @ApiProblems()
  listRevoked(@CurrentActor() actor: Actor, @Query() q: PageQueryDto): Promise<RevokedReceiptPageDto> {
    return this.revocations.listOwn(actor, q);
  }

  @Post('receipts/:rid/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a receipt issued in error (recycler API key)' })
  @ApiOkResponse({ type: ReceiptRevocationDto })
  @ApiProblems()
  revoke(@CurrentActor() actor: Actor, @Param('rid') rid: string, @Body() dto: RevokeReceiptDto): Promise<ReceiptRevocationDto> {
    return this.revocations.revoke(actor, rid.slice(0, 200), dto.reason);
  }
}
