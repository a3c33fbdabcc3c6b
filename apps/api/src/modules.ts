import type { Type } from '@nestjs/common';

/** Domain modules and role-facing controllers, one line each, so the app's surface reads in one place. */
export const DOMAIN_MODULES: Type[] = [];
export const ROLE_CONTROLLERS: Type[] = [];
