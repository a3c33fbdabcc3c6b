import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Public } from '@huanxin/auth';
import { DrawExport, LotteryService } from '@huanxin/vouchers';
import { ApiProblems } from '../http/api-docs';

class DrawTreeHeadDto {
  @ApiProperty() treeSize: number;
  @ApiProperty() rootHash: string;
  @ApiProperty() timestamp: string;
  @ApiProperty() signature: string;
  @ApiProperty() keyId: string;
}

class DrawDto implements DrawExport {
  @ApiProperty({ example: 'huanxin-draw-v1' }) algorithm: string;
  @ApiProperty() programCode: string;
  @ApiProperty() city: string;
  @ApiProperty({ example: '2026-11-12' }) drawDate: string;
  @ApiProperty({ enum: ['open', 'drawn'] }) status: 'open' | 'drawn';
  @ApiProperty() entryOpensAt: string;
  @ApiProperty() entryClosesAt: string;
  @ApiProperty() drawAt: string;
  @ApiProperty({ description: 'hex SHA-256 of the secret, logged when the entry window opened' }) commitment: string;
  @ApiProperty({ type: String, nullable: true, description: 'the secret (hex), null before the draw' }) reveal: string | null;
  @ApiProperty({ type: DrawTreeHeadDto, nullable: true, description: 'the first signed audit tree head after the window closed' }) treeHead: DrawTreeHeadDto | null;
  @ApiProperty({ type: String, nullable: true, description: 'RFC 6962 root over the sorted entries' }) entriesRoot: string | null;
  @ApiProperty({ type: String, nullable: true }) seed: string | null;
  @ApiProperty({ type: Number, nullable: true, description: "the day's quota the draw drew for" }) quota: number | null;
  @ApiPropertyOptional({ enum: ['entries', 'budget'], nullable: true, description: 'why fewer than the quota won' }) limitedBy: 'entries' | 'budget' | null;
  @ApiProperty({ type: [String], description: 'pseudonymous entry ids, sorted (before the draw: the entries so far)' }) entries: string[];
  @ApiProperty({ type: [String], description: 'the winning entry ids in the order drawn' }) winners: string[];
}

@ApiTags('public')
@Public()
@Controller('v1/public/programs')
export class PublicDrawsController {
  constructor(private readonly lottery: LotteryService) {}

  @Get(':code/draws/:city/:date')
  @ApiOperation({ summary: "A lottery city's draw: commitment, reveal, tree head, entries and winners — recompute it with `npm run draw:verify`" })
  @ApiOkResponse({ type: DrawDto })
  @ApiProblems('not_found')
  draw(@Param('code') code: string, @Param('city') city: string, @Param('date') date: string): Promise<DrawDto> {
    return this.lottery.publicDraw(code, city, date);
  }
}
