import fc from 'fast-check';
import { canonicalJsonFast } from './fast-canonical';
import { canonicalJson } from './merkle';

/** Re-creates a value with every object's keys inserted in JCS order, as the export writes events. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: `out['__proto__'] = x` would set the prototype instead of a key
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, { value: sorted((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe('canonicalJsonFast', () => {
  it('equals canonicalJson on any JSON value, in any key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJsonFast(value)).toBe(canonicalJson(value));
        expect(canonicalJsonFast(sorted(value))).toBe(canonicalJson(value));
        expect(canonicalJsonFast(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles integer-like keys, which JavaScript enumerates first, and non-ASCII keys', () => {
    for (const value of [
      { 10: 'a', 9: 'b', a: 1 }, { b: 1, 1: 2 }, { 1: 1, 2: 2, a: { z: 1, y: 2 } }, { é: 1, z: 2, '😀': 3, '\u007f': 4 },
      { a: [{ 2: 1, 10: 2 }] }, { z: [{ b: 1, a: 2 }, 3], a: 1 }, JSON.parse('{"z":1,"__proto__":{"b":1,"a":2}}'),
      JSON.parse('{"__proto__":1,"a":{"d":1,"c":2}}'),
    ]) {
      expect(canonicalJsonFast(value)).toBe(canonicalJson(value));
      expect(canonicalJsonFast(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
    }
  });

  it('defers what is not plain JSON to canonicalJson: toJSON, undefined members, NaN', () => {
    const when = new Date(Date.UTC(2026, 10, 11));
    expect(canonicalJsonFast({ b: when, a: undefined })).toBe(canonicalJson({ b: when, a: undefined }));
    expect(() => canonicalJsonFast({ a: NaN })).toThrow();
    expect(() => canonicalJsonFast(undefined)).toThrow();
  });
});
