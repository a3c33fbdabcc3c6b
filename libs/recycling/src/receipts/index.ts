export * from './receipt-format';
export * from './receipt-verifier.service';
export * from './sign-receipt';
export * from './receipt-revocations.repository';
export * from './receipt-revocations.service';
export * from './receipts.module';
export * from './receipt-registrations.repository';
export * from './receipt-registrations.service';
