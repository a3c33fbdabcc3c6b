export * from './types';
export * from './rules-schema';
export * from './engine';
