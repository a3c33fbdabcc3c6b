import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { PageQueryDto } from '../http/pagination.dto';

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

export class StaffListItemDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['auditor', 'admin', 'retailer'] }) role: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) retailerId: string | null;
  @ApiProperty() disabled: boolean;
  @ApiProperty() createdAt: string;
}

export class StaffPageDto {
  @ApiProperty({ type: [StaffListItemDto] }) items: StaffListItemDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class StaffListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['auditor', 'admin', 'retailer'] })
  @IsOptional()
  @IsIn(['auditor', 'admin', 'retailer'])
  role?: 'auditor' | 'admin' | 'retailer';
}
