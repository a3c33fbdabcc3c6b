import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsIn, IsString, Length, MaxLength } from 'class-validator';

export class CreateStaffUserDto {
  @ApiProperty({ example: 'auditor@zj.gov.cn' })
  @IsEmail()
  @MaxLength(200)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password: string;

  @ApiProperty()
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({ enum: ['auditor', 'admin'] })
  @IsIn(['auditor', 'admin'])
  role: 'auditor' | 'admin';
}

export class StaffUserDto {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['auditor', 'admin', 'retailer'] }) role: string;
  @ApiProperty({ required: false }) retailerId?: string;
}
