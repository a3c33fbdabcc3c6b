import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedUser, AuthService, CurrentActor, LocalAuthGuard, Public, User } from '@huanxin/auth';
import { DomainError } from '@huanxin/core';
import { NotIdempotent } from '@huanxin/idempotency';
import { ApiAuth, ApiProblems } from '../http/api-docs';
import { RateLimit } from '../http/rate-limit';
import { LoginDto } from './auth.dto';

/** The cookie that carries a web session's refresh token: never readable by scripts, sent only to the session paths. */
export const SESSION_COOKIE = 'hx_session';
export const SESSION_PATH = '/v1/auth/session';
/** Header every session call must carry: a cross-site page cannot add it without a CORS preflight, which is never granted. */
export const PORTAL_HEADER = 'x-huanxin-portal';

export class WebSessionDto {
  @ApiProperty({ description: 'in memory only; the refresh token is in an httpOnly cookie' }) accessToken: string;
  @ApiProperty({ description: 'access token lifetime in seconds' }) expiresIn: number;
  @ApiProperty({ enum: ['household', 'retailer', 'auditor', 'admin'] }) role: string;
}

export class MeDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['household', 'retailer', 'auditor', 'admin'] }) role: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ nullable: true, type: String }) email: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'masked: 138****0001' }) phone: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) city: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) retailerId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) idNumberLast4: string | null;
}

function cookieOf(req: Request): string | undefined {
  const value = (req as Request & { cookies?: Record<string, unknown> }).cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && value.length >= 10 && value.length <= 300 ? value : undefined;
}

function requirePortalHeader(req: Request): void {
  if (req.headers[PORTAL_HEADER] !== '1') {
    throw new DomainError('forbidden', `Web sessions need the ${PORTAL_HEADER}: 1 header`);
  }
}

/**
 * Web sessions for the portal (apps/portal): the same sign-in as `POST /v1/auth/login`, but the refresh token
 * travels only in an httpOnly, SameSite=Strict cookie scoped to these paths (Secure over HTTPS), so page scripts
 * never hold it; the access token lives in the page's memory. CSRF-safe by construction: the cookie is never sent
 * cross-site, and every call needs a custom header a foreign page cannot send without a preflight.
 */
@ApiTags('auth')
@Controller()
export class SessionController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @RateLimit('login')
  @UseGuards(LocalAuthGuard)
  @Post('v1/auth/session')
  @NotIdempotent()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in from the portal: the refresh token is set as an httpOnly cookie' })
  @ApiHeader({ name: PORTAL_HEADER, required: true, schema: { enum: ['1'] } })
  @ApiOkResponse({ type: WebSessionDto })
  @ApiProblems('rate_limited')
  async signIn(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Body() _dto: LoginDto): Promise<WebSessionDto> {
    requirePortalHeader(req);
    const pair = await this.auth.login(req.user as User);
    this.setCookie(req, res, pair.refreshToken);
    return { accessToken: pair.accessToken, expiresIn: pair.expiresIn, role: pair.role };
  }

  @Public()
  @RateLimit('login')
  @Post('v1/auth/session/refresh')
  @NotIdempotent()
  @HttpCode(200)
  @ApiOperation({ summary: 'A new access token for the portal, rotating the session cookie' })
  @ApiHeader({ name: PORTAL_HEADER, required: true, schema: { enum: ['1'] } })
  @ApiOkResponse({ type: WebSessionDto })
  @ApiProblems()
  async refresh(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<WebSessionDto> {
    requirePortalHeader(req);
    const token = cookieOf(req);
    if (!token) throw new DomainError('unauthorized', 'No web session');
    try {
      const pair = await this.auth.refresh(token);
      this.setCookie(req, res, pair.refreshToken);
      return { accessToken: pair.accessToken, expiresIn: pair.expiresIn, role: pair.role };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthorized') this.clearCookie(req, res);
      throw err;
    }
  }

  @Public()
  @Post('v1/auth/session/logout')
  @NotIdempotent()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out of the portal: the session ends and its cookie is cleared' })
  @ApiHeader({ name: PORTAL_HEADER, required: true, schema: { enum: ['1'] } })
  @ApiNoContentResponse()
  @ApiProblems()
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    requirePortalHeader(req);
    const token = cookieOf(req);
    if (token) await this.auth.endSession(token);
    this.clearCookie(req, res);
  }

  @Get('v1/me')
  @ApiAuth()
  @ApiOperation({ summary: 'Who is signed in (people, not API keys)' })
  @ApiOkResponse({ type: MeDto })
  @ApiProblems()
  me(@CurrentActor() actor: AuthenticatedUser): Promise<MeDto> {
    return this.auth.whoAmI(actor);
  }

  private setCookie(req: Request, res: Response, token: string): void {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: SESSION_PATH });
  }

  private clearCookie(req: Request, res: Response): void {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: SESSION_PATH });
  }
}
