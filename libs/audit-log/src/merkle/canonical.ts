import canonicalize from 'canonicalize';
import { textLeafHash, toHex } from './hash';

/**
 * RFC 8785 (JCS) canonical JSON. The leaf hash must not depend on key order or number formatting
 * chosen by whoever serialised the event, or an export re-serialised by another tool would no
 * longer verify.
 *
 * Caveats inherited from JSON itself: `toJSON` is honoured (a Date becomes its ISO string),
 * `undefined` members are dropped, and NaN/Infinity/BigInt throw. A top-level value with no JSON
 * form (undefined, a function) throws here rather than hashing the string "undefined".
 */
export function canonicalJson(value: unknown): string {
  const json = canonicalize(value);
  if (json === undefined) throw new TypeError('value has no JSON representation');
  return json;
}

/** Lower-case hex leaf hash of an audit event: SHA-256(0x00 ‖ utf8(JCS(event))). */
export function eventLeafHash(event: object): string {
  return toHex(textLeafHash(canonicalJson(event)));
}
