import { createPrivateKey, KeyObject } from 'node:crypto';
import { EnvError, makeExactValidator } from 'envalid';
import type { ExactValidator } from 'envalid';

/**
 * The kinds of value an environment variable can hold, each written once as an envalid validator
 * (env-schema.ts uses them). A validator sees the raw string only and throws EnvError with the rest of a
 * sentence ("must be …"); the schema's reporter puts the variable's name in front. Messages echo the value
 * back (`got "…"`) except where it may be a secret or personal data.
 */
export class ConfigError extends Error {}

/** A validator whose specs also carry a short label of the accepted values (for printing the schema). */
function validator<T>(type: string, parse: (raw: string) => T): ExactValidator<T> {
  const make = makeExactValidator<T>(parse);
  return ((spec?: object) => ({ ...make(spec as never), type })) as ExactValidator<T>;
}

/** A whole number in [min, max]. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): ExactValidator<number> {
  return validator(max === Number.MAX_SAFE_INTEGER ? `integer ≥ ${min}` : `integer ${min}–${max}`, (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new EnvError(`must be an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new EnvError(`must be between ${min} and ${max}, got ${n}`);
    return n;
  });
}

/** 1/true/yes/on or 0/false/no/off, any case. */
export const flag = validator<boolean>('true | false', (raw) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new EnvError(`must be true or false, got "${raw}"`);
});

/** Any text. */
export const text = validator<string>('text', (raw) => raw);

/** One of a fixed set of words. */
export function oneOf<const C extends readonly [string, ...string[]]>(choices: C): ExactValidator<C[number]> {
  const words = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(',')}`;
  return validator<C[number]>(choices.join(' | '), (raw) => {
    if (!(choices as readonly string[]).includes(raw)) throw new EnvError(`must be ${words}, got "${raw}"`);
    return raw as C[number];
  });
}

/** Text of a given shape; `what` completes "must be …". The value is echoed back unless `secret`. */
export function matching(pattern: RegExp, what: string, opts: { secret?: boolean } = {}): ExactValidator<string> {
  return validator(what, (raw) => {
    if (!pattern.test(raw)) throw new EnvError(opts.secret ? `must be ${what}` : `must be ${what}, got "${raw}"`);
    return raw;
  });
}

/** A URL of one of these schemes, checked by its prefix (the client parses the rest). Never echoed: it may hold a password. */
export function url(what: string, ...schemes: [string, ...string[]]): ExactValidator<string> {
  return validator(what, (raw) => {
    if (!schemes.some((scheme) => raw.startsWith(`${scheme}://`))) throw new EnvError(`must be ${what}`);
    return raw;
  });
}

/** A size as body-parser reads it (`100kb`, `1mb`, `512`): a malformed one would silently lift the limit. */
export const byteSize = validator<string>('bytes (100kb, 1mb)', (raw) => {
  if (!/^\d+(\.\d+)? *(b|kb|mb|gb|tb|pb)?$/i.test(raw)) throw new EnvError(`must be a size in bytes such as 100kb or 1mb, got "${raw}"`);
  return raw;
});

/** An ISO 4217 currency code, in upper case. */
export const currency = validator<string>('ISO 4217 code', (raw) => {
  const code = raw.toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new EnvError(`must be an ISO 4217 code, got "${code}"`);
  return code;
});

/** A key for signing or hashing: at least 32 characters. */
export const secret = validator<string>('≥ 32 characters', (raw) => {
  if (raw.length < 32) throw new EnvError('must be at least 32 characters');
  return raw;
});

/** An AES-256 key: 32 bytes as 64 hex digits, base64 or base64url; kept as base64url. */
export const aes256Key = validator<string>('32 bytes, hex or base64', (raw) => {
  const text = raw.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (bytes.length !== 32) throw new EnvError('must be 32 bytes, as 64 hex digits or base64');
  return bytes.toString('base64url');
});

/** An Ed25519 private key as a JWK (JSON with d) or a PKCS#8 PEM (`\n` escapes allowed); kept as PKCS#8 PEM. */
export const ed25519PrivateKey = validator<string>('Ed25519 JWK or PKCS#8 PEM', (raw) => {
  let key: KeyObject;
  try {
    const text = raw.trim();
    key = text.startsWith('{') ? createPrivateKey({ key: JSON.parse(text), format: 'jwk' }) : createPrivateKey(text.replace(/\\n/g, '\n'));
  } catch {
    throw new EnvError('must be an Ed25519 private key, as a JWK (JSON with d) or a PKCS#8 PEM');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new EnvError(`must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
});
