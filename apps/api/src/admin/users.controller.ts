import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthService, CurrentActor, Roles } from '@huanxin/auth';
import type { Actor } from '@huanxin/core';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { CreateStaffUserDto, StaffListQueryDto, StaffPageDto, StaffUserDto } from './users.dto';

@ApiTags('admin')
@ApiAuth()
@Roles('admin')
@Controller('v1/admin/users')
export class AdminUsersController {
  constructor(private readonly auth: AuthService) {}

  @Post()
  @ApiOperation({ summary: 'Create an auditor or admin account' })
  @ApiCreatedResponse({ type: StaffUserDto })
  @ApiProblems('email_taken')
  create(@CurrentActor() actor: Actor, @Body() dto: CreateStaffUserDto): Promise<StaffUserDto> {
    return this.auth.createStaffUser(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Staff accounts (auditors, admins, retailer staff) by e-mail; households are not listed' })
  @ApiOkResponse({ type: StaffPageDto })
  @ApiProblems()
  list(@CurrentActor() actor: Actor, @Query() q: StaffListQueryDto): Promise<StaffPageDto> {
    return this.auth.listStaff(actor, q);
  }
}
