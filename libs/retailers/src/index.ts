export * from './retailer.types';
export * from './retailer-views';
export * from './retailers.module';
export * from './retailers.repository';
export * from './retailers.service';
export * from './bank-account-seal';
export * from './payout-details.service';
