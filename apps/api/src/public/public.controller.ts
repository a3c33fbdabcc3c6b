import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '@huanxin/auth';
import { ClaimsService } from '@huanxin/claims';
import { VouchersService } from '@huanxin/vouchers';
import { ApiProblems } from '../http/api-docs';

class CityAvailabilityDto {
  @ApiProperty() city: string;
  @ApiProperty() vouchersLeftToday: number;
  @ApiProperty({ nullable: true, type: String }) nextReleaseAt: string | null;
  @ApiProperty({ enum: ['open', 'paused'] }) budget: 'open' | 'paused';
}

class AvailabilityDto {
  @ApiProperty() programCode: string;
  @ApiProperty({ type: [CityAvailabilityDto] }) cities: CityAvailabilityDto[];
}

class SerialDto {
  @ApiProperty() subsidised: boolean;
}

@ApiTags('public')
@Public()
@Controller('v1/public')
export class PublicController {
  constructor(private readonly vouchers: VouchersService, private readonly claims: ClaimsService) {}

  @Get('programs/:code/availability')
  @ApiOperation({ summary: 'Vouchers left today per city, the next release, and whether the budget is open' })
  @ApiOkResponse({ type: AvailabilityDto })
  @ApiProblems([404, 'not_found'])
  availability(@Param('code') code: string): Promise<AvailabilityDto> {
    return this.vouchers.availability(code);
  }

  @Get('serials/:serial')
  @ApiOperation({ summary: 'Whether a TV serial number was subsidised; nothing else' })
  @ApiOkResponse({ type: SerialDto })
  serial(@Param('serial') serial: string): Promise<SerialDto> {
    return this.claims.serialSubsidised(serial.slice(0, 64));
  }
}
