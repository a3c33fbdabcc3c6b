import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, Matches } from 'class-validator';
import { KID_RE } from '@huanxin/recycling';
import { OrganisationDto } from './organisation.dto';

export class CreateRecyclerDto extends OrganisationDto {}

export class Ed25519JwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv: 'Ed25519';
  @ApiProperty({ description: 'base64url (no padding) of the 32-byte public key', example: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }) x: string;
}

export class RegisterRecyclerKeyDto {
  @ApiProperty({ example: '2026-11-a', description: '1-100 characters of A-Z a-z 0-9 . _ -; unique for the recycler; the receipts\' JWS header names it' })
  @IsString()
  @Matches(KID_RE, { message: 'kid must be 1-100 characters of A-Z a-z 0-9 . _ -' })
  kid: string;

  @ApiProperty({
    type: Ed25519JwkDto,
    description: 'an Ed25519 PUBLIC key as a JWK; a private key (with "d") is refused and never stored. Only kty, crv and x are kept.',
  })
  @IsObject()
  publicKeyJwk: Record<string, unknown>;
}

export class RevokeRecyclerKeyDto {
  @ApiProperty({ enum: ['retired', 'compromised'], description: 'retired: receipts signed before now stay valid; compromised: none do' })
  @IsIn(['retired', 'compromised'])
  reason: 'retired' | 'compromised';
}

// ---- answers ----

export class RecyclerKeyDto {
  @ApiProperty() recyclerId: string;
  @ApiProperty() kid: string;
  @ApiProperty({ type: Ed25519JwkDto }) publicKeyJwk: Ed25519JwkDto;
  @ApiProperty({ example: '2026-11-01T09:00:00+08:00' }) createdAt: string;
  @ApiProperty({ type: String, nullable: true }) revokedAt: string | null;
  @ApiProperty({ enum: ['retired', 'compromised'], nullable: true }) reason: 'retired' | 'compromised' | null;
}

export class CertificationPeriodDto {
  @ApiProperty({ example: '2026-11-01T09:00:00+08:00' }) certifiedAt: string;
  @ApiProperty({ type: String, nullable: true }) decertifiedAt: string | null;
}

export class RecyclerDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() creditCode: string;
  @ApiProperty({ enum: ['certified', 'decertified'] }) status: 'certified' | 'decertified';
  @ApiProperty({ description: 'start of the current (or latest) certification period' }) certifiedAt: string;
  @ApiProperty({ type: String, nullable: true, description: 'end of the latest period; null while certified' }) decertifiedAt: string | null;
  @ApiProperty({ type: [CertificationPeriodDto], description: 'every period, oldest first; receipts signed inside one stay valid' })
  certifications: CertificationPeriodDto[];
  @ApiProperty({ type: [RecyclerKeyDto] }) keys: RecyclerKeyDto[];
  @ApiProperty() createdAt: string;
}

export class RecyclerSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty() creditCode: string;
  @ApiProperty({ enum: ['certified', 'decertified'] }) status: 'certified' | 'decertified';
  @ApiProperty() certifiedAt: string;
  @ApiProperty({ type: String, nullable: true }) decertifiedAt: string | null;
  @ApiProperty() createdAt: string;
}

export class RecyclerPageDto {
  @ApiProperty({ type: [RecyclerSummaryDto] }) items: RecyclerSummaryDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RevokedRecyclerKeyDto {
  @ApiProperty() kid: string;
  @ApiProperty({ example: '2026-11-01T09:00:00+08:00' }) revokedAt: string;
  @ApiProperty({ enum: ['retired', 'compromised'] }) reason: 'retired' | 'compromised';
}
