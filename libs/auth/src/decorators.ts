import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Actor, Role } from '@huanxin/core';

export const IS_PUBLIC = 'huanxin:public';
export const ROLES_KEY = 'huanxin:roles';

/** Opens an endpoint to anyone. Everything else is closed by the global guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The roles allowed; a signed-in actor of any other role gets 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The authenticated actor, as the global guard left it on the request. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest().user as Actor;
});
