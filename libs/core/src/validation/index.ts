export * from './cities';
export * from './credit-code';
export * from './decorators';
export * from './gtin';
export * from './resident-id';
