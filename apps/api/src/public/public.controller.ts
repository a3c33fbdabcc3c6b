import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Public } from '@huanxin/auth';
import { ClaimsService } from '@huanxin/claims';
import { ProgramsService } from '@huanxin/programs';
import { VouchersService } from '@huanxin/vouchers';
import { ApiProblems } from '../http/api-docs';

class CityAvailabilityDto {
  @ApiProperty() city: string;
  @ApiProperty() vouchersLeftToday: number;
  @ApiProperty({ nullable: true, type: String }) nextReleaseAt: string | null;
  @ApiProperty({ enum: ['open', 'paused'] }) budget: 'open' | 'paused';
  @ApiPropertyOptional({ enum: ['lottery'], description: 'present in a lottery city only: vouchers are drawn among the entries of the day before' }) allocation?: 'lottery';
  @ApiPropertyOptional({ type: String, nullable: true, example: '08:00', description: 'lottery: the daily entry window opens (Asia/Shanghai)' }) entryOpens?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '20:00', description: 'lottery: the daily entry window closes' }) entryCloses?: string | null;
}

class AvailabilityDto {
  @ApiProperty() programCode: string;
  @ApiProperty({ type: [CityAvailabilityDto] }) cities: CityAvailabilityDto[];
}

class PublicProgramDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() startsAt: string;
  @ApiProperty() endsAt: string;
  @ApiProperty() voucherValidityDays: number;
  @ApiProperty() perHouseholdLimit: number;
}

class PublicProgramsDto {
  @ApiProperty({ type: [PublicProgramDto] }) items: PublicProgramDto[];
}

class SerialDto {
  @ApiProperty() subsidised: boolean;
}

@ApiTags('public')
@Public()
@Controller('v1/public')
export class PublicController {
  constructor(private readonly vouchers: VouchersService, private readonly claims: ClaimsService, private readonly programs: ProgramsService) {}

  @Get('programs')
  @ApiOperation({ summary: 'Programmes running or announced (not ended), soonest first' })
  @ApiOkResponse({ type: PublicProgramsDto })
  async programList(): Promise<PublicProgramsDto> {
    return { items: await this.programs.current() };
  }

  @Get('programs/:code/availability')
  @ApiOperation({ summary: 'Vouchers left today per city, the next release, and whether the budget is open' })
  @ApiOkResponse({ type: AvailabilityDto })
  @ApiProblems('not_found')
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
