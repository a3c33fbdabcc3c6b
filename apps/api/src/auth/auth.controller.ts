import { NotIdempotent } from '@huanxin/idempotency';
import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AuthenticatedUser, AuthService, CurrentActor, LocalAuthGuard, Public, User } from '@huanxin/auth';
import { ANONYMOUS_ACTOR } from '@huanxin/core';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { RateLimit } from '../http/rate-limit';
import { HouseholdDto, LoginDto, RefreshDto, RegisterDto, TokenPairDto } from './auth.dto';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @RateLimit('register')
  @Post('register')
  @ApiOperation({ summary: 'Register a household' })
  @ApiCreatedResponse({ type: HouseholdDto })
  @ApiProblems('phone_taken', 'id_number_taken', 'rate_limited')
  register(@Body() dto: RegisterDto): Promise<HouseholdDto> {
    return this.auth.register(ANONYMOUS_ACTOR, dto);
  }

  @Public()
  @RateLimit('login')
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @NotIdempotent()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with phone (households) or e-mail (staff)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems('rate_limited')
  login(@Req() req: Request, @Body() _dto: LoginDto): Promise<TokenPairDto> {
    return this.auth.login(req.user as User);
  }

  @Public()
  @RateLimit('login')
  @Post('refresh')
  @NotIdempotent()
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token; reusing an old one revokes its whole family' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems()
  refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiAuth()
  @ApiOperation({ summary: 'Revoke the refresh-token family of this sign-in' })
  @ApiNoContentResponse()
  @ApiProblems()
  logout(@CurrentActor() actor: AuthenticatedUser): Promise<void> {
    return this.auth.logout(actor, actor.familyId);
  }
}
