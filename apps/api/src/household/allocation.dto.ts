import { ApiProperty } from '@nestjs/swagger';

export class LotteryEntryCreatedDto {
  @ApiProperty({ example: 'zj-tv-demo' }) programCode: string;
  @ApiProperty({ example: '2026-11-12', description: 'the day of the draw (Asia/Shanghai)' }) drawDate: string;
  @ApiProperty({ example: '2026-11-12T10:00:00+08:00', description: 'when the draw runs' }) drawAt: string;
  @ApiProperty() city: string;
  @ApiProperty({ description: 'the pseudonymous id the public draw lists (a keyed hash of the household and the draw: it names no one)' }) entryId: string;
  @ApiProperty({ enum: ['entered'] }) status: 'entered';
}

export class LotteryEntryDto {
  @ApiProperty() programCode: string;
  @ApiProperty() city: string;
  @ApiProperty() drawDate: string;
  @ApiProperty() drawAt: string;
  @ApiProperty() entryId: string;
  @ApiProperty({ enum: ['entered', 'won', 'not_drawn', 'withdrawn'], description: 'withdrawn: the household held an open voucher when the draw ran' })
  status: 'entered' | 'won' | 'not_drawn' | 'withdrawn';
  @ApiProperty({ description: 'carried over from an earlier draw the household was not drawn in' }) carried: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'won: the voucher the draw issued' }) voucherCode: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'not_drawn: the draw the household is now in (null: none — the programme ends)' }) carriedTo: string | null;
}

export class LotteryEntryListDto {
  @ApiProperty({ type: [LotteryEntryDto] }) items: LotteryEntryDto[];
}

export class WaitlistJoinedDto {
  @ApiProperty() programCode: string;
  @ApiProperty() city: string;
  @ApiProperty({ example: '2026-11-11', description: "the day whose returned vouchers the household waits for (a day's waitlist lapses at midnight)" }) day: string;
  @ApiProperty({ enum: ['waiting'] }) status: 'waiting';
  @ApiProperty({ example: 3, description: '1 = next in line' }) position: number;
}

export class WaitlistEntryDto {
  @ApiProperty() programCode: string;
  @ApiProperty() city: string;
  @ApiProperty() day: string;
  @ApiProperty({ enum: ['waiting', 'served', 'skipped', 'lapsed'], description: 'skipped: the household could no longer take a voucher when its turn came' })
  status: 'waiting' | 'served' | 'skipped' | 'lapsed';
  @ApiProperty({ type: Number, nullable: true, description: 'waiting: the place in line (1 = next)' }) position: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'served: the voucher given' }) voucherCode: string | null;
  @ApiProperty() joinedAt: string;
  @ApiProperty({ type: String, nullable: true }) servedAt: string | null;
}

export class WaitlistListDto {
  @ApiProperty({ type: [WaitlistEntryDto] }) items: WaitlistEntryDto[];
}
