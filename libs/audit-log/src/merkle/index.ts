export * from './hash';
export * from './canonical';
export * from './tree';
export * from './memory-tree';
export * from './frontier';
export * from './verify';
