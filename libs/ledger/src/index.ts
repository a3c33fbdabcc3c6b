export * from './ledger.module';
export * from './ledger.service';
export * from './ledger.types';
