import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * Query integers are decimal digits only: `Number()` would also take '', '1e3', ' 7' or '0x10', and an empty
 * `?index=` must not quietly mean 0. Anything else is left as it is for @IsInt to refuse.
 */
const digits = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value);

const MAX = Number.MAX_SAFE_INTEGER;

export class AuditEntriesQueryDto {
  @ApiPropertyOptional({ default: 0, minimum: 0, description: 'first leaf index' })
  @IsOptional()
  @Transform(digits)
  @IsInt()
  @Min(0)
  @Max(MAX)
  from?: number;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(digits)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class InclusionProofQueryDto {
  @ApiProperty({ minimum: 0, description: 'leaf index; must be below treeSize (else 400 validation_failed)' })
  @Transform(digits)
  @IsInt()
  @Min(0)
  @Max(MAX)
  index: number;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'any size up to the sealed log (a larger one is 404 not_found); default: the latest signed head\'s size',
  })
  @IsOptional()
  @Transform(digits)
  @IsInt()
  @Min(1)
  @Max(MAX)
  treeSize?: number;
}

export class ConsistencyProofQueryDto {
  @ApiProperty({ minimum: 0, description: 'the older size; 0 (the empty tree) and from = to answer an empty proof' })
  @Transform(digits)
  @IsInt()
  @Min(0)
  @Max(MAX)
  from: number;

  @ApiPropertyOptional({ minimum: 0, description: 'the newer size, up to the sealed log (else 404 not_found); default: the latest signed head\'s size' })
  @IsOptional()
  @Transform(digits)
  @IsInt()
  @Min(0)
  @Max(MAX)
  to?: number;
}

// ---- answers ----

export class AuditSubjectDto {
  @ApiProperty({ example: 'claim' }) type: string;
  @ApiProperty({ type: String, nullable: true }) id: string | null;
}

export class AuditEventDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { kind: 'user', id: '…', role: 'auditor' }, description: 'who acted; never a secret' })
  actor: Record<string, unknown>;

  @ApiProperty({ example: 'claim.approved' }) action: string;
  @ApiProperty({ type: AuditSubjectDto }) subject: AuditSubjectDto;

  @ApiProperty({ example: '2026-11-11T10:30:00.123456+08:00', description: 'RFC 3339, Asia/Shanghai, microseconds as stored' })
  time: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'never holds ID numbers, passwords or keys' })
  details: Record<string, unknown>;
}

export class AuditEntryDto {
  @ApiProperty({ example: 0 }) index: number;

  @ApiProperty({ type: AuditEventDto, description: 'the leaf data is the RFC 8785 canonical JSON of this object' })
  event: AuditEventDto;

  @ApiProperty({
    example: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    description: 'the SEALED leaf hash, SHA-256(0x00 ‖ JCS(event)) as the tree committed to it; an event changed since sealing no longer hashes to it',
  })
  leafHash: string;
}

export class AuditEntriesDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'sealed entries from `from`, by index; empty past the end' })
  items: AuditEntryDto[];
}

export class TreeHeadDto {
  @ApiProperty({ example: 1024, description: '0 for the empty log (its head is signed too)' }) treeSize: number;
  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', description: 'lower-case hex RFC 6962 root' })
  rootHash: string;
  @ApiProperty({ example: '2026-11-11T10:30:05+08:00' }) timestamp: string;
  @ApiProperty({ description: 'lower-case hex Ed25519 signature (64 bytes) over the RFC 8785 canonical JSON of {treeSize, rootHash, timestamp}' })
  signature: string;
  @ApiProperty({ description: "the signing key's kid (RFC 7638 thumbprint), as in GET /v1/audit/public-key" }) keyId: string;
}

export class InclusionProofDto {
  @ApiProperty() index: number;
  @ApiProperty() treeSize: number;
  @ApiProperty({ description: 'recomputed from the event as stored now: the proof verifies against a signed root only if the event is unchanged since sealing' })
  leafHash: string;
  @ApiProperty({ type: [String], description: 'RFC 6962 audit path, bottom-up, lower-case hex' }) auditPath: string[];
}

export class ConsistencyProofDto {
  @ApiProperty() from: number;
  @ApiProperty() to: number;
  @ApiProperty({ type: [String], description: 'RFC 6962 consistency proof, lower-case hex; empty when from is 0 or equals to' }) proof: string[];
}

export class AuditPublicJwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty: 'OKP';
  @ApiProperty({ enum: ['Ed25519'] }) crv: 'Ed25519';
  @ApiProperty({ description: 'base64url public key' }) x: string;
  @ApiProperty({ description: 'RFC 7638 thumbprint; tree heads carry it as keyId' }) kid: string;
  @ApiProperty({ enum: ['EdDSA'] }) alg: 'EdDSA';
  @ApiProperty({ enum: ['sig'] }) use: 'sig';
}
