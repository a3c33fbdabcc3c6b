import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '@huanxin/auth';
import { StripeWebhooksService } from '@huanxin/settlement';
import { ApiProblems } from '../http/api-docs';

export class WebhookAckDto {
  @ApiProperty() received: boolean;
  @ApiProperty({ description: 'the event id was seen before: nothing was done' }) duplicate: boolean;
  @ApiProperty({ example: 'payout_returned' }) outcome: string;
}

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  @Post('stripe')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stripe events, signature-checked on the raw body with the endpoint secret; each event id processed once' })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiProblems(['webhook_signature_invalid', 'bad or stale signature; nothing changed'])
  receive(@Req() req: RawBodyRequest<Request>, @Headers('stripe-signature') signature: string | undefined): Promise<WebhookAckDto> {
    return this.webhooks.receive(req.rawBody, signature);
  }
}
