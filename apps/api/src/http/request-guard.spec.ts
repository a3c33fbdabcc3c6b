import { checkJsonShape, findUnsafeValue } from './request-guard';

describe('request guard', () => {
  const shape = (s: string, depth = 3, elements = 100) => () => checkJsonShape(Buffer.from(s), depth, elements);

  it('counts nesting outside strings only, escapes included', () => {
    expect(shape('{"a":[[1]]}')).not.toThrow();
    expect(shape('{"a":[[[1]]]}')).toThrow(/nested deeper than 3/);
    expect(shape('{"a":"[[[[[[\\"[[[["}')).not.toThrow();
    expect(shape('["\\\\",[[[]]]]')).toThrow(/nested deeper/); // an escaped backslash ends before the quote
  });

  it('counts values', () => {
    expect(shape(`[${'1,'.repeat(100)}1]`)).toThrow(/more than 100 values/); // the array and 100 separators
    expect(shape(`[${'1,'.repeat(99)}1]`)).not.toThrow();
  });

  it('names the first field no endpoint accepts', () => {
    expect(findUnsafeValue({ a: 'x', b: [1, 'y\u0000'] })).toEqual({ field: 'body.b[1]', message: 'body.b[1] must not contain NUL characters' });
    expect(findUnsafeValue({ n: Infinity })).toEqual({ field: 'body.n', message: 'body.n must be a finite number' });
    expect(findUnsafeValue({ ['k\ud800']: 1 })?.message).toMatch(/field names/);
    expect(findUnsafeValue({ ok: ['电视', 1.5, null, true] })).toBeUndefined();
  });
});
