export * from './claims-export.service';
export * from './csv';
export * from './reporting.module';
export * from './reports.repository';
export * from './reports.service';
