export * from './actor';
export * from './clock';
export * from './core.module';
export * from './errors';
export * from './ids';
export * from './money';
export * from './time';
export * from './validation';
