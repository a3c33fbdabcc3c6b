import { CITY_DIVISION_CODES, CITY_NAMES_ZH, isCityCode, ZHEJIANG_CITIES } from './cities';

describe('cities', () => {
  it('lists the eleven codes of API.md, in its order', () => {
    expect([...ZHEJIANG_CITIES]).toEqual(
      'hangzhou ningbo wenzhou jiaxing huzhou shaoxing jinhua quzhou zhoushan taizhou lishui'.split(' '),
    );
  });

  it.each([...ZHEJIANG_CITIES])('recognises %s and names it', (city) => {
    expect(isCityCode(city)).toBe(true);
    expect(CITY_NAMES_ZH[city]).toMatch(/^\p{Script=Han}{2}$/u);
    expect(CITY_DIVISION_CODES[city]).toMatch(/^33\d{2}00$/);
  });

  it('names Hangzhou 杭州 and Taizhou 台州 (not 泰州, which is in Jiangsu)', () => {
    expect(CITY_NAMES_ZH.hangzhou).toBe('杭州');
    expect(CITY_NAMES_ZH.taizhou).toBe('台州');
  });

  it('has distinct division codes', () => {
    expect(new Set(Object.values(CITY_DIVISION_CODES)).size).toBe(ZHEJIANG_CITIES.length);
  });

  it.each(['Hangzhou', 'HANGZHOU', ' hangzhou', 'shanghai', '杭州', '', 'toString', 'constructor', null, 1])(
    'rejects %p',
    (value) => {
      expect(isCityCode(value)).toBe(false);
    },
  );
});
