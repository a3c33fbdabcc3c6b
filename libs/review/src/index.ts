export * from './claim-filter';
export * from './review-view';
export * from './review.module';
export * from './review.repository';
export * from './review.service';
