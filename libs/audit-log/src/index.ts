export * from './audit.service';
export * from './audit-log.module';
export * from './merkle';
