export * from './log-safety';
export * from './text';
export * from './logger-options';
export * from './cipher';
