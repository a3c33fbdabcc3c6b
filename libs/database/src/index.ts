export * from './data-source';
export * from './database.module';
export * from './distribution';
export * from './embedded';
export * from './pg-errors';
export * from './prepared';
export * from './resolve-database';
export * from './transaction.service';
