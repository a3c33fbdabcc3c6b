export * from './appeal-review.service';
export * from './review-view';
export * from './review.module';
export * from './review.service';
