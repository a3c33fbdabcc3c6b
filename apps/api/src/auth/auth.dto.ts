import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { IsCityCode, IsResidentId, normaliseResidentId, ZHEJIANG_CITIES } from '@huanxin/core';

export const PHONE_RE = /^1[3-9]\d{9}$/;

export class RegisterDto {
  @ApiProperty({ example: '13800138000', description: 'mainland mobile number, 11 digits' })
  @IsString()
  @Matches(PHONE_RE, { message: 'phone must be an 11-digit mainland mobile number' })
  phone: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password: string;

  @ApiProperty({ example: '张三' })
  @IsString()
  @Length(1, 50)
  name: string;

  @ApiProperty({ example: '330106199003070014', description: '18-character resident ID (GB 11643); stored only as a keyed hash and last four digits' })
  @Transform(({ value }) => (typeof value === 'string' ? normaliseResidentId(value) : value))
  @IsString()
  @IsResidentId()
  idNumber: string;

  @ApiProperty({ enum: ZHEJIANG_CITIES })
  @IsCityCode()
  city: string;
}

export class HouseholdDto {
  @ApiProperty() id: string;
  @ApiProperty() phone: string;
  @ApiProperty() city: string;
  @ApiProperty({ example: '0014' }) idNumberLast4: string;
}

export class LoginDto {
  @ApiProperty({ description: 'phone (households) or e-mail (staff)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  username: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MinLength(10)
  @MaxLength(300)
  refreshToken: string;
}

export class TokenPairDto {
  @ApiProperty() accessToken: string;
  @ApiProperty() refreshToken: string;
  @ApiProperty({ description: 'access token lifetime in seconds' }) expiresIn: number;
  @ApiProperty({ enum: ['household', 'retailer', 'auditor', 'admin'] }) role: string;
}
