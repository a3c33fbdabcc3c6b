import { canonicalJson } from './merkle';

const FALLBACK = Symbol('fallback');

/** A key JavaScript enumerates before all others, in numeric order, whatever the insertion order. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/**
 * `value` with every object's keys in RFC 8785 order (UTF-16 code units, what `<` compares on JS strings):
 * the value itself where it already is, a re-keyed copy where not, FALLBACK where JSON.stringify could not
 * produce JCS (not plain JSON: NaN, undefined, functions, toJSON…; or integer-like keys out of JCS order,
 * which no insertion order fixes).
 */
function inJcsOrder(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : FALLBACK;
    case 'object':
      if (value === null) return value;
      break;
    default:
      return FALLBACK;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let k = 0; k < value.length; k++) {
      const item = inJcsOrder(value[k]);
      if (item === FALLBACK) return FALLBACK;
      if (item !== value[k]) (copy ??= value.slice())[k] = item;
    }
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return FALLBACK;
  const object = value as Record<string, unknown>;
  // an own "__proto__" (JSON.parse and fast-check make one) is lost by re-keying and by some serialisers: let
  // the reference implementation handle it
  if (Object.prototype.hasOwnProperty.call(object, '__proto__')) return FALLBACK;
  const keys = Object.keys(object);
  let ordered = true;
  let changed = false;
  const items: unknown[] = new Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    if (k > 0 && !(keys[k - 1] < keys[k])) ordered = false;
    const item = inJcsOrder(object[keys[k]]);
    if (item === FALLBACK) return FALLBACK;
    if (item !== object[keys[k]]) changed = true;
    items[k] = item;
  }
  if (ordered && !changed) return value;
  // Re-keying cannot place integer-like keys, and would turn an own "__proto__" (JSON.parse makes one) into a prototype
  if (!ordered && keys.some(isArrayIndex)) return FALLBACK;
  const order = keys.map((_, k) => k);
  if (!ordered) order.sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
  const copy: Record<string, unknown> = {};
  for (const k of order) copy[keys[k]] = items[k];
  return copy;
}

/**
 * canonicalJson (RFC 8785, the leaf data of the audit log), computed with the native JSON.stringify: once
 * every object's keys are in JCS order, JCS is exactly what JSON.stringify writes (same number and string
 * serialisation, keys in Object.keys order). Values already in canonical order, as the export writes events,
 * cost one walk and no copy. Several times faster than building the string in JavaScript, which matters for
 * sealing, exporting and verifying a million events; what JSON.stringify cannot do goes to canonicalJson.
 * Property-tested to equal canonicalJson on any JSON value.
 */
export function canonicalJsonFast(value: unknown): string {
  const ordered = inJcsOrder(value);
  if (ordered === FALLBACK) return canonicalJson(value);
  return JSON.stringify(ordered);
}
