export * from './budgets.service';
export * from './instant';
export * from './policy-versions.service';
export * from './program-views';
export * from './programs.module';
export * from './programs.service';
export * from './programs.types';
export * from './quotas.service';
