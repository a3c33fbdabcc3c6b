import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { ReceiptRevocationsService } from '@huanxin/recycling';
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

@ApiTags('recycler')
@ApiAuth()
@Roles('recycler')
@Controller('v1/recycler')
export class RecyclerController {
  constructor(private readonly revocations: ReceiptRevocationsService) {}

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
