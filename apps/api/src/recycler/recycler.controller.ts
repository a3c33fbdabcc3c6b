import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { ReceiptRevocationsService } from '@huanxin/recycling';
import { ApiAuth, ApiProblems } from '../http/api-docs';

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

@ApiTags('recycler')
@ApiAuth()
@Roles('recycler')
@Controller('v1/recycler')
export class RecyclerController {
  constructor(private readonly revocations: ReceiptRevocationsService) {}

  @Post('receipts/:rid/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a receipt issued in error (recycler API key)' })
  @ApiOkResponse({ type: ReceiptRevocationDto })
  @ApiProblems()
  revoke(@CurrentActor() actor: Actor, @Param('rid') rid: string, @Body() dto: RevokeReceiptDto): Promise<ReceiptRevocationDto> {
    return this.revocations.revoke(actor, rid.slice(0, 200), dto.reason);
  }
}
