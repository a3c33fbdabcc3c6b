import { csvField, csvLine } from './csv';

describe('csv', () => {
  it('quotes only what needs quoting, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('二\n行')).toBe('"二\n行"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(123456)).toBe('123456');
    expect(csvField(false)).toBe('false');
  });

  it('neutralises formulas in free text only', () => {
    expect(csvField('=HYPERLINK("x")', true)).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+86', true)).toBe("'+86");
    expect(csvField('-1', true)).toBe("'-1");
    expect(csvField('@SUM(A1)', true)).toBe("'@SUM(A1)");
    expect(csvField('-1')).toBe('-1');
    expect(csvField('SN-1', true)).toBe('SN-1');
  });

  it('ends lines with CRLF', () => {
    expect(csvLine(['a', '"b,c"'])).toBe('a,"b,c"\r\n');
  });
});
