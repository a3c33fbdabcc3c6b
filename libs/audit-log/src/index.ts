export * from './audit.service';
export * from './audit-log.module';
