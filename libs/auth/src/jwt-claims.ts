/** Every access token names who issued it and for whom; tokens without them (or without exp) are refused. */
export const JWT_ISSUER = 'huanxin';
export const JWT_AUDIENCE = 'huanxin-api';
