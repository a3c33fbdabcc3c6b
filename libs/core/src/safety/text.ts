/**
 * Text no field of the platform may hold: NUL (PostgreSQL's text cannot store it) and lone UTF-16
 * surrogates (not Unicode: jsonb refuses them, encodeURIComponent throws on them). One check, used by the
 * request guard for bodies, paths and queries, and by decoders of opaque values (cursors).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type UnsafeText = 'nul' | 'lone_surrogate';

export function unsafeText(s: string): UnsafeText | undefined {
  if (s.includes('\u0000')) return 'nul';
  if (LONE_SURROGATE.test(s)) return 'lone_surrogate';
  return undefined;
}

export const UNSAFE_TEXT_MESSAGE: Record<UnsafeText, string> = {
  nul: 'must not contain NUL characters',
  lone_surrogate: 'must be valid Unicode (no lone surrogates)',
};
