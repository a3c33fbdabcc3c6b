import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class RequestVoucherDto {
  @ApiProperty({ example: 'zj-tv-demo' })
  @IsString()
  @Length(2, 40)
  @Matches(/^[a-z0-9-]+$/, { message: 'programCode must be lower-case letters, digits and dashes' })
  programCode: string;
}

export class VoucherDto {
  @ApiProperty({ example: 'HX-7K3M-9QF2-XD4P' }) code: string;
  @ApiProperty() programCode: string;
  @ApiProperty({ enum: ['open', 'used', 'expired'] }) status: string;
  @ApiProperty() city: string;
  @ApiProperty() issuedAt: string;
  @ApiProperty() expiresAt: string;
  @ApiProperty({ description: 'the largest subsidy this voucher can become, held from the budget' }) reservedFen: number;
  @ApiProperty() policyVersion: number;
  @ApiProperty({ nullable: true, type: String }) usedAt: string | null;
}

export class VoucherListDto {
  @ApiProperty({ type: [VoucherDto] }) items: VoucherDto[];
}
