export * from './voucher-code';
export * from './vouchers.module';
export * from './vouchers.repository';
export * from './vouchers.service';
