import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';
import { isCityCode, ZHEJIANG_CITIES } from './cities';
import { isValidCreditCode } from './credit-code';
import { isValidGtin13 } from './gtin';
import { isValidResidentId } from './resident-id';

// Constraint names appear in class-validator's error objects; keep them stable for clients and tests.
export const IS_RESIDENT_ID = 'isResidentId';
export const IS_CREDIT_CODE = 'isCreditCode';
export const IS_GTIN13 = 'isGtin13';
export const IS_CITY_CODE = 'isCityCode';
export const IS_FEN = 'isFen';

/**
 * Strict on the canonical form (upper-case X, no surrounding spaces). To be lenient with hand-typed input,
 * normalise with `normaliseResidentId` in a class-transformer `@Transform` and in the service before storing.
 */
export function IsResidentId(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_RESIDENT_ID,
      validator: {
        // Re-read the clock per call: a long-running process must not freeze "today" at boot.
        validate: (value: unknown): boolean => isValidResidentId(value, new Date()),
        defaultMessage: buildMessage(
          (eachPrefix) =>
            `${eachPrefix}$property must be a valid 18-character resident ID number (GB 11643 check digit, real birth date)`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

export function IsCreditCode(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_CREDIT_CODE,
      validator: {
        validate: (value: unknown): boolean => isValidCreditCode(value),
        defaultMessage: buildMessage(
          (eachPrefix) =>
            `${eachPrefix}$property must be a valid 18-character unified social credit code (GB 32100 check character)`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

export function IsGtin13(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_GTIN13,
      validator: {
        validate: (value: unknown): boolean => isValidGtin13(value),
        defaultMessage: buildMessage(
          (eachPrefix) => `${eachPrefix}$property must be a 13-digit GTIN (EAN-13 check digit)`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

export function IsCityCode(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_CITY_CODE,
      validator: {
        validate: (value: unknown): boolean => isCityCode(value),
        defaultMessage: buildMessage(
          (eachPrefix) => `${eachPrefix}$property must be one of: ${ZHEJIANG_CITIES.join(', ')}`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}

/**
 * A non-negative amount in integer fen. Strings such as "5999.00" are refused rather than coerced: a
 * client sending yuan by mistake must hear about it, not be paid a hundredth of what it meant.
 */
export function IsFen(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_FEN,
      validator: {
        validate: (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0,
        defaultMessage: buildMessage(
          (eachPrefix) =>
            `${eachPrefix}$property must be a non-negative integer amount in fen (no larger than ${Number.MAX_SAFE_INTEGER})`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}
