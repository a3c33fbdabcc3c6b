export * from './actors';
export * from './ledger-model';
export * from './prng';
export * from './sim-database';
export * from './simulator';
export * from './world';
