export * from './claim-states';
export * from './claim-view';
export * from './claims.module';
export * from './claims.repository';
export * from './claims.service';
export * from './trade-in.service';
