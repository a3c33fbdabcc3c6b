import { validateSync } from 'class-validator';
import { IsCityCode, IsCreditCode, IsFen, IsGtin13, IsResidentId } from './decorators';

class Registration {
  @IsResidentId()
  idNumber: unknown;

  @IsCityCode()
  city: unknown;
}

class Retailer {
  @IsCreditCode()
  creditCode: unknown;
}

class Model {
  @IsGtin13()
  gtin: unknown;

  @IsFen()
  referencePriceFen: unknown;
}

class Grant {
  @IsFen({ message: 'amountFen: custom' })
  amountFen: unknown;
}

function errorsOf(instance: object): Record<string, Record<string, string>> {
  return Object.fromEntries(validateSync(instance).map((e) => [e.property, e.constraints ?? {}]));
}

function make<T extends object>(type: new () => T, values: Record<string, unknown>): T {
  return Object.assign(new type(), values);
}

describe('validation decorators', () => {
  it('pass valid values', () => {
    expect(errorsOf(make(Registration, { idNumber: '11010519491231002X', city: 'ningbo' }))).toEqual({});
    expect(errorsOf(make(Retailer, { creditCode: '91350100M000100Y43' }))).toEqual({});
    expect(errorsOf(make(Model, { gtin: '6978470719897', referencePriceFen: 475000 }))).toEqual({});
    expect(errorsOf(make(Model, { gtin: '6978470719897', referencePriceFen: 0 }))).toEqual({});
  });

  it('report each failure under its constraint name with a clear default message', () => {
    expect(errorsOf(make(Registration, { idNumber: '330106199001011234', city: 'shanghai' }))).toEqual({
      idNumber: {
        isResidentId:
          'idNumber must be a valid 18-character resident ID number (GB 11643 check digit, real birth date)',
      },
      city: {
        isCityCode:
          'city must be one of: hangzhou, ningbo, wenzhou, jiaxing, huzhou, shaoxing, jinhua, quzhou, zhoushan, taizhou, lishui',
      },
    });
    expect(errorsOf(make(Retailer, { creditCode: '91350100M000100Y44' }))).toEqual({
      creditCode: {
        isCreditCode: 'creditCode must be a valid 18-character unified social credit code (GB 32100 check character)',
      },
    });
    expect(errorsOf(make(Model, { gtin: '6978470719898', referencePriceFen: 1 }))).toEqual({
      gtin: { isGtin13: 'gtin must be a 13-digit GTIN (EAN-13 check digit)' },
    });
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY, '5999.00', '599900', null])(
    'IsFen rejects %p',
    (value) => {
      expect(Object.keys(errorsOf(make(Model, { gtin: '6978470719897', referencePriceFen: value })))).toEqual([
        'referencePriceFen',
      ]);
    },
  );

  it('IsFen accepts Number.MAX_SAFE_INTEGER', () => {
    expect(errorsOf(make(Model, { gtin: '6978470719897', referencePriceFen: Number.MAX_SAFE_INTEGER }))).toEqual({});
  });

  it('honour a custom message', () => {
    expect(errorsOf(make(Grant, { amountFen: -100 }))).toEqual({ amountFen: { isFen: 'amountFen: custom' } });
  });

  it('validate each element with { each: true }', () => {
    class Batch {
      @IsGtin13({ each: true })
      gtins: unknown;
    }
    expect(errorsOf(make(Batch, { gtins: ['6978470719897', '6919049135564'] }))).toEqual({});
    expect(errorsOf(make(Batch, { gtins: ['6978470719897', '6919049135565'] }))).toEqual({
      gtins: { isGtin13: 'each value in gtins must be a 13-digit GTIN (EAN-13 check digit)' },
    });
  });
});
