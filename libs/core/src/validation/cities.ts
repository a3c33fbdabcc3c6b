/** Zhejiang's eleven prefecture-level cities: the API's `city` codes (API.md). Subsidies are local to one. */
export const ZHEJIANG_CITIES = [
  'hangzhou',
  'ningbo',
  'wenzhou',
  'jiaxing',
  'huzhou',
  'shaoxing',
  'jinhua',
  'quzhou',
  'zhoushan',
  'taizhou',
  'lishui',
] as const;

export type CityCode = (typeof ZHEJIANG_CITIES)[number];

const CITY_SET: ReadonlySet<string> = new Set(ZHEJIANG_CITIES);

/** Exact, lower-case match: codes are identifiers, not user-typed names. */
export function isCityCode(s: unknown): s is CityCode {
  return typeof s === 'string' && CITY_SET.has(s);
}

export const CITY_NAMES_ZH: Readonly<Record<CityCode, string>> = {
  hangzhou: '杭州',
  ningbo: '宁波',
  wenzhou: '温州',
  jiaxing: '嘉兴',
  huzhou: '湖州',
  shaoxing: '绍兴',
  jinhua: '金华',
  quzhou: '衢州',
  zhoushan: '舟山',
  taizhou: '台州',
  lishui: '丽水',
};

/**
 * GB/T 2260 division codes of the city level, for seed data that should look local (ID and credit-code
 * positions 1-6 / 3-8). Not for validation: a resident's ID carries where they were first registered, not
 * where they live now.
 */
export const CITY_DIVISION_CODES: Readonly<Record<CityCode, string>> = {
  hangzhou: '330100',
  ningbo: '330200',
  wenzhou: '330300',
  jiaxing: '330400',
  huzhou: '330500',
  shaoxing: '330600',
  jinhua: '330700',
  quzhou: '330800',
  zhoushan: '330900',
  taizhou: '331000',
  lishui: '331100',
};
